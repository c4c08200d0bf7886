"""Order transactions as Shopify records them: one per gateway and payment step.

- Checkout with several payment methods (``payments=[{"gateway": "gift_card", "amount":
  "20.00"}, {"gateway": "shopify_payments"}]``): one ``SALE`` per gateway with its amount,
  the last method without an amount takes the rest. Gift cards are always charged at once,
  for at most what is left to pay (a method left with nothing to pay gets no transaction).
- ``financial_status="authorized"``: card methods get an ``AUTHORIZATION`` (captured later by
  ``capture``: a ``CAPTURE`` whose ``parent_id`` is the authorization, possibly partial),
  gift cards a ``SALE``.
- ``pending``: no transaction; ``partially_paid``: ``SALE`` for the methods given with amounts.
- Refunds: one ``REFUND`` per gateway, parent = that gateway's sale/capture, split as
  Shopify's suggested refund does: the most recent payment methods first — cards before the
  gift card (so a gift card balance is given back last), each up to what it netted.

Amounts are two-decimal strings; ``status`` is ``SUCCESS`` unless told otherwise.
"""

from .order_money import ZERO, dec, fmt
from .orders_errors import OrderError
from .store import utcnow

PAID_KINDS = ("SALE", "CAPTURE")


def add_transaction(store, order, kind, amount, gateway, parent_id=None, status="SUCCESS"):
    transaction = {
        "_type": "OrderTransaction", "id": store.next_id(), "kind": kind, "status": status,
        "gateway": gateway, "amount": fmt(amount), "parent_id": parent_id,
        "created_at": utcnow(), "processed_at": utcnow(), "order_id": order["id"],
        "test": order["test"], "authorization": f"auth-{store.next_id()}" if kind in (
            "AUTHORIZATION", "SALE") else None, "error_code": None, "message": None}
    order["transactions"].append(transaction)
    return transaction


def _ok(order, *kinds):
    return [t for t in order["transactions"] if t["kind"] in kinds and t["status"] == "SUCCESS"]


def paid_amount(order):
    """Successful sales and captures, minus nothing (refunds are apart)."""
    return sum((dec(t["amount"]) for t in _ok(order, *PAID_KINDS)), ZERO)


def refunded_amount(order):
    return sum((dec(t["amount"]) for t in _ok(order, "REFUND")), ZERO)


def net_paid(order):
    return paid_amount(order) - refunded_amount(order)


def split_payments(payments, total, field="payments"):
    """``[(gateway, Decimal amount)]``; the last entry without an amount takes the rest."""
    plan, rest = [], total
    for index, payment in enumerate(payments):
        gateway = payment.get("gateway") or "manual"
        if payment.get("amount") in (None, ""):
            if index != len(payments) - 1:
                raise OrderError("Only the last payment may leave its amount out",
                                 [field, str(index), "amount"])
            amount = rest
        else:
            amount = dec(payment["amount"])
            if gateway == "gift_card":  # a gift card pays at most what is left to pay
                amount = min(amount, rest)
        if amount < 0 or amount > rest:
            raise OrderError(f"Payment {fmt(amount)} on {gateway} exceeds the "
                             f"{fmt(rest)} left to pay", [field, str(index), "amount"])
        rest -= amount
        plan.append((gateway, amount))
    return plan


def pay_at_checkout(store, order, payments, financial_status):
    """Record the checkout's transactions and set ``financial_status``."""
    status = str(financial_status or "paid").lower()
    total = dec(order["total_price"])
    if status == "pending":
        order["financial_status"] = "PENDING"
        return
    plan = split_payments(payments, total)
    if status == "partially_paid":
        if not plan or sum((a for _g, a in plan), ZERO) >= total:
            raise OrderError("partially_paid needs payments with amounts below the total",
                             ["payments"])
    elif sum((a for _g, a in plan), ZERO) != total:
        raise OrderError("The payments do not add up to the order total", ["payments"])
    for gateway, amount in plan:
        if amount <= 0:
            continue
        kind = "AUTHORIZATION" if status == "authorized" and gateway != "gift_card" else "SALE"
        add_transaction(store, order, kind, amount, gateway)
    update_financial_status(order)


