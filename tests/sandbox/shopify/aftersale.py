"""What happens to an order after checkout: refunds and fulfilments.

Shared by the GraphQL mutations (``refundCreate``, ``fulfillmentCreate``) and the control API
so both move stock and statuses identically and fire the same webhooks.
"""

from decimal import Decimal

from .orders import (
    OrderError,
    _add_transaction,
    _dec,
    _line,
    _unreserve,
    get_order,
    recompute_totals,
)
from .store import CENTS, money, utcnow


def create_refund(store, order_id, lines=(), *, shipping_full=False, shipping_amount=None,
                  note=None, transactions=None, announce_order=True):
    """Refund lines (and shipping) of an order; restock per ``restock_type``.

    ``lines``: ``[{"line_item_id": 1, "quantity": 1, "restock_type": "RETURN"|"CANCEL"|
    "NO_RESTOCK", "location_id": optional}]``. ``transactions``: optional explicit amounts
    ``[{"amount": "10.00", "gateway": "manual"}]``; by default the computed amount is refunded.
    Fires refunds/create and orders/updated. Returns the refund record.
    """
    with store.lock:
        order = get_order(store, order_id)
        refund_lines, computed = [], Decimal(0)
        for index, spec in enumerate(lines):
            field = ["refundLineItems", str(index)]
            line = _line(order, spec.get("line_item_id") or 0)
            if line is None:
                raise OrderError("Line item does not belong to the order", [*field, "lineItemId"])
            quantity = int(spec.get("quantity", 0))
            if quantity <= 0 or quantity > line["quantity"] - line["refunded_quantity"]:
                raise OrderError(f"Quantity cannot refund more items than were purchased "
                                 f"(line item {line['id']})", [*field, "quantity"])
            discount = sum(_dec(a["amount"]) for a in line["discount_allocations"])
            subtotal = ((_dec(line["price"]) * line["quantity"] - discount)
                        * quantity / line["quantity"]).quantize(CENTS)
            tax = sum((_dec(t["price"]) * quantity / line["quantity"]).quantize(CENTS)
                      for t in line["tax_lines"])
            restock_type = str(spec.get("restock_type") or "NO_RESTOCK").upper()
            location_id = int(spec.get("location_id") or order["location_id"])
            _restock(store, order, line, quantity, restock_type=restock_type,
                     location_id=location_id)
            line["refunded_quantity"] += quantity
            computed += subtotal + (0 if order["taxes_included"] else tax)
            refund_lines.append({
                "_type": "RefundLineItem", "id": store.next_id(), "line_item_id": line["id"],
                "quantity": quantity, "restock_type": restock_type,
                "restocked": restock_type != "NO_RESTOCK", "location_id": location_id,
                "subtotal": money(subtotal), "total_tax": money(tax)})
        shipping = Decimal(0)
        if shipping_full:  # the shipping price and, unless included, its taxes
            shipping = sum((_dec(s["price"]) + (0 if order["taxes_included"] else sum(
                _dec(t["price"]) for t in s["tax_lines"])) for s in order["shipping_lines"]),
                Decimal(0))
        elif shipping_amount is not None:
            shipping = _dec(shipping_amount)
        computed += shipping
        amount = (sum(_dec(t.get("amount")) for t in transactions) if transactions
                  else computed)
        refundable = _dec(order["total_price"]) - _dec(order["total_refunded"])
        if amount > refundable:
            raise OrderError(f"Refund amount {money(amount)} exceeds the refundable "
                             f"{money(refundable)}", ["transactions"])
        parent = next((t for t in order["transactions"]
                       if t["kind"] in ("SALE", "CAPTURE")), None)
        refund_transactions = []
        if amount > 0 and parent:
            refund_transactions.append(
                _add_transaction(store, order, "REFUND", amount, parent["id"]))
        refund = store.insert(
            "refunds", "Refund", order_id=order["id"], note=note, line_items=refund_lines,
            transactions=refund_transactions, total_refunded=money(amount),
            shipping=money(shipping), processed_at=utcnow())
        order["refund_ids"].append(refund["id"])
        order["total_refunded"] = money(_dec(order["total_refunded"]) + amount)
        recompute_totals(order)
        if parent and amount > 0:
            fully = _dec(order["total_refunded"]) >= _dec(order["total_price"])
            order["financial_status"] = "REFUNDED" if fully else "PARTIALLY_REFUNDED"
        store.touch(order)
        store.emit("refunds/create", refund)
        if announce_order:
            store.emit("orders/updated", order)
        return refund


