"""Line items and shipping lines of a new order, from ``place_order`` specs.

A line spec is one of:

- a catalogue item: ``{"sku"|"variant_id", "quantity", "price"?, "properties"?: [{name,
  value}], "discounts"?: [{"amount"|"percentage", "title"|"code"}]}``;
- a custom item (no product, no variant, no SKU): ``{"title", "price", "quantity",
  "taxable"?: True, "requires_shipping"?: True}``;
- a gift card sold: ``{"gift_card": True, "title", "price", "quantity"?}`` (not taxable, not
  shipped, not discounted).

A tip becomes a line too, as Shopify records it (title "Tip", no product, not taxable, not
shipped, fulfillment status ``not_eligible``), and ``total_tip_received`` on the order.
"""

from .order_money import cents, dec, fmt
from .orders_errors import OrderError


def _base(store, **fields):
    line = {"_type": "LineItem", "id": store.next_id(), "variant_id": None, "product_id": None,
            "sku": None, "variant_title": None, "vendor": None, "taxable": True,
            "requires_shipping": True, "grams": 0, "gift_card": False, "tip": False,
            "properties": [], "product_exists": False, "discount_allocations": [],
            "tax_lines": [], "fulfilled_quantity": 0, "refunded_quantity": 0,
            "removed_quantity": 0, "inventory_item_id": None, "duties": []}
    line.update(fields)
    line.setdefault("name", line["title"])
    return line


def _quantity(spec, field):
    quantity = int(spec.get("quantity", 1))
    if quantity <= 0:
        raise OrderError("Quantity must be at least 1", [*field, "quantity"])
    return quantity


def _price(spec, field, default=None):
    value = spec.get("price", default)
    if value in (None, "") or dec(value) < 0:
        raise OrderError("A price of 0 or more is required", [*field, "price"])
    return fmt(cents(value))


def _properties(spec, field):
    properties = spec.get("properties") or []
    if not all(isinstance(p, dict) and "name" in p for p in properties):
        raise OrderError("Properties are [{name, value}]", [*field, "properties"])
    return [{"name": str(p["name"]), "value": p.get("value")} for p in properties]


def build_line(store, spec, index):
    field = ["line_items", str(index)]
    if spec.get("gift_card"):
        return _base(store, title=spec.get("title") or "Gift Card",
                     quantity=_quantity(spec, field), price=_price(spec, field),
                     taxable=False, requires_shipping=False, gift_card=True,
                     properties=_properties(spec, field))
    if not spec.get("sku") and not spec.get("variant_id"):
        if not spec.get("title"):
            raise OrderError("A custom line item needs a title (or give a sku/variant_id)",
                             [*field, "title"])
        return _base(store, title=spec["title"], quantity=_quantity(spec, field),
                     price=_price(spec, field), taxable=bool(spec.get("taxable", True)),
                     requires_shipping=bool(spec.get("requires_shipping", True)),
                     properties=_properties(spec, field))
    variant = (store.variants.get(int(spec["variant_id"])) if spec.get("variant_id")
               else store.variant_by_sku(spec.get("sku")))
    if variant is None:
        raise OrderError(f"Unknown variant {spec.get('sku') or spec.get('variant_id')}",
                         field)
    product = store.products[variant["product_id"]]
    variant_title = store.variant_title(variant)
    return _base(
        store, variant_id=variant["id"], product_id=product["id"], sku=variant.get("sku"),
        title=product["title"], variant_title=variant_title, vendor=product.get("vendor"),
        name=product["title"] if variant_title == "Default Title"
        else f"{product['title']} - {variant_title}",
        quantity=_quantity(spec, field), price=_price(spec, field, variant["price"]),
        taxable=variant["taxable"], grams=200, product_exists=True,
        properties=_properties(spec, field), inventory_item_id=variant["inventory_item_id"])


def tip_line(store, amount):
    return _base(store, title="Tip", quantity=1, price=fmt(cents(amount)), taxable=False,
                 requires_shipping=False, tip=True)


def shipping_lines(store, shipping):
    """``shipping``: a dict or a list of ``{"title", "code", "price", "taxable"?}``."""
    specs = [shipping] if isinstance(shipping, dict) else list(shipping or [])
    return [{"_type": "ShippingLine", "id": store.next_id(),
             "title": spec.get("title", "Standard"), "code": spec.get("code", "STD"),
             "source": spec.get("source", "shopify"), "price": fmt(cents(spec.get("price"))),
             "taxable": bool(spec.get("taxable", True)), "discount_allocations": [],
             "tax_lines": [], "carrier_identifier": None}
            for spec in specs]
