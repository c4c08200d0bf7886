"""REST-shaped JSON of store records, the body of webhook deliveries.

Numeric ids stay ints, amounts are strings, timestamps ISO-8601, every resource carries its
``admin_graphql_api_id``, and ``*_set`` twins hold ``shop_money``/``presentment_money``, as in
section 4.3 of the contract. ``PAYLOAD_BUILDERS`` maps a topic's resource to its builder.
"""

from .store import gid, iso, level_gid

FINANCIAL_STATUS = {"PENDING": "pending", "AUTHORIZED": "authorized", "PAID": "paid",
                    "PARTIALLY_PAID": "partially_paid", "PARTIALLY_REFUNDED":
                    "partially_refunded", "REFUNDED": "refunded", "VOIDED": "voided"}
FULFILLMENT_STATUS = {"UNFULFILLED": None, "PARTIALLY_FULFILLED": "partial",
                      "FULFILLED": "fulfilled", "RESTOCKED": "restocked"}


def price_set(amount, currency):
    """The REST ``*_set`` twin of an amount."""
    return {"shop_money": {"amount": amount, "currency_code": currency},
            "presentment_money": {"amount": amount, "currency_code": currency}}


def address_payload(address):
    if not address:
        return None
    keys = ("first_name", "last_name", "name", "company", "address1", "address2", "city",
            "province", "province_code", "zip", "country", "country_code", "phone",
            "latitude", "longitude")
    return {key: address.get(key) for key in keys}


def tax_lines_payload(tax_lines, currency):
    return [{"title": t["title"], "rate": t["rate"], "price": t["price"],
             "price_set": price_set(t["price"], currency)} for t in tax_lines]


def customer_payload(store, customer):
    addresses = [dict(address_payload(a), id=a["id"]) for a in customer.get("addresses", [])]
    return {
        "id": customer["id"], "admin_graphql_api_id": gid("Customer", customer["id"]),
        "email": customer.get("email"), "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"), "phone": customer.get("phone"),
        "state": (customer.get("state") or "enabled").lower(),
        "tags": ", ".join(customer.get("tags", [])), "note": customer.get("note"),
        "currency": store.currency, "created_at": iso(customer["created_at"]),
        "updated_at": iso(customer["updated_at"]), "addresses": addresses,
        "default_address": addresses[0] if addresses else None,
    }


def line_item_payload(order, line):
    currency = order["currency"]
    discount = sum(float(a["amount"]) for a in line["discount_allocations"])
    return {
        "id": line["id"], "admin_graphql_api_id": gid("LineItem", line["id"]),
        "variant_id": line["variant_id"], "product_id": line["product_id"], "sku": line["sku"],
        "title": line["title"], "variant_title": line["variant_title"], "name": line["name"],
        "vendor": line.get("vendor"), "quantity": line["quantity"],
        "current_quantity": line["quantity"] - line["refunded_quantity"],
        "fulfillable_quantity": max(0, line["quantity"] - line["fulfilled_quantity"]
                                    - line["refunded_quantity"]),
        "price": line["price"], "price_set": price_set(line["price"], currency),
        "total_discount": f"{discount:.2f}",
        "discount_allocations": [
            {"amount": a["amount"], "discount_application_index":
             a["discount_application_index"], "amount_set": price_set(a["amount"], currency)}
            for a in line["discount_allocations"]],
        "tax_lines": tax_lines_payload(line["tax_lines"], currency),
        "taxable": line["taxable"], "requires_shipping": line["requires_shipping"],
        "grams": line["grams"], "gift_card": False, "properties": [],
        "fulfillment_status": ("fulfilled" if line["fulfilled_quantity"] >= line["quantity"]
                               else "partial" if line["fulfilled_quantity"] else None),
    }


