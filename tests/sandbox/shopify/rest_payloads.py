"""REST-shaped JSON of store records, the body of webhook deliveries.

Numeric ids stay ints, amounts are strings, timestamps ISO-8601, every resource carries its
``admin_graphql_api_id``, and ``*_set`` twins hold ``shop_money``/``presentment_money``, as in
section 4.3 of the contract. ``PAYLOAD_BUILDERS`` maps a topic's resource to its builder.
"""

from .rest_orders import line_item_payload, order_payload, price_set, refund_payload
from .store import gid, iso, level_gid

__all__ = ["price_set", "rest_payload"]

def address_payload(address):
    if not address:
        return None
    keys = ("first_name", "last_name", "name", "company", "address1", "address2", "city",
            "province", "province_code", "zip", "country", "country_code", "phone",
            "latitude", "longitude")
    return {key: address.get(key) for key in keys}


def customer_payload(store, customer):
    addresses = [dict(address_payload(a), id=a["id"]) for a in customer.get("addresses", [])]
    return {
        "id": customer["id"], "admin_graphql_api_id": gid("Customer", customer["id"]),
        "email": customer.get("email"), "first_name": customer.get("first_name"),
        "last_name": customer.get("last_name"), "phone": customer.get("phone"),
        "state": (customer.get("state") or "enabled").lower(),
        "tags": ", ".join(customer.get("tags", [])), "note": customer.get("note"),
        "currency": store.currency, "created_at": iso(customer["created_at"]),
        "verified_email": True, "tax_exempt": False, "tax_exemptions": [],
        "multipass_identifier": None, "email_marketing_consent": {
            "state": (customer.get("marketing_state") or "NOT_SUBSCRIBED").lower(),
            "opt_in_level": None, "consent_updated_at": None},
        "sms_marketing_consent": None,
        "updated_at": iso(customer["updated_at"]), "addresses": addresses,
        "default_address": addresses[0] if addresses else None,
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
