"""Order life cycle on the sandbox store: place, pay, cancel, refund, fulfil.

These functions are what a shopper, a payment gateway or a merchant does in a real shop. The
control API and the GraphQL mutations (``refundCreate``, ``fulfillmentCreate``,
``orderMarkAsPaid``, ``orderCancel``) both call them, so the store moves stock, totals and
statuses the same way whoever asks, and fires the webhooks Shopify would fire.
"""

from . import payments as pay
from .order_lines import build_line, shipping_lines, tip_line
from .order_money import apply_discounts, apply_taxes, cents, dec, recompute_totals
from .orders_errors import OrderError
from .store import utcnow

__all__ = ["OrderError", "cancel", "capture", "get_order", "mark_paid", "place_order",
           "recompute_totals"]


def _tax_defs(tax_lines, tax_rate, tax_title):
    """``tax_lines=[{title, rate}]`` (1-3 taxes), or the legacy ``tax_rate``/``tax_title``."""
    if tax_lines:
        defs = [{"title": str(t.get("title") or "Tax"), "rate": str(dec(t.get("rate"))),
                 "channel_liable": bool(t.get("channel_liable", False))} for t in tax_lines]
        if any(dec(t["rate"]) < 0 or dec(t["rate"]) >= 1 for t in defs):
            raise OrderError("A tax rate is a fraction between 0 and 1 (0.2 for 20 %)",
                             ["tax_lines"])
        return defs
    rate = dec(tax_rate)
    return [{"title": tax_title or "VAT", "rate": str(rate), "channel_liable": False}
            ] if rate else []


def _payments(payments, gateway):
    if payments:
        return [dict(p) for p in payments]
    return [{"gateway": gateway or "manual"}]