def _restock(store, order, line, quantity, *, restock_type, location_id):
    """CANCEL releases unfulfilled reserved units; RETURN puts shipped units back on hand."""
    if restock_type == "CANCEL":
        for fo_id in order["fulfillment_order_ids"]:
            fulfillment_order = store.fulfillment_orders[fo_id]
            for fo_line in fulfillment_order["line_items"]:
                if fo_line["line_item_id"] == line["id"] and fo_line["remaining_quantity"]:
                    released = min(quantity, fo_line["remaining_quantity"])
                    fo_line["remaining_quantity"] -= released
                    _unreserve(store, line, fulfillment_order["location_id"], released)
                    quantity -= released
    elif restock_type == "RETURN":
        level = store.levels.get((line["inventory_item_id"], location_id))
        if level:
            store.change_quantity(level, "available", quantity)


def create_fulfillment(store, line_items_by_fulfillment_order, tracking=None,
                       notify_customer=False):
    """Ship lines of fulfilment orders, all of one order and location.

    ``line_items_by_fulfillment_order``: ``[{"fulfillment_order_id": 1,
    "fulfillment_order_line_items": [{"id": 2, "quantity": 1}]}]``; an empty line list ships
    everything that remains. ``tracking``: ``{"company", "number", "url"}``. Fires
    fulfillments/create, orders/updated and orders/fulfilled (or partially_fulfilled).
    """
    with store.lock:
        if not line_items_by_fulfillment_order:
            raise OrderError("Line items by fulfillment order can't be blank",
                             ["fulfillment", "lineItemsByFulfillmentOrder"])
        plan, order_ids, location_ids = [], set(), set()
        for index, group in enumerate(line_items_by_fulfillment_order):
            field = ["fulfillment", "lineItemsByFulfillmentOrder", str(index)]
            fulfillment_order = store.fulfillment_orders.get(
                int(group.get("fulfillment_order_id") or 0))
            if fulfillment_order is None:
                raise OrderError("Fulfillment order does not exist.",
                                 [*field, "fulfillmentOrderId"])
            if fulfillment_order["status"] in ("CLOSED", "CANCELLED"):
                raise OrderError("Fulfillment order is not in a fulfillable state.",
                                 [*field, "fulfillmentOrderId"])
            order_ids.add(fulfillment_order["order_id"])
            location_ids.add(fulfillment_order["location_id"])
            wanted = group.get("fulfillment_order_line_items") or [
                {"id": fo_line["id"], "quantity": fo_line["remaining_quantity"]}
                for fo_line in fulfillment_order["line_items"] if fo_line["remaining_quantity"]]
            for spec in wanted:
                fo_line = next((x for x in fulfillment_order["line_items"]
                                if x["id"] == int(spec["id"])), None)
                quantity = int(spec.get("quantity", 0))
                if fo_line is None or quantity <= 0 or quantity > fo_line["remaining_quantity"]:
                    raise OrderError("Invalid fulfillment order line item quantity requested.",
                                     [*field, "fulfillmentOrderLineItems"])
                plan.append((fulfillment_order, fo_line, quantity))
        if len(order_ids) > 1 or len(location_ids) > 1:
            raise OrderError("All fulfillment orders must belong to one order and location.",
                             ["fulfillment", "lineItemsByFulfillmentOrder"])
        if not plan:
            raise OrderError("Nothing left to fulfil.",
                             ["fulfillment", "lineItemsByFulfillmentOrder"])
        order = store.orders[order_ids.pop()]
        location_id = location_ids.pop()
        fulfillment_lines = []
        for fulfillment_order, fo_line, quantity in plan:
            line = _line(order, fo_line["line_item_id"])
            fo_line["remaining_quantity"] -= quantity
            line["fulfilled_quantity"] += quantity
            level = store.levels.get((line["inventory_item_id"], location_id))
            if level:
                store.change_quantity(level, "committed", -quantity, announce=False)
            fulfillment_lines.append({"_type": "FulfillmentLineItem", "id": store.next_id(),
                                      "line_item_id": line["id"], "quantity": quantity})
            remaining = sum(x["remaining_quantity"] for x in fulfillment_order["line_items"])
            fulfillment_order["status"] = "CLOSED" if not remaining else "IN_PROGRESS"
            store.touch(fulfillment_order)
        tracking_info = [dict(tracking)] if tracking and any(tracking.values()) else []
        fulfillment = store.insert(
            "fulfillments", "Fulfillment", order_id=order["id"], location_id=location_id,
            status="SUCCESS", name=f"{order['name']}.{len(order['fulfillment_ids']) + 1}",
            tracking=tracking_info, line_items=fulfillment_lines,
            notify_customer=bool(notify_customer))
        order["fulfillment_ids"].append(fulfillment["id"])
        done = all(li["fulfilled_quantity"] + li["refunded_quantity"] >= li["quantity"]
                   for li in order["line_items"])
        order["fulfillment_status"] = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        store.touch(order)
        store.emit("fulfillments/create", fulfillment)
        store.emit("orders/updated", order)
        store.emit("orders/fulfilled" if done else "orders/partially_fulfilled", order)
        return fulfillment
