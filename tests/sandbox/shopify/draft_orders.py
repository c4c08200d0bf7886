"""Draft orders: created through the control API (``POST /_sandbox/draft_orders``), read over
GraphQL with ``draftOrder(id:)`` and ``draftOrders`` (scope ``read_draft_orders``).

A draft order is priced like a placed order (``order_lines``, ``order_money``): lines from the
catalogue or custom, taxes per line and per tax rounded half up, shipping. Discounts follow
Shopify's draft order model: one ``applied_discount`` per line and one for the whole draft,
``{"value_type": "percentage"|"fixed_amount", "value", "title"?, "description"?}``; a
line's fixed amount is per unit (Shopify's REST ``applied_discount``), the draft's fixed
amount is spread over the lines in proportion. Names are ``#D1``, ``#D2``…; status ``OPEN``
or ``INVOICE_SENT`` (completion into an order is not modelled, so ``order`` is null).
No draft order webhooks are fired.
"""

import uuid
from decimal import Decimal

from .connections import paginate, search
from .order_lines import build_line, shipping_lines
from .order_money import apply_discounts, apply_taxes, cents, dec, fmt, recompute_totals
from .orders import _resolve_customer, _tax_defs
from .orders_errors import OrderError
from .resolvers import connection, currency_of, money_bag, money_v2, store_of
from .store import gid, parse_gid

STATUSES = ("OPEN", "INVOICE_SENT")


def _discount_spec(applied, quantity=1):
    """An ``applied_discount`` as an ``order_money`` discount spec."""
    value_type = str(applied.get("value_type") or "fixed_amount").lower()
    spec = {"title": applied.get("title") or "Custom discount",
            "description": applied.get("description") or ""}
    if value_type == "percentage":
        spec["percentage"] = str(dec(applied.get("value")))
    elif value_type == "fixed_amount":
        spec["amount"] = str(cents(dec(applied.get("value")) * quantity))
    else:
        raise OrderError("value_type is percentage or fixed_amount", ["applied_discount"])
    return spec


def _applied(applied, application):
    if not applied:
        return None
    return {"title": applied.get("title"), "description": applied.get("description") or "",
            "value": float(dec(applied.get("value"))),
            "value_type": str(applied.get("value_type") or "fixed_amount").upper(),
            "amount": application["amount"] if application else "0.00"}


