"""Refunds as Shopify shapes them (API 2024-10+).

A refund holds:

- ``refund_line_items``: per refunded line, ``subtotal`` = the line's discounted amount for
  the refunded units (its share of ``price × quantity − discount allocations``, cumulative so
  the last refund takes exactly what is left) and ``total_tax`` = the share of its tax lines;
  ``restock_type`` says what happens to the goods (below);
- ``refund_shipping_lines``: refunded shipping per shipping line (full, or a partial amount
  spread over the shipping lines in order), with its share of the shipping tax;
- ``transactions``: one ``REFUND`` per gateway, parent = that gateway's sale/capture. By
  default the refund pays back the calculated amount (lines + taxes when excluded + shipping),
  split as Shopify suggests (see ``payments.suggest_refund``); an explicit ``transactions``
  list or an ``amount`` override refunds something else (a restocking fee kept, a goodwill
  refund without lines);
- ``order_adjustments``: the difference between calculated and refunded amounts as one entry
  of kind ``refund_discrepancy``: ``amount = calculated − refunded`` (positive when the shop
  kept money, negative for a goodwill refund), so that
  ``Σ transactions = Σ lines (+ their taxes when excluded) + Σ shipping (+ tax) − Σ
  adjustments``.

Restock types: ``CANCEL`` releases units not yet shipped (committed → available; an error if
fewer are unshipped), ``RETURN`` puts shipped units back on hand at the location (any unshipped
part is released as for CANCEL), ``NO_RESTOCK`` takes the unshipped units out of the
fulfillment order without putting them back (committed and on hand go down). Every refunded
unit lowers the line's ``current_quantity`` and leaves the fulfillment order first.
On an order nothing was paid for, no transaction is made: the refunded value leaves the order
(``current_total_price``) as an edit's removal would.
"""

from . import payments as pay
from .order_money import ZERO, dec, fmt, line_net, recompute_totals, share
from .orders import _line, _unreserve, current_quantity, get_order
from .orders_errors import OrderError
from .store import utcnow

RESTOCK_TYPES = ("NO_RESTOCK", "CANCEL", "RETURN", "LEGACY_RESTOCK")
#: RefundInput.discrepancyReason (input enum) -> OrderAdjustment.reason (output enum)
DISCREPANCY_REASONS = {"RESTOCK": "RESTOCK", "DAMAGE": "DAMAGE", "CUSTOMER": "CUSTOMER",
                       "OTHER": "REFUND_DISCREPANCY", "REFUND_DISCREPANCY": "REFUND_DISCREPANCY"}


def _line_refund(store, order, spec, index):
    field = ["refundLineItems", str(index)]
    line = _line(order, spec.get("line_item_id") or 0)
    if line is None:
        raise OrderError("Line item does not belong to the order", [*field, "lineItemId"])
    quantity = int(spec.get("quantity", 0))
    if quantity <= 0 or quantity > current_quantity(line):
        raise OrderError(f"Quantity cannot refund more items than were purchased "
                         f"(line item {line['id']})", [*field, "quantity"])
    restock_type = str(spec.get("restock_type") or "NO_RESTOCK").upper()
    if restock_type not in RESTOCK_TYPES:
        raise OrderError(f"Unknown restock type {restock_type}", [*field, "restockType"])
    if restock_type == "CANCEL" and quantity > _unshipped(store, order, line):
        raise OrderError(f"Only {_unshipped(store, order, line)} unit(s) of line item "
                         f"{line['id']} are not yet fulfilled: restock the shipped ones as "
                         "RETURN", [*field, "restockType"])
    gone = line["refunded_quantity"] + line.get("removed_quantity", 0)
    net = line_net(line)
    subtotal = share(net, gone + quantity, line["quantity"]) - share(net, gone,
                                                                      line["quantity"])
    taxes = [share(t["price"], gone + quantity, line["quantity"])
             - share(t["price"], gone, line["quantity"]) for t in line["tax_lines"]]
    location_id = int(spec.get("location_id") or order["location_id"])
    return {"_type": "RefundLineItem", "id": store.next_id(), "line_item_id": line["id"],
            "quantity": quantity, "restock_type": restock_type,
            "restocked": restock_type != "NO_RESTOCK", "location_id": location_id,
            "subtotal": fmt(subtotal), "total_tax": fmt(sum(taxes, ZERO)),
            "_line": line}