def order_payload(store, order):
    currency = order["currency"]
    customer = store.customers.get(order.get("customer_id"))
    money_fields = ("total_price", "subtotal_price", "total_tax", "total_discounts",
                    "total_line_items_price", "current_total_price", "total_shipping_price")
    payload = {
        "id": order["id"], "admin_graphql_api_id": gid("Order", order["id"]),
        "name": order["name"], "order_number": order["number"],
        "number": order["number"] - 1000, "email": order.get("email"),
        "contact_email": order.get("email"), "phone": order.get("phone"),
        "created_at": iso(order["created_at"]), "updated_at": iso(order["updated_at"]),
        "processed_at": iso(order["processed_at"]),
        "cancelled_at": iso(order["cancelled_at"]),
        "cancel_reason": (order["cancel_reason"] or "").lower() or None,
        "closed_at": iso(order["closed_at"]), "currency": currency,
        "presentment_currency": currency, "taxes_included": order["taxes_included"],
        "test": order["test"], "tags": ", ".join(order["tags"]), "note": order.get("note"),
        "note_attributes": [],
        "financial_status": FINANCIAL_STATUS.get(order["financial_status"]),
        "fulfillment_status": FULFILLMENT_STATUS.get(order["fulfillment_status"]),
        "gateway": order["gateway"], "payment_gateway_names": [order["gateway"]],
        "tax_lines": tax_lines_payload(order["tax_lines"], currency),
        "discount_codes": [{"code": a["code"], "amount": a["amount"],
                            "type": a["value_type"]}
                           for a in order["discount_applications"] if a.get("code")],
        "discount_applications": [
            {"type": "discount_code" if a.get("code") else "manual", "value": a["value"],
             "value_type": a["value_type"], "allocation_method": a["allocation_method"].lower(),
             "target_selection": a["target_selection"].lower(),
             "target_type": a["target_type"].lower(),
             **({"code": a["code"]} if a.get("code") else {"title": a["title"]})}
            for a in order["discount_applications"]],
        "line_items": [line_item_payload(order, line) for line in order["line_items"]],
        "shipping_lines": [
            {"id": s["id"], "title": s["title"], "code": s["code"], "price": s["price"],
             "price_set": price_set(s["price"], currency), "discounted_price": s["price"],
             "source": s["source"], "tax_lines": tax_lines_payload(s["tax_lines"], currency)}
            for s in order["shipping_lines"]],
        "billing_address": address_payload(order.get("billing_address")),
        "shipping_address": address_payload(order.get("shipping_address")),
        "customer": customer_payload(store, customer) if customer else None,
        "fulfillments": [fulfillment_payload(store, store.fulfillments[f])
                         for f in order["fulfillment_ids"]],
        "refunds": [refund_payload(store, store.refunds[r]) for r in order["refund_ids"]],
    }
    for field in money_fields:
        payload[field] = order[field]
        payload[field + "_set"] = price_set(order[field], currency)
    return payload


def transaction_payload(order, transaction):
    return {"id": transaction["id"], "order_id": order["id"],
            "admin_graphql_api_id": gid("OrderTransaction", transaction["id"]),
            "kind": transaction["kind"].lower(), "gateway": transaction["gateway"],
            "status": transaction["status"].lower(), "amount": transaction["amount"],
            "currency": order["currency"], "parent_id": transaction["parent_id"],
            "created_at": iso(transaction["created_at"]), "test": transaction["test"]}


def refund_payload(store, refund):
    order = store.orders[refund["order_id"]]
    currency = order["currency"]
    lines = []
    for refund_line in refund["line_items"]:
        line = next(li for li in order["line_items"] if li["id"] == refund_line["line_item_id"])
        lines.append({
            "id": refund_line["id"], "line_item_id": line["id"],
            "quantity": refund_line["quantity"], "location_id": refund_line["location_id"],
            "restock_type": refund_line["restock_type"].lower(),
            "subtotal": refund_line["subtotal"], "total_tax": refund_line["total_tax"],
            "subtotal_set": price_set(refund_line["subtotal"], currency),
            "total_tax_set": price_set(refund_line["total_tax"], currency),
            "line_item": line_item_payload(order, line)})
    return {
        "id": refund["id"], "admin_graphql_api_id": gid("Refund", refund["id"]),
        "order_id": order["id"], "created_at": iso(refund["created_at"]),
        "processed_at": iso(refund["processed_at"]), "note": refund.get("note"),
        "restock": any(line["restocked"] for line in refund["line_items"]), "user_id": None,
        "refund_line_items": lines,
        "transactions": [transaction_payload(order, t) for t in refund["transactions"]],
        "order_adjustments": [],
    }


