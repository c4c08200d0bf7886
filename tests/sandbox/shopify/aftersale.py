"""What happens to an order after checkout: fulfilments (refunds live in ``refunds``).

Shared by the GraphQL mutations (``refundCreate``, ``fulfillmentCreate``) and the control API
so both move stock and statuses identically and fire the same webhooks.
"""

from .orders import OrderError, _line
from .refunds import create_refund

__all__ = ["create_fulfillment", "create_refund"]


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
        done = all(li["fulfilled_quantity"] + li["refunded_quantity"]
                   + li.get("removed_quantity", 0) >= li["quantity"]
                   for li in order["line_items"] if li["requires_shipping"])
        order["fulfillment_status"] = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        store.touch(order)
        store.emit("fulfillments/create", fulfillment)
        store.emit("orders/updated", order)
        store.emit("orders/fulfilled" if done else "orders/partially_fulfilled", order)
        return fulfillment
