"""Order editing (``orderEditBegin`` … ``orderEditSetQuantity`` … ``orderEditCommit``) as the
merchant does it in the admin, reduced to "set a line's quantity".

Shopify keeps a line's ordered ``quantity`` when an edit removes units: ``current_quantity``
goes down and the ``current_*`` totals leave the removed units out, while ``total_price``
(the order before returns) stays. Units added by an edit raise ``quantity`` and the original
totals. Reserved stock and the open fulfillment order follow; the financial status follows
what was paid (an order paid in full whose total grows becomes ``PARTIALLY_PAID``).
"""

from . import payments as pay
from .order_money import apply_taxes, dec, fmt, line_net, line_tax, recompute_totals, share
from .orders import OrderError, _unreserve, current_quantity, get_order


def _line_of(order, sku=None, line_item_id=None):
    line = next((li for li in order["line_items"]
                 if li["id"] == int(line_item_id or 0) or (sku and li["sku"] == sku)), None)
    if line is None:
        raise OrderError("No such line item", ["lineItemId"], "NOT_FOUND")
    return line


def _open_fo_line(store, order, line):
    for fo_id in order["fulfillment_order_ids"]:
        fulfillment_order = store.fulfillment_orders[fo_id]
        if fulfillment_order["status"] in ("CLOSED", "CANCELLED"):
            continue
        for fo_line in fulfillment_order["line_items"]:
            if fo_line["line_item_id"] == line["id"]:
                return fulfillment_order, fo_line
    return None, None


def _remove(store, order, line, units):
    fulfillment_order, fo_line = _open_fo_line(store, order, line)
    if line["requires_shipping"] and (fo_line is None or fo_line["remaining_quantity"] < units):
        raise OrderError("Quantity is below what is fulfilled or refunded", ["quantity"],
                         "INVALID")
    gone = line["refunded_quantity"] + line["removed_quantity"]
    value = share(line_net(line), gone + units, line["quantity"]) - share(
        line_net(line), gone, line["quantity"])
    if not order["taxes_included"]:
        value += share(line_tax(line), gone + units, line["quantity"]) - share(
            line_tax(line), gone, line["quantity"])
    order["removed_value"] = fmt(dec(order["removed_value"]) + value)
    line["removed_quantity"] += units
    if fo_line is not None:
        fo_line["remaining_quantity"] -= units
        if line["inventory_item_id"]:
            _unreserve(store, line, fulfillment_order["location_id"], units)
        store.touch(fulfillment_order)


def _add(store, order, line, units):
    if line["discount_allocations"] or line["refunded_quantity"] or line["removed_quantity"]:
        raise OrderError("The sandbox adds units only to lines without discounts, refunds "
                         "or removals", ["lineItemId"])
    tax_defs = [{"title": t["title"], "rate": str(t["rate"]),
                 "channel_liable": t.get("channel_liable", False)} for t in line["tax_lines"]]
    line["quantity"] += units
    apply_taxes([line], [], tax_defs, order["taxes_included"])
    fulfillment_order, fo_line = _open_fo_line(store, order, line)
    if fo_line is not None:
        fo_line["total_quantity"] += units
        fo_line["remaining_quantity"] += units
        item = store.inventory_items.get(line["inventory_item_id"] or 0)
        if item and item["tracked"]:
            level = store.activate(item["id"], fulfillment_order["location_id"])
            store.change_quantity(level, "committed", units, announce=False)
            store.change_quantity(level, "available", -units)
        store.touch(fulfillment_order)


def edit_order(store, order_id, quantity, sku=None, line_item_id=None):
    """Set the current quantity of one line (by ``sku`` or ``line_item_id``); fires
    orders/updated. Returns the order."""
    with store.lock:
        order = get_order(store, order_id)
        if order["cancelled_at"]:
            raise OrderError("Order is cancelled", ["id"], "INVALID")
        line = _line_of(order, sku, line_item_id)
        wanted = int(quantity)
        if wanted < 0:
            raise OrderError("Quantity must be 0 or more", ["quantity"], "INVALID")
        delta = wanted - current_quantity(line)
        if delta < 0:
            _remove(store, order, line, -delta)
        elif delta > 0:
            _add(store, order, line, delta)
        recompute_totals(order)
        pay.update_financial_status(order)
        store.touch(order)
        store.emit("orders/updated", order)
        return order
