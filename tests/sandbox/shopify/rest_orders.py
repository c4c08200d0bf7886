"""REST JSON of orders, line items, transactions and refunds: the bodies of orders/create,
orders/updated, orders/paid, orders/cancelled and refunds/create, field for field as the REST
Admin ``Order``, ``Refund`` and ``Transaction`` resources (2024-10 and later), nulls where
Shopify sends nulls (fields the sandbox does not model: ``browser_ip``, ``client_details``,
``duties`` …). Money: two-decimal strings, each with its ``*_set`` twin
(``shop_money``/``presentment_money``, one currency here).
"""

from .order_money import ZERO, allocated, dec, fmt
from .store import gid, iso

FINANCIAL_STATUS = {"PENDING": "pending", "AUTHORIZED": "authorized", "PAID": "paid",
                    "PARTIALLY_PAID": "partially_paid", "PARTIALLY_REFUNDED":
                    "partially_refunded", "REFUNDED": "refunded", "VOIDED": "voided"}
FULFILLMENT_STATUS = {"UNFULFILLED": None, "PARTIALLY_FULFILLED": "partial",
                      "FULFILLED": "fulfilled", "RESTOCKED": "restocked"}
#: order money field -> REST key (each also gets ``<key>_set``)
ORDER_MONEY = ("total_price", "subtotal_price", "total_tax", "total_discounts",
               "total_line_items_price", "current_total_price", "current_subtotal_price",
               "current_total_tax", "current_total_discounts", "total_tip_received")


def price_set(amount, currency):
    """The REST ``*_set`` twin of an amount."""
    if amount is None:
        return None
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}


def _money(key, amount, currency):
    return {key: amount, key + "_set": price_set(amount, currency)}


def tax_lines_payload(tax_lines, currency):
    return [{"title": t["title"], "rate": t["rate"], "price": t["price"],
             "price_set": price_set(t["price"], currency),
             "channel_liable": t.get("channel_liable", False)} for t in tax_lines]


def allocations_payload(holder, currency):
    return [{"amount": a["amount"], "amount_set": price_set(a["amount"], currency),
             "discount_application_index": a["discount_application_index"]}
            for a in holder["discount_allocations"]]


def line_item_payload(order, line):
    currency = order["currency"]
    current = line["quantity"] - line["refunded_quantity"] - line.get("removed_quantity", 0)
    fulfilled = line["fulfilled_quantity"]
    payload = {
        "id": line["id"], "admin_graphql_api_id": gid("LineItem", line["id"]),
        "attributed_staffs": [], "current_quantity": current,
        "fulfillable_quantity": max(0, current - fulfilled) if line["requires_shipping"]
        else 0, "fulfillment_service": "manual",
        "fulfillment_status": ("not_eligible" if line.get("tip") else "fulfilled"
                               if fulfilled and fulfilled >= current else "partial"
                               if fulfilled else None),
        "gift_card": bool(line.get("gift_card")), "grams": line["grams"],
        "name": line["name"], "price": line["price"],
        "price_set": price_set(line["price"], currency),
        "product_exists": bool(line.get("product_exists")), "product_id": line["product_id"],
        "properties": [dict(p) for p in line.get("properties", [])],
        "quantity": line["quantity"], "requires_shipping": line["requires_shipping"],
        "sales_line_item_group_id": None, "sku": line["sku"], "taxable": line["taxable"],
        "title": line["title"], **_money("total_discount", fmt(allocated(line)), currency),
        "variant_id": line["variant_id"],
        "variant_inventory_management": "shopify" if line["variant_id"] else None,
        "variant_title": line["variant_title"], "vendor": line.get("vendor"),
        "tax_lines": tax_lines_payload(line["tax_lines"], currency), "duties": [],
        "discount_allocations": allocations_payload(line, currency),
    }
    if line.get("tip"):
        payload.update(tip={"payment_method": None, "payment_gateway": None},
                       tip_payment_gateway=None, tip_payment_method=None)
    return payload