def create_draft_order(store, line_items, *, customer=None, email=None, phone=None,
                       applied_discount=None, shipping=None, tax_lines=None, tax_rate=None,
                       tax_title="VAT", taxes_included=None, tax_exempt=False,
                       shipping_address=None, billing_address=None, note=None, tags=(),
                       custom_attributes=None, po_number=None, status="OPEN",
                       source_name="shopify_draft_order"):
    """Create a draft order (see the module docstring); returns its record."""
    status = str(status or "OPEN").upper()
    if status not in STATUSES:
        raise OrderError(f"status is one of {', '.join(STATUSES)}", ["status"])
    with store.lock:
        if not line_items:
            raise OrderError("A draft order needs at least one line item", ["line_items"])
        customer_record = _resolve_customer(store, customer, email)
        included = store.shop["taxes_included"] if taxes_included is None else taxes_included
        lines = [build_line(store, spec, index) for index, spec in enumerate(line_items)]
        for line in lines:
            line.update(_type="DraftOrderLineItem", uuid=str(uuid.uuid4()),
                        custom=line["variant_id"] is None,
                        custom_attributes=[{"key": p["name"], "value": p["value"]}
                                           for p in line.pop("properties")])
        ships = shipping_lines(store, shipping)[:1]  # a draft has one shipping line
        line_specs = [[_discount_spec(s["applied_discount"], line["quantity"])]
                      if s.get("applied_discount") else [] for s, line in zip(
                          line_items, lines, strict=True)]
        draft_specs = [dict(_discount_spec(applied_discount), target="line_item",
                            allocation="across")] if applied_discount else []
        applications = apply_discounts(lines, ships, line_specs, draft_specs)
        apply_taxes(lines, ships, [] if tax_exempt else _tax_defs(tax_lines, tax_rate,
                                                                    tax_title), included)
        for line, spec in zip(lines, line_items, strict=True):
            own = next((applications[a["discount_application_index"]]
                        for a in line["discount_allocations"]
                        if applications[a["discount_application_index"]][
                            "target_selection"] == "EXPLICIT"), None)
            line["applied_discount"] = _applied(spec.get("applied_discount"), own)
        draft_application = next((a for a in applications if a["target_selection"] == "ALL"),
                                 None)
        store.draft_order_number += 1
        number = store.draft_order_number
        address = shipping_address
        if address is None and customer_record and customer_record.get("addresses"):
            address = customer_record["addresses"][0]
        draft = store.insert(
            "draft_orders", "DraftOrder", number=number, name=f"#D{number}", status=status,
            email=email or (customer_record or {}).get("email"),
            phone=phone or (customer_record or {}).get("phone"),
            customer_id=customer_record["id"] if customer_record else None,
            completed_at=None, invoice_sent_at=None, currency=store.currency,
            taxes_included=included, tax_exempt=bool(tax_exempt), tags=[str(t) for t in tags],
            note=note, po_number=po_number, source_name=source_name,
            custom_attributes=[{"key": str(a["key"]), "value": a.get("value")}
                               for a in custom_attributes or []],
            line_items=lines, shipping_lines=ships, discount_applications=applications,
            applied_discount=_applied(applied_discount, draft_application),
            shipping_address=store.address(address) if address else None,
            billing_address=store.address(billing_address or address)
            if (billing_address or address) else None,
            total_refunded="0.00", refunded_shipping="0.00", refunded_shipping_tax="0.00",
            removed_value="0.00")
        if status == "INVOICE_SENT":
            draft["invoice_sent_at"] = draft["created_at"]
        for line in lines:
            line["draft_order_id"] = draft["id"]
        recompute_totals(draft)
        return draft


def _line_total(line):
    return dec(line["price"]) * line["quantity"]


def _line_discount(line):
    """The line's own applied discount: Shopify leaves the draft's discount out of a line's
    ``discountedTotal`` (and so of ``approximateDiscountedUnitPriceSet``)."""
    return dec((line["applied_discount"] or {}).get("amount"))


def _lines_subtotal(draft):
    return sum((_line_total(li) - _line_discount(li) for li in draft["line_items"]),
               Decimal(0))


def _money(value, info):
    return money_bag(value, currency_of(info))


def _applied_discount(applied, info):
    if not applied:
        return None
    amount = fmt(applied["amount"])
    return {"title": applied["title"], "description": applied["description"],
            "value": applied["value"], "valueType": applied["value_type"], "amount": amount,
            "amountSet": _money(amount, info), "amountV2": money_v2(amount, currency_of(info))}


def _same_address(draft):
    keys = ("address1", "address2", "city", "zip", "country_code_v2", "province_code",
            "first_name", "last_name", "company")
    shipping, billing = draft["shipping_address"], draft["billing_address"]
    if not shipping or not billing:
        return shipping is billing
    return all(shipping.get(k) == billing.get(k) for k in keys)


def _discounted_unit(line):
    return cents((_line_total(line) - _line_discount(line)) / line["quantity"])


LINE_FIELDS = {
    "appliedDiscount": lambda s, i: _applied_discount(s["applied_discount"], i),
    "approximateDiscountedUnitPriceSet": lambda s, i: _money(_discounted_unit(s), i),
    "discountedUnitPriceSet": lambda s, i: _money(_discounted_unit(s), i),  # deprecated alias
    "discountedUnitPrice": lambda s, i: _discounted_unit(s),
    "bundleComponents": lambda s, i: [],
    "components": lambda s, i: [],
    "isGiftCard": lambda s, i: bool(s["gift_card"]),
    "originalUnitPrice": lambda s, i: s["price"],
    "originalUnitPriceSet": lambda s, i: _money(s["price"], i),
    "originalUnitPriceWithCurrency": lambda s, i: money_v2(s["price"], currency_of(i)),
    "priceOverride": lambda s, i: None,
    "originalTotal": lambda s, i: _line_total(s),
    "originalTotalSet": lambda s, i: _money(_line_total(s), i),
    "discountedTotal": lambda s, i: _line_total(s) - _line_discount(s),
    "discountedTotalSet": lambda s, i: _money(_line_total(s) - _line_discount(s), i),
    "totalDiscount": lambda s, i: _line_discount(s),
    "totalDiscountSet": lambda s, i: _money(_line_discount(s), i),
    "variant": lambda s, i: store_of(i).variants.get(s["variant_id"]),
    "product": lambda s, i: store_of(i).products.get(s["product_id"]),
    "variantTitle": lambda s, i: s["variant_title"],
}