def fulfillment_payload(store, fulfillment):
    order = store.orders[fulfillment["order_id"]]
    tracking = fulfillment["tracking"][0] if fulfillment["tracking"] else {}
    lines = [dict(line_item_payload(order, next(
        li for li in order["line_items"] if li["id"] == fl["line_item_id"])),
        quantity=fl["quantity"]) for fl in fulfillment["line_items"]]
    return {
        "id": fulfillment["id"], "admin_graphql_api_id": gid("Fulfillment", fulfillment["id"]),
        "order_id": order["id"], "name": fulfillment["name"],
        "status": fulfillment["status"].lower(), "location_id": fulfillment["location_id"],
        "created_at": iso(fulfillment["created_at"]),
        "updated_at": iso(fulfillment["updated_at"]),
        "tracking_company": tracking.get("company"), "tracking_number": tracking.get("number"),
        "tracking_numbers": [t.get("number") for t in fulfillment["tracking"]],
        "tracking_url": tracking.get("url"),
        "tracking_urls": [t.get("url") for t in fulfillment["tracking"]],
        "line_items": lines,
    }


def product_payload(store, product):
    variants = []
    for variant_id in product["variant_ids"]:
        variant = store.variants[variant_id]
        values = [o["value"] for o in variant["selected_options"]] + [None, None, None]
        variants.append({
            "id": variant["id"], "admin_graphql_api_id": gid("ProductVariant", variant["id"]),
            "product_id": product["id"], "title": store.variant_title(variant),
            "price": variant["price"], "compare_at_price": variant["compare_at_price"],
            "sku": variant.get("sku"), "barcode": variant.get("barcode"),
            "inventory_item_id": variant["inventory_item_id"],
            "inventory_quantity": store.inventory_quantity(variant),
            "inventory_policy": variant["inventory_policy"].lower(),
            "taxable": variant["taxable"], "position": variant["position"],
            "option1": values[0], "option2": values[1], "option3": values[2],
            "created_at": iso(variant["created_at"]), "updated_at": iso(variant["updated_at"])})
    return {
        "id": product["id"], "admin_graphql_api_id": gid("Product", product["id"]),
        "title": product["title"], "handle": product["handle"],
        "status": product["status"].lower(), "vendor": product["vendor"],
        "product_type": product["product_type"], "tags": ", ".join(product["tags"]),
        "body_html": product["description_html"], "created_at": iso(product["created_at"]),
        "updated_at": iso(product["updated_at"]), "variants": variants,
        "options": [{"id": o["id"], "product_id": product["id"], "name": o["name"],
                     "position": o["position"], "values": o["values"]}
                    for o in product["options"]],
        "images": [],
    }


def inventory_level_payload(store, level):
    return {"inventory_item_id": level["item_id"], "location_id": level["location_id"],
            "available": level["quantities"]["available"],
            "updated_at": iso(level["updated_at"]),
            "admin_graphql_api_id": level_gid(level["location_id"], level["item_id"])}


def shop_payload(store, shop):
    return {"id": shop["id"], "name": shop["name"], "email": shop["email"],
            "domain": shop["myshopify_domain"], "myshopify_domain": shop["myshopify_domain"],
            "plan_name": shop["plan_name"], "currency": shop["currency"],
            "iana_timezone": shop["iana_timezone"]}


def bulk_operation_payload(store, operation):
    return {"admin_graphql_api_id": gid("BulkOperation", operation["id"]),
            "completed_at": iso(operation.get("completed_at")),
            "created_at": iso(operation["created_at"]),
            "error_code": (operation.get("error_code") or "").lower() or None,
            "status": operation["status"].lower(), "type": operation["type"].lower()}


#: record ``_type`` -> REST payload builder
PAYLOAD_BUILDERS = {
    "Order": order_payload, "Refund": refund_payload, "Fulfillment": fulfillment_payload,
    "Product": product_payload, "Customer": customer_payload,
    "InventoryLevel": inventory_level_payload, "Shop": shop_payload,
    "BulkOperation": bulk_operation_payload,
}


def rest_payload(store, record):
    """REST JSON (a dict) of any record that a webhook topic can carry."""
    return PAYLOAD_BUILDERS[record["_type"]](store, record)