def shipping_line_payload(order, shipping):
    currency = order["currency"]
    discounted = fmt(dec(shipping["price"]) - allocated(shipping))
    current = fmt(dec(discounted) - dec(shipping.get("refunded_amount")))
    return {"id": shipping["id"], "carrier_identifier": shipping.get("carrier_identifier"),
            "code": shipping["code"], "current_discounted_price_set": price_set(
                current, currency), **_money("discounted_price", discounted, currency),
            "discount_allocations": allocations_payload(shipping, currency),
            "is_removed": False, "phone": None, **_money("price", shipping["price"], currency),
            "requested_fulfillment_service_id": None, "source": shipping["source"],
            "title": shipping["title"],
            "tax_lines": tax_lines_payload(shipping["tax_lines"], currency)}


def discount_application_payload(application):
    payload = {"target_type": application["target_type"].lower(),
               "type": application["type"], "value": application["value"],
               "value_type": application["value_type"],
               "allocation_method": application["allocation_method"].lower(),
               "target_selection": application["target_selection"].lower()}
    if application["type"] == "discount_code":
        payload["code"] = application["code"]
    else:
        payload.update(title=application["title"], description=application["description"])
    return payload


def transaction_payload(order, transaction):
    currency = order["currency"]
    return {"id": transaction["id"], "order_id": order["id"],
            "admin_graphql_api_id": gid("OrderTransaction", transaction["id"]),
            "kind": transaction["kind"].lower(), "gateway": transaction["gateway"],
            "status": transaction["status"].lower(), "message": transaction.get("message"),
            "created_at": iso(transaction["created_at"]), "test": transaction["test"],
            "authorization": transaction.get("authorization"), "location_id": None,
            "user_id": None, "parent_id": transaction["parent_id"],
            "processed_at": iso(transaction.get("processed_at") or transaction["created_at"]),
            "device_id": None, "error_code": transaction.get("error_code"),
            "source_name": "web", "receipt": {}, "amount": transaction["amount"],
            "currency": currency, "payment_id": f"r{transaction['id']}",
            "total_unsettled_set": price_set("0.00", currency),
            "manual_payment_gateway": transaction["gateway"] not in (
                "shopify_payments", "gift_card")}


def _outstanding(order):
    paid = sum((dec(t["amount"]) * (-1 if t["kind"] == "REFUND" else 1)
                for t in order["transactions"] if t["status"] == "SUCCESS"
                and t["kind"] in ("SALE", "CAPTURE", "REFUND")), ZERO)
    return fmt(dec(order["current_total_price"]) - paid)