def _unshipped(store, order, line):
    return sum(fo_line["remaining_quantity"] for fo_id in order["fulfillment_order_ids"]
               for fo_line in store.fulfillment_orders[fo_id]["line_items"]
               if fo_line["line_item_id"] == line["id"])


def _shipping_refunds(store, order, shipping):
    """``shipping``: ``{"full_refund": True}`` or ``{"amount": "x"}`` (tax follows)."""
    shipping = shipping or {}
    full = bool(shipping.get("full_refund") or shipping.get("fullRefund"))
    amount = shipping.get("amount")
    if not full and amount in (None, ""):
        return []
    rests = []
    for ship in order["shipping_lines"]:
        net = dec(ship["price"]) - sum((dec(a["amount"]) for a in ship["discount_allocations"]),
                                       ZERO)
        tax = sum((dec(t["price"]) for t in ship["tax_lines"]), ZERO)
        rests.append((ship, net, tax, net - dec(ship.get("refunded_amount")),
                      tax - dec(ship.get("refunded_tax"))))
    wanted = sum((r[3] for r in rests), ZERO) if full else dec(amount)
    if wanted < 0 or wanted > sum((r[3] for r in rests), ZERO):
        raise OrderError(f"Shipping refund {fmt(wanted)} exceeds the refundable shipping "
                         f"{fmt(sum((r[3] for r in rests), ZERO))}", ["shipping", "amount"])
    result = []
    for ship, net, tax, rest, tax_rest in rests:
        take = min(rest, wanted)
        if take <= 0:
            continue
        wanted -= take
        tax_part = tax_rest if take == rest else min(tax_rest, dec(fmt(tax * take / net)))
        result.append({"_type": "RefundShippingLine", "id": store.next_id(),
                       "shipping_line_id": ship["id"], "subtotal": fmt(take),
                       "tax": fmt(tax_part)})
    return result


def _restock(store, order, line, quantity, restock_type, location_id):
    """Take refunded units out of the fulfillment order, then move stock by restock type."""
    from_unshipped = min(quantity, _unshipped(store, order, line))
    left = from_unshipped
    for fo_id in order["fulfillment_order_ids"]:
        fulfillment_order = store.fulfillment_orders[fo_id]
        for fo_line in fulfillment_order["line_items"]:
            if fo_line["line_item_id"] != line["id"] or not left:
                continue
            take = min(left, fo_line["remaining_quantity"])
            fo_line["remaining_quantity"] -= take
            left -= take
            if restock_type == "NO_RESTOCK":
                level = store.levels.get((line["inventory_item_id"],
                                          fulfillment_order["location_id"]))
                if level and take:
                    store.change_quantity(level, "committed", -take)
            else:
                _unreserve(store, line, fulfillment_order["location_id"], take)
            if not any(x["remaining_quantity"] for x in fulfillment_order["line_items"]):
                fulfillment_order["status"] = "CLOSED"
            store.touch(fulfillment_order)
    shipped_back = quantity - from_unshipped
    if restock_type in ("RETURN", "LEGACY_RESTOCK") and shipped_back:
        level = store.levels.get((line["inventory_item_id"], location_id))
        if level:
            store.change_quantity(level, "available", shipped_back)


def _plan_transactions(order, calculated, transactions, amount):
    if transactions:
        return pay.explicit_refund(order, transactions)
    wanted = calculated if amount in (None, "") else dec(amount)
    if amount in (None, ""):
        wanted = min(wanted, max(pay.net_paid(order), ZERO))
    return pay.suggest_refund(order, wanted) if wanted > 0 else []