def place_order(store, line_items, *, customer=None, email=None, phone=None,
                financial_status="paid", gateway=None, payments=None, discount=None,
                discounts=None, shipping=None, tax_rate=None, tax_title="VAT", tax_lines=None,
                shipping_address=None, billing_address=None, location_id=None, note=None,
                note_attributes=None, tags=(), test=False, taxes_included=None, tip=None,
                source_name="web"):
    """Create an order as checkout would, reserve stock and fire its webhooks.

    ``line_items``: see ``order_lines`` (catalogue items with ``properties`` and line
    ``discounts``, custom items, gift cards). ``discounts``: order-level
    ``[{"code"|"title", "percentage"|"amount", "target": "line_item"|"shipping_line",
    "allocation": "across"|"each"}]`` (the legacy single ``discount`` still works).
    ``tax_lines``: ``[{"title", "rate"}]`` (or legacy ``tax_rate``/``tax_title``).
    ``shipping``: a dict or a list of them. ``tip``: an amount. ``payments``: ``[{"gateway",
    "amount"?}]``, the last without amount takes the rest (legacy ``gateway``: one method).
    ``financial_status``: ``paid``, ``authorized``, ``pending`` or ``partially_paid``.
    """
    with store.lock:
        if not line_items:
            raise OrderError("An order needs at least one line item", ["line_items"])
        location = (store.locations.get(int(location_id)) if location_id
                    else next(iter(store.locations.values()), None))
        if location is None:
            raise OrderError("The shop has no location", ["location_id"])
        customer_record = _resolve_customer(store, customer, email)
        included = store.shop["taxes_included"] if taxes_included is None else taxes_included
        lines = [build_line(store, spec, index) for index, spec in enumerate(line_items)]
        ships = shipping_lines(store, shipping)
        order_discounts = list(discounts or ([discount] if discount else []))
        applications = apply_discounts(lines, ships, [s.get("discounts") for s in line_items],
                                       order_discounts)
        apply_taxes(lines, ships, _tax_defs(tax_lines, tax_rate, tax_title), included)
        if tip not in (None, "") and cents(tip) > 0:
            lines.append(tip_line(store, tip))
        store.order_number += 1
        number = store.order_number
        address = shipping_address
        if address is None and customer_record and customer_record.get("addresses"):
            address = customer_record["addresses"][0]
        billing = billing_address or address
        gateways = [p.get("gateway") or "manual" for p in _payments(payments, gateway)]
        order = store.insert(
            "orders", "Order", number=number, name=f"#{number}",
            email=email or (customer_record or {}).get("email"),
            phone=phone or (customer_record or {}).get("phone"),
            customer_id=customer_record["id"] if customer_record else None,
            processed_at=utcnow(), cancelled_at=None, cancel_reason=None, closed_at=None,
            currency=store.currency, taxes_included=included, test=bool(test),
            tags=[str(t) for t in tags], note=note,
            note_attributes=[{"name": str(a["name"]), "value": a.get("value")}
                             for a in note_attributes or []],
            financial_status="PENDING", fulfillment_status="UNFULFILLED",
            line_items=lines, shipping_lines=ships, discount_applications=applications,
            discount_codes=[a["code"] for a in applications if a.get("code")],
            shipping_address=store.address(address) if address else None,
            billing_address=store.address(billing) if billing else None,
            transactions=[], fulfillment_order_ids=[], fulfillment_ids=[], refund_ids=[],
            gateway=gateways[0], payment_gateway_names=list(dict.fromkeys(gateways)),
            total_refunded="0.00", refunded_shipping="0.00", refunded_shipping_tax="0.00",
            removed_value="0.00", location_id=location["id"], source_name=source_name)
        for line in lines:
            line["order_id"] = order["id"]
            store.line_items[line["id"]] = line
        recompute_totals(order)
        _reserve_stock(store, order, location["id"])
        shipped = [line for line in lines if line["requires_shipping"]]
        if shipped:  # gift cards, tips and digital items are not fulfilled by the shop
            fulfillment_order = store.insert(
                "fulfillment_orders", "FulfillmentOrder", order_id=order["id"],
                location_id=location["id"], status="OPEN", line_items=[
                    {"_type": "FulfillmentOrderLineItem", "id": store.next_id(),
                     "line_item_id": line["id"], "total_quantity": line["quantity"],
                     "remaining_quantity": line["quantity"]} for line in shipped])
            order["fulfillment_order_ids"].append(fulfillment_order["id"])
        try:
            pay.pay_at_checkout(store, order, _payments(payments, gateway), financial_status)
        except OrderError:
            _rollback(store, order, location["id"])
            raise
        store.emit("orders/create", order)
        if order["financial_status"] == "PAID":
            store.emit("orders/paid", order)
        return order


def _rollback(store, order, location_id):
    """Undo a placement refused at payment: stock, records, number."""
    for line in order["line_items"]:
        if line["inventory_item_id"]:
            _unreserve(store, line, location_id, line["quantity"])
        store.line_items.pop(line["id"], None)
    for fo_id in order["fulfillment_order_ids"]:
        store.fulfillment_orders.pop(fo_id, None)
    store.orders.pop(order["id"], None)
    store.order_number -= 1


def _resolve_customer(store, customer, email):
    if customer is None and not email:
        return None
    if isinstance(customer, (int, str)) and str(customer).isdigit():
        record = store.customers.get(int(customer))
        if not record:
            raise OrderError(f"Customer {customer} does not exist", ["customer"])
        return record
    data = dict(customer or {"email": email})
    existing = store.customer_by_email(data.get("email"))
    return existing or store.add_customer(**data)


def current_quantity(line):
    """Units still on the order: ordered minus refunded minus removed by edits."""
    return line["quantity"] - line["refunded_quantity"] - line.get("removed_quantity", 0)


def _reserve_stock(store, order, location_id):
    for line in order["line_items"]:
        item = store.inventory_items.get(line["inventory_item_id"] or 0)
        if not item or not item["tracked"]:
            continue
        level = store.activate(item["id"], location_id)
        store.change_quantity(level, "committed", line["quantity"], announce=False)
        store.change_quantity(level, "available", -line["quantity"])