def order_payload(store, order):
    from .rest_payloads import address_payload, customer_payload, fulfillment_payload

    currency = order["currency"]
    customer = store.customers.get(order.get("customer_id"))
    payload = {
        "id": order["id"], "admin_graphql_api_id": gid("Order", order["id"]),
        "app_id": None, "browser_ip": None, "buyer_accepts_marketing": False,
        "cancel_reason": (order["cancel_reason"] or "").lower() or None,
        "cancelled_at": iso(order["cancelled_at"]), "cart_token": None, "checkout_id": None,
        "checkout_token": None, "client_details": None, "closed_at": iso(order["closed_at"]),
        "company": None, "confirmation_number": f"SBX{order['number']}", "confirmed": True,
        "contact_email": order.get("email"), "created_at": iso(order["created_at"]),
        "currency": currency, "current_total_additional_fees_set": None,
        "current_total_duties_set": None, "customer_locale": "en", "device_id": None,
        "discount_codes": [{"code": a["code"], "amount": a["amount"],
                            "type": "percentage" if a["value_type"] == "percentage"
                            else "shipping" if a["target_type"] == "SHIPPING_LINE"
                            else "fixed_amount"}
                           for a in order["discount_applications"] if a.get("code")],
        "duties_included": False, "email": order.get("email"), "estimated_taxes": False,
        "financial_status": FINANCIAL_STATUS.get(order["financial_status"]),
        "fulfillment_status": FULFILLMENT_STATUS.get(order["fulfillment_status"]),
        "landing_site": None, "landing_site_ref": None, "location_id": None,
        "merchant_business_entity_id": None, "merchant_of_record_app_id": None,
        "name": order["name"], "note": order.get("note"),
        "note_attributes": [dict(a) for a in order.get("note_attributes", [])],
        "number": order["number"] - 1000, "order_number": order["number"],
        "order_status_url": None, "original_total_additional_fees_set": None,
        "original_total_duties_set": None,
        "payment_gateway_names": list(order.get("payment_gateway_names")
                                      or [order["gateway"]]),
        "phone": order.get("phone"), "po_number": None, "presentment_currency": currency,
        "processed_at": iso(order["processed_at"]), "reference": None,
        "referring_site": None, "source_identifier": None,
        "source_name": order.get("source_name", "web"), "source_url": None,
        "tags": ", ".join(order["tags"]), "tax_exempt": False,
        "tax_lines": tax_lines_payload(order["tax_lines"], currency),
        "taxes_included": order["taxes_included"], "test": order["test"],
        "token": f"sandbox-{order['id']}",
        "total_cash_rounding_payment_adjustment_set": price_set("0.00", currency),
        "total_cash_rounding_refund_adjustment_set": price_set("0.00", currency),
        **_money("total_outstanding", _outstanding(order), currency),
        "total_shipping_price_set": price_set(order["total_shipping_price"], currency),
        "total_weight": sum(li["grams"] * li["quantity"] for li in order["line_items"]),
        "updated_at": iso(order["updated_at"]), "user_id": None,
        "billing_address": address_payload(order.get("billing_address")),
        "customer": customer_payload(store, customer) if customer else None,
        "discount_applications": [discount_application_payload(a)
                                  for a in order["discount_applications"]],
        "fulfillments": [fulfillment_payload(store, store.fulfillments[f])
                         for f in order["fulfillment_ids"]],
        "line_items": [line_item_payload(order, line) for line in order["line_items"]],
        "payment_terms": None,
        "refunds": [refund_payload(store, store.refunds[r]) for r in order["refund_ids"]],
        "shipping_address": address_payload(order.get("shipping_address")),
        "shipping_lines": [shipping_line_payload(order, s) for s in order["shipping_lines"]],
        "gateway": order["gateway"],
    }
    for field in ORDER_MONEY:
        payload.update(_money(field, order[field], currency))
    return payload


def refund_payload(store, refund):
    order = store.orders[refund["order_id"]]
    currency = order["currency"]
    lines = []
    for refund_line in refund["line_items"]:
        line = next(li for li in order["line_items"] if li["id"] == refund_line["line_item_id"])
        lines.append({
            "id": refund_line["id"], "line_item_id": line["id"],
            "location_id": refund_line["location_id"], "quantity": refund_line["quantity"],
            "restock_type": refund_line["restock_type"].lower(),
            **_money("subtotal", refund_line["subtotal"], currency),
            **_money("total_tax", refund_line["total_tax"], currency),
            "line_item": line_item_payload(order, line)})
    shipping_lines = []
    for ship_refund in refund.get("shipping_lines", []):
        ship = next(s for s in order["shipping_lines"]
                    if s["id"] == ship_refund["shipping_line_id"])
        shipping_lines.append({
            "id": ship_refund["id"], "shipping_line_id": ship["id"],
            "subtotal_amount_set": price_set(ship_refund["subtotal"], currency),
            "tax_amount_set": price_set(ship_refund["tax"], currency),
            "shipping_line": shipping_line_payload(order, ship)})
    adjustments = [{
        "id": adj["id"], "order_id": order["id"], "refund_id": refund["id"],
        "kind": adj["kind"].lower(), "reason": "Refund discrepancy",
        **_money("amount", adj["amount"], currency),
        **_money("tax_amount", adj["tax_amount"], currency)}
        for adj in refund.get("order_adjustments", [])]
    return {
        "id": refund["id"], "admin_graphql_api_id": gid("Refund", refund["id"]),
        "created_at": iso(refund["created_at"]), "note": refund.get("note"),
        "order_id": order["id"], "processed_at": iso(refund["processed_at"]),
        "restock": any(line["restocked"] for line in refund["line_items"]),
        "total_duties_set": price_set("0.00", currency), "user_id": None,
        "order_adjustments": adjustments,
        "transactions": [transaction_payload(order, t) for t in refund["transactions"]],
        "refund_line_items": lines, "refund_shipping_lines": shipping_lines,
        "duties": [], "return": None,
    }