DRAFT_FIELDS = {
    "currencyCode": lambda s, i: s["currency"],
    "presentmentCurrencyCode": lambda s, i: s["currency"],
    "customer": lambda s, i: store_of(i).customers.get(s.get("customer_id")),
    "note2": lambda s, i: s["note"],
    "order": lambda s, i: None,
    "discountCodes": lambda s, i: [],
    "appliedDiscount": lambda s, i: _applied_discount(s["applied_discount"], i),
    "lineItems": connection(lambda s, i: s["line_items"]),
    "shippingLine": lambda s, i: s["shipping_lines"][0] if s["shipping_lines"] else None,
    "lineItemsSubtotalPrice": lambda s, i: _money(_lines_subtotal(s), i),
    "subtotalPrice": lambda s, i: s["subtotal_price"],
    "totalPrice": lambda s, i: s["total_price"],
    "totalTax": lambda s, i: s["total_tax"],
    "totalShippingPrice": lambda s, i: s["total_shipping_price"],
    "totalQuantityOfLineItems": lambda s, i: sum(li["quantity"] for li in s["line_items"]),
    "totalWeight": lambda s, i: sum(li["grams"] * li["quantity"] for li in s["line_items"]),
    "billingAddressMatchesShippingAddress": lambda s, i: _same_address(s),
    "defaultCursor": lambda s, i: gid("DraftOrder", s["id"]),
    "invoiceUrl": lambda s, i: (f"https://{store_of(i).shop['myshopify_domain']}/"
                                f"{store_of(i).shop['id']}/invoices/{s['id']}"),
    "invoiceEmailTemplateSubject": lambda s, i: f"Complete your purchase {s['name']}",
    "ready": lambda s, i: True,
    "visibleToCustomer": lambda s, i: s["status"] == "INVOICE_SENT",
    "hasTimelineComment": lambda s, i: False,
    "acceptAutomaticDiscounts": lambda s, i: False,
    "allowDiscountCodesInCheckout": lambda s, i: False,
    "allVariantPricesOverridden": lambda s, i: False,
    "anyVariantPricesOverridden": lambda s, i: False,
    "reserveInventoryUntil": lambda s, i: None,
    "transformerFingerprint": lambda s, i: None,
    "metafield": lambda s, i, key, namespace=None: None,
    "metafields": connection(lambda s, i: []),
}

TYPE_RESOLVERS = {"DraftOrder": DRAFT_FIELDS, "DraftOrderLineItem": LINE_FIELDS}


def _status_word(draft):
    return draft["status"].lower()


SEARCH_FIELDS = {
    "id": lambda d: d["id"], "created_at": lambda d: d["created_at"],
    "updated_at": lambda d: d["updated_at"], "status": _status_word,
    "tag": lambda d: d["tags"], "customer_id": lambda d: d.get("customer_id"),
    "source": lambda d: d.get("source_name"),
    "default": lambda d: f"{d['name']} {d.get('email') or ''}",
}


def draft_order(_root, info, id):
    store = store_of(info)
    return store.draft_orders.get(parse_gid(id, "DraftOrder"))


def draft_orders(_root, info, **args):
    from .queries import SORT_KEYS  # queries binds this module's resolvers

    store = store_of(info)
    with store.lock:
        items = search(list(store.draft_orders.values()), args.get("query"), SEARCH_FIELDS,
                       info.context, info.path.as_list())
        return paginate(items, args, info.context, SORT_KEYS[args.get("sortKey") or "ID"])


QUERIES = {"draftOrder": draft_order, "draftOrders": draft_orders}