def update_financial_status(order):
    """Shopify's financial status from the transactions (a voided order stays voided)."""
    if order["financial_status"] == "VOIDED":
        return order["financial_status"]
    total = dec(order["total_price"]) - dec(order.get("removed_value"))
    paid, refunded = paid_amount(order), refunded_amount(order)
    authorized = sum((dec(t["amount"]) for t in _ok(order, "AUTHORIZATION")), ZERO)
    if refunded > 0:
        status = "REFUNDED" if refunded >= paid else "PARTIALLY_REFUNDED"
    elif paid >= total:
        status = "PAID"
    elif paid > 0:
        status = "PARTIALLY_PAID"
    elif authorized > 0:
        status = "AUTHORIZED"
    else:
        status = "PENDING"
    order["financial_status"] = status
    return status


def capturable(order):
    """``[(authorization, amount still capturable)]``."""
    result = []
    for auth in _ok(order, "AUTHORIZATION"):
        captured = sum((dec(t["amount"]) for t in _ok(order, "CAPTURE", "VOID")
                        if t["parent_id"] == auth["id"]), ZERO)
        if dec(auth["amount"]) > captured:
            result.append((auth, dec(auth["amount"]) - captured))
    return result


def capture(store, order, amount=None):
    """Capture ``amount`` (default: all that is authorized) against the authorizations."""
    open_auths = capturable(order)
    available = sum((a for _t, a in open_auths), ZERO)
    wanted = available if amount in (None, "") else dec(amount)
    if not open_auths:
        raise OrderError("The order has no authorization left to capture", ["id"], "INVALID")
    if wanted <= 0 or wanted > available:
        raise OrderError(f"Capture amount {fmt(wanted)} must be above 0 and at most the "
                         f"{fmt(available)} authorized", ["amount"], "INVALID")
    created = []
    for auth, rest in open_auths:
        take = min(rest, wanted)
        if take > 0:
            created.append(add_transaction(store, order, "CAPTURE", take, auth["gateway"],
                                           auth["id"]))
            wanted -= take
    return created


def refundable_by_gateway(order):
    """``[(latest sale/capture of a gateway, amount the gateway can still refund)]``,
    most recent gateway first, the gift card last."""
    by_gateway = {}
    for payment in _ok(order, *PAID_KINDS):
        parent, total = by_gateway.get(payment["gateway"], (None, ZERO))
        by_gateway[payment["gateway"]] = (payment, total + dec(payment["amount"]))
    for refund in _ok(order, "REFUND"):
        if refund["gateway"] in by_gateway:
            parent, total = by_gateway[refund["gateway"]]
            by_gateway[refund["gateway"]] = (parent, total - dec(refund["amount"]))
    result = [(parent, rest) for parent, rest in by_gateway.values() if rest > 0]
    result.reverse()
    result.sort(key=lambda pair: pair[0]["gateway"] == "gift_card")
    return result


def suggest_refund(order, amount):
    """Split ``amount`` over the gateways as Shopify's suggested refund does: one refund
    per gateway, parent its latest sale or capture."""
    plan, left = [], dec(amount)
    for parent, rest in refundable_by_gateway(order):
        take = min(rest, left)
        if take > 0:
            plan.append({"gateway": parent["gateway"], "amount": take,
                         "parent_id": parent["id"]})
            left -= take
    if left > 0:
        raise OrderError(f"Refund amount {fmt(amount)} exceeds what was paid and not yet "
                         f"refunded ({fmt(dec(amount) - left)})", ["transactions"])
    return plan


def explicit_refund(order, transactions):
    """Check ``[{"gateway", "amount", "parent_id"?}]`` given by the caller; each entry
    becomes one refund on its gateway (the only one paid when it names none)."""
    rests = {parent["gateway"]: [parent, rest] for parent, rest in refundable_by_gateway(order)}
    plan = []
    for index, spec in enumerate(transactions):
        field = ["transactions", str(index)]
        amount = dec(spec.get("amount"))
        gateway = spec.get("gateway")
        if spec.get("parent_id") and not gateway:
            gateway = next((t["gateway"] for t in order["transactions"]
                            if t["id"] == int(spec["parent_id"])), None)
        if gateway is None and len(rests) == 1:
            gateway = next(iter(rests))
        if amount <= 0:
            raise OrderError("A refund transaction needs an amount above 0", [*field, "amount"])
        if gateway not in rests or rests[gateway][1] < amount:
            can = fmt(rests[gateway][1]) if gateway in rests else "0.00"
            raise OrderError(f"Refund of {fmt(amount)} on {gateway} exceeds the {can} that "
                             "gateway can refund", field)
        rests[gateway][1] -= amount
        plan.append({"gateway": gateway, "amount": amount, "parent_id": rests[gateway][0]["id"]})
    return plan