def create_refund(store, order_id, lines=(), *, shipping=None, shipping_full=False,
                  shipping_amount=None, note=None, transactions=None, amount=None,
                  discrepancy_reason=None, announce_order=True, dry_run=False):
    """Refund lines, shipping and/or money of an order (see the module docstring).

    ``lines``: ``[{"line_item_id", "quantity", "restock_type", "location_id"?}]``;
    ``shipping``: ``{"full_refund": True}`` | ``{"amount": "4.90"}`` (legacy
    ``shipping_full``/``shipping_amount`` still work); ``transactions``: ``[{"gateway",
    "amount", "parent_id"?}]``; ``amount``: refund this total instead of the calculated one.
    Fires refunds/create and orders/updated. Returns the refund record; with ``dry_run``
    only what Shopify's refund calculation answers (``calculated`` amount, ``transactions``
    plan), nothing changed.
    """
    with store.lock:
        order = get_order(store, order_id)
        if shipping is None and (shipping_full or shipping_amount not in (None, "")):
            shipping = {"full_refund": True} if shipping_full else {"amount": shipping_amount}
        refund_lines = [_line_refund(store, order, spec, i) for i, spec in enumerate(lines)]
        seen = [rl["line_item_id"] for rl in refund_lines]
        if len(seen) != len(set(seen)):
            raise OrderError("A line item can appear once per refund", ["refundLineItems"])
        ship_refunds = _shipping_refunds(store, order, shipping)
        included = order["taxes_included"]
        calculated = sum((dec(r["subtotal"]) + (0 if included else dec(r["total_tax"]))
                          for r in refund_lines), ZERO) + sum(
            (dec(s["subtotal"]) + (0 if included else dec(s["tax"])) for s in ship_refunds),
            ZERO)
        plan = _plan_transactions(order, calculated, transactions, amount)
        if dry_run:
            return {"calculated": fmt(calculated), "amount": fmt(sum(
                (p["amount"] for p in plan), ZERO)), "transactions": [
                dict(p, amount=fmt(p["amount"])) for p in plan],
                "refund_line_items": [{k: v for k, v in r.items() if k != "_line"}
                                      for r in refund_lines],
                "refund_shipping_lines": ship_refunds}
        if not plan and not refund_lines and not ship_refunds:
            raise OrderError("The refund has no line, no shipping and no amount",
                             ["refundLineItems"])
        for refund_line in refund_lines:  # all checks done: now change state
            line = refund_line.pop("_line")
            _restock(store, order, line, refund_line["quantity"], refund_line["restock_type"],
                     refund_line["location_id"])
            line["refunded_quantity"] += refund_line["quantity"]
        for ship_refund in ship_refunds:
            ship = next(s for s in order["shipping_lines"]
                        if s["id"] == ship_refund["shipping_line_id"])
            ship["refunded_amount"] = fmt(dec(ship.get("refunded_amount"))
                                          + dec(ship_refund["subtotal"]))
            ship["refunded_tax"] = fmt(dec(ship.get("refunded_tax")) + dec(ship_refund["tax"]))
            order["refunded_shipping"] = fmt(dec(order["refunded_shipping"])
                                             + dec(ship_refund["subtotal"]))
            order["refunded_shipping_tax"] = fmt(dec(order["refunded_shipping_tax"])
                                                 + dec(ship_refund["tax"]))
        made = [pay.add_transaction(store, order, "REFUND", p["amount"], p["gateway"],
                                    p["parent_id"]) for p in plan]
        refunded = sum((dec(t["amount"]) for t in made), ZERO)
        adjustments = []
        if not made and not pay.paid_amount(order):
            order["removed_value"] = fmt(dec(order["removed_value"]) + calculated)
        elif calculated - refunded and (transactions or amount not in (None, "")):
            adjustments.append({
                "_type": "OrderAdjustment", "id": store.next_id(),
                "kind": "REFUND_DISCREPANCY", "amount": fmt(calculated - refunded),
                "tax_amount": "0.00", "reason": DISCREPANCY_REASONS.get(
                    str(discrepancy_reason or "").upper(),
                    "RESTOCK" if calculated > refunded else "CUSTOMER")})
        elif calculated - refunded:  # paid less than the lines are worth: never charged
            order["removed_value"] = fmt(dec(order["removed_value"]) + calculated - refunded)
        refund = store.insert(
            "refunds", "Refund", order_id=order["id"], note=note, line_items=refund_lines,
            shipping_lines=ship_refunds, order_adjustments=adjustments, transactions=made,
            total_refunded=fmt(refunded), shipping=fmt(sum(
                (dec(s["subtotal"]) for s in ship_refunds), ZERO)), processed_at=utcnow(),
            duties=[])
        order["refund_ids"].append(refund["id"])
        order["total_refunded"] = fmt(dec(order["total_refunded"]) + refunded)
        recompute_totals(order)
        if made:
            pay.update_financial_status(order)
        store.touch(order)
        store.emit("refunds/create", refund)
        if announce_order:
            store.emit("orders/updated", order)
        return refund