def get_order(store, order_id):
    order = store.orders.get(int(order_id)) if str(order_id).isdigit() else None
    if order is None:
        raise OrderError("Order does not exist", ["id"], "NOT_FOUND")
    return order


def mark_paid(store, order_id):
    """The merchant marks the order paid: captures what is authorized, then records a
    ``SALE`` (on the order's first gateway) for anything still outstanding; fires
    orders/paid + orders/updated."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order is cancelled", ["id"], "INVALID")
        if order["financial_status"] == "PAID":
            return order
        if pay.capturable(order):
            pay.capture(store, order)
        outstanding = dec(order["total_price"]) - dec(order["removed_value"]) - pay.paid_amount(
            order)
        if outstanding > 0:
            pay.add_transaction(store, order, "SALE", outstanding, order["gateway"])
        pay.update_financial_status(order)
        store.touch(order)
        store.emit("orders/paid", order)
        store.emit("orders/updated", order)
        return order


def capture(store, order_id, amount=None):
    """Capture ``amount`` (default: everything authorized) of an authorized order: one
    ``CAPTURE`` per authorization used, ``parent_id`` its authorization. Fires
    orders/updated, and orders/paid once the order is fully paid."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order is cancelled", ["id"], "INVALID")
        pay.capture(store, order, amount)
        status = pay.update_financial_status(order)
        store.touch(order)
        if status == "PAID":
            store.emit("orders/paid", order)
        store.emit("orders/updated", order)
        return order


def cancel(store, order_id, reason="CUSTOMER", restock=True, refund=False):
    """Cancel an order, release reserved stock, optionally refund; fires orders/cancelled."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order has already been cancelled", ["orderId"], "INVALID")
        if refund and pay.net_paid(order) > 0:
            remaining = [{"line_item_id": li["id"], "quantity": current_quantity(li),
                          "restock_type": "CANCEL" if restock else "NO_RESTOCK"}
                         for li in order["line_items"] if current_quantity(li) > 0]
            from .refunds import create_refund

            create_refund(store, order["id"], remaining, shipping={"full_refund": True},
                          note="Order cancelled", announce_order=False)
        elif restock:
            _release_unfulfilled(store, order)
        for auth, rest in pay.capturable(order):
            pay.add_transaction(store, order, "VOID", rest, auth["gateway"], auth["id"])
        if order["financial_status"] in ("PENDING", "AUTHORIZED"):
            order["financial_status"] = "VOIDED"
        order["cancelled_at"] = utcnow()
        order["cancel_reason"] = str(reason or "OTHER").upper()
        order["closed_at"] = order["cancelled_at"]
        for fo_id in order["fulfillment_order_ids"]:
            fulfillment_order = store.fulfillment_orders[fo_id]
            if fulfillment_order["status"] != "CLOSED":
                fulfillment_order["status"] = "CANCELLED"
                store.touch(fulfillment_order)
        store.touch(order)
        store.emit("orders/cancelled", order)
        store.emit("orders/updated", order)
        return order


def _release_unfulfilled(store, order):
    for fo_id in order["fulfillment_order_ids"]:
        fulfillment_order = store.fulfillment_orders[fo_id]
        for fo_line in fulfillment_order["line_items"]:
            quantity = fo_line["remaining_quantity"]
            line = _line(order, fo_line["line_item_id"])
            _unreserve(store, line, fulfillment_order["location_id"], quantity)
            fo_line["remaining_quantity"] = 0


def _unreserve(store, line, location_id, quantity):
    level = store.levels.get((line["inventory_item_id"], location_id))
    if level and quantity > 0:
        store.change_quantity(level, "committed", -quantity, announce=False)
        store.change_quantity(level, "available", quantity)


def _line(order, line_item_id):
    return next((li for li in order["line_items"] if li["id"] == int(line_item_id)), None)
