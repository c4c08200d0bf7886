"""Shopify Payments: balance transactions and payouts of the shop's payments account.

``create_payout`` is what Shopify does when it pays the merchant: the order payments not
settled yet (successful ``SALE``/``CAPTURE`` and ``REFUND`` transactions of the store's
orders, or of ``order_ids``) become balance transactions of one payout, plus any
adjustments asked for. The first payout opens the shop's payments account
(``store.payments_account``): before it, ``shopifyPaymentsAccount`` is null.

Signs as Shopify shows them: ``amount`` is the gross movement of the balance (a charge
positive, a refund negative), ``fee`` what Shopify kept (positive), ``net = amount - fee``;
the payout's ``net`` is the sum of its transactions' nets.

``SEARCH_FIELDS`` are the ``query:`` fields of ``payouts`` and ``balanceTransactions``; the
GraphQL resolvers live in ``resolvers.py``.
"""

from decimal import ROUND_HALF_UP, Decimal

from .orders import OrderError
from .store import CENTS, money, utcnow

#: Order transaction kind -> balance transaction type
TRANSACTION_TYPES = {"SALE": "CHARGE", "CAPTURE": "CHARGE", "REFUND": "REFUND"}
PAYOUT_STATUSES = ("CANCELED", "FAILED", "IN_TRANSIT", "PAID", "SCHEDULED")


def _dec(value):
    return Decimal(str(value if value is not None else "0"))


def _settled_order_transactions(store):
    return {t["source_order_transaction_id"] for t in store.balance_transactions.values()}


def _add_transaction(store, kind, amount, fee, **fields):
    values = {"payout_id": None, "order_id": None, "source_order_transaction_id": None,
              "adjustment_reason": None, "test": False, **fields}
    values["transaction_date"] = values.get("transaction_date") or utcnow()
    return store.insert(
        "balance_transactions", "ShopifyPaymentsBalanceTransaction", type=kind,
        amount=money(amount), fee=money(fee), net=money(amount - fee), currency=store.currency,
        **values)


def create_payout(store, order_ids=None, fee_rate=0.029, fee_fixed=0.30, adjustments=(),
                  status="PAID"):
    """Pay out the unsettled payments: one CHARGE per sale or capture with its fee
    (``round(amount × fee_rate + fee_fixed, 2)``), one negative REFUND per refund, plus
    ``adjustments`` (``[{"amount": "-5.00", "reason": ..., "order_id"?}]``). Returns the
    payout; refuses (OrderError) a payout with nothing in it or an unknown status."""
    with store.lock:
        status = str(status or "PAID").upper()
        if status not in PAYOUT_STATUSES:
            raise OrderError(f"Unknown payout status {status}", ["status"], "INVALID")
        wanted = None if order_ids is None else {int(i) for i in order_ids}
        unknown = sorted((wanted or set()) - set(store.orders))
        if unknown:
            raise OrderError(f"Order {unknown[0]} does not exist", ["order_ids"], "NOT_FOUND")
        for adjustment in adjustments or ():  # checked before anything is booked
            try:
                _dec(adjustment["amount"]) + _dec(adjustment.get("fee"))
            except (KeyError, ArithmeticError) as error:
                raise OrderError("An adjustment needs a decimal amount (and fee)",
                                 ["adjustments", "amount"], "INVALID") from error
            order_id = adjustment.get("order_id")
            if order_id is not None and int(order_id) not in store.orders:
                raise OrderError("Order does not exist", ["adjustments", "order_id"],
                                 "NOT_FOUND")
        settled = _settled_order_transactions(store)
        taken = []
        for order in store.orders.values():
            if wanted is not None and order["id"] not in wanted:
                continue
            for transaction in order["transactions"]:
                kind = TRANSACTION_TYPES.get(transaction["kind"])
                if not kind or transaction["status"] != "SUCCESS" or transaction["id"] in settled:
                    continue
                amount = _dec(transaction["amount"])
                if kind == "CHARGE":
                    fee = (amount * _dec(fee_rate) + _dec(fee_fixed)).quantize(
                        CENTS, rounding=ROUND_HALF_UP)
                else:
                    amount, fee = -amount, Decimal(0)
                taken.append(_add_transaction(
                    store, kind, amount, fee, order_id=order["id"],
                    source_order_transaction_id=transaction["id"],
                    transaction_date=transaction["created_at"], test=bool(transaction["test"])))
        for adjustment in adjustments or ():
            order_id = adjustment.get("order_id")
            taken.append(_add_transaction(
                store, "ADJUSTMENT", _dec(adjustment.get("amount")), _dec(adjustment.get("fee")),
                adjustment_reason=adjustment.get("reason") or "adjustment",
                order_id=int(order_id) if order_id is not None else None))
        if not taken:
            raise OrderError("The Shopify Payments balance has nothing to pay out",
                             ["order_ids"], "INVALID")
        net = sum((_dec(t["net"]) for t in taken), Decimal(0))
        if store.payments_account is None:
            store.payments_account = {"_type": "ShopifyPaymentsAccount", "id": store.next_id(),
                                      "activated": True}
        payout = store.insert(
            "payouts", "ShopifyPaymentsPayout", status=status, issued_at=utcnow(),
            net=money(net), currency=store.currency,
            transaction_type="DEPOSIT" if net >= 0 else "WITHDRAWAL")
        for transaction in taken:
            transaction["payout_id"] = payout["id"]
        return payout


def transactions_of(store, payout_id):
    """The balance transactions of one payout, in the order they were booked."""
    with store.lock:
        return [t for t in store.balance_transactions.values() if t["payout_id"] == payout_id]


def _payout_status(transaction, store):
    payout = store.payouts.get(transaction["payout_id"])
    return payout["status"].lower() if payout else "pending"


SEARCH_FIELDS = {
    "payouts": {
        "id": lambda r: r["id"], "status": lambda r: r["status"].lower(),
        "issued_at": lambda r: r["issued_at"], "currency": lambda r: r["currency"].lower(),
        "default": lambda r: f"{r['id']} {r['status']}",
    },
    "balance_transactions": {
        "id": lambda r: r["id"],
        "payments_transfer_id": lambda r: r["payout_id"],  # the documented name
        "processed_at": lambda r: r["transaction_date"],
        "transaction_type": lambda r: r["type"].lower(),
        "currency": lambda r: r["currency"].lower(),
        "default": lambda r: f"{r['id']} {r['type']}",
    },
}
