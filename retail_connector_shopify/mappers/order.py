"""Shopify order (REST webhook shape of ``orders/*``) → canonical Order.

Money is taken as Shopify recorded it, in shop money: a line's discount is the sum of its
``discount_allocations`` (line, order and automatic discounts alike), a shipping line's
discount the sum of its own allocations (or ``price − discounted_price``), and the payments are
the order's transactions when the caller read them (webhooks do not carry them: see
:func:`payments_from_transactions`).
"""

from decimal import Decimal

from odoo.addons.retail_connector.canonical import (
    Attribute,
    Order,
    OrderLine,
    Payment,
    ShippingLine,
)
from odoo.addons.retail_connector.errors import DataError

from .common import address, external_id, money, tax_lines
from .customer import customer_from_rest

# Financial statuses after which the gateway holds (some of) the money.
CAPTURED_STATUSES = frozenset({"paid", "partially_refunded", "refunded", "partially_paid"})
# The title Shopify gives the line item of a tip (a line without product or variant).
TIP_TITLES = frozenset({"tip"})


def order_from_rest(payload, transactions=None):
    """Map an ``orders/create|updated|paid|cancelled`` payload to an Order.

    ``transactions``: the order's transactions (REST shape, e.g. from
    :func:`..graphql.transaction_to_rest`) when the caller read them; the payments of the
    Order are then exactly those, and ``payments_complete`` is set.
    """
    if not isinstance(payload, dict) or not payload.get("id"):
        raise DataError("The Shopify order payload has no id: it is not an order.")
    if not isinstance(payload.get("line_items"), list) or not payload["line_items"]:
        raise DataError(
            f"Shopify order {payload.get('name') or payload['id']} has no line items "
            f"(line_items: {payload.get('line_items')!r}): nothing to import."
        )
    currency = payload.get("currency") or ""
    status = payload.get("financial_status") or "pending"
    total = money(payload.get("total_price"), "order total")
    tip = total_tip(payload)
    refunded = _refunded_quantities(payload.get("refunds"))
    lines = [_line(line, tip, refunded) for line in payload.get("line_items") or []]
    if tip and not any(line.kind == "tip" for line in lines):
        # Older payloads carry the tip only as a total: it is still money the customer paid.
        lines.append(
            OrderLine(external_id="tip", title="Tip", quantity=1.0, unit_price=tip, kind="tip")
        )
    if transactions is None:
        payments = _payments_from_gateways(payload, status, total, currency)
    else:
        payments = payments_from_transactions(transactions, currency)
    current_total = payload.get("current_total_price")
    return Order(
        external_id=external_id(payload["id"]),
        name=payload.get("name") or "",
        currency=currency,
        presentment_currency=payload.get("presentment_currency") or "",
        customer=customer_from_rest(payload.get("customer"), payload.get("email") or ""),
        billing_address=address(payload.get("billing_address")),
        shipping_address=address(payload.get("shipping_address")),
        lines=lines,
        shipping_lines=[_shipping(line) for line in payload.get("shipping_lines") or []],
        payments=payments,
        payments_complete=transactions is not None,
        taxes_included=bool(payload.get("taxes_included")),
        total=total,
        current_total=(
            money(current_total, "current total") if current_total not in (None, "") else None
        ),
        financial_status=status,
        fulfillment_status=payload.get("fulfillment_status") or "",
        cancelled=bool(payload.get("cancelled_at")),
        created_at=payload.get("created_at") or payload.get("processed_at") or "",
        updated_at=payload.get("updated_at") or "",
        note=payload.get("note") or "",
        note_attributes=_attributes(payload.get("note_attributes")),
        tags=_tags(payload.get("tags")),
        test=bool(payload.get("test")),
    )


def total_tip(payload):
    return money(payload.get("total_tip_received"), "tip")


def payments_from_transactions(transactions, currency=""):
    """Shopify transactions (REST shape) → canonical payments, in their order."""
    payments = []
    for transaction in transactions or []:
        payments.append(
            Payment(
                external_id=external_id(transaction.get("id")),
                gateway=transaction.get("gateway") or "",
                kind=(transaction.get("kind") or "").lower(),
                status=(transaction.get("status") or "").lower(),
                amount=money(transaction.get("amount"), "transaction amount"),
                currency=transaction.get("currency") or currency,
                processed_at=transaction.get("processed_at") or transaction.get("created_at") or "",
                parent_external_id=external_id(transaction.get("parent_id")),
                test=bool(transaction.get("test")),
            )
        )
    return payments


def _payments_from_gateways(payload, status, total, currency):
    """Without transactions: the gateways the order names, no amount known.

    Used by reconciliation and tests that read only the order; the importer books nothing
    from these (``payments_complete`` stays False) and reads the transactions instead.
    """
    return [
        Payment(
            external_id=f"{payload['id']}:{gateway}",
            gateway=gateway,
            kind="sale",
            status="success" if status in CAPTURED_STATUSES else "pending",
            amount=total,
            currency=currency,
        )
        for gateway in payload.get("payment_gateway_names") or []
    ]


def _refunded_quantities(refunds):
    """Line item id → units refunded by the refunds the order payload lists."""
    quantities = {}
    for refund in refunds or []:
        for item in (refund or {}).get("refund_line_items") or []:
            key = external_id(item.get("line_item_id"))
            quantities[key] = quantities.get(key, 0.0) + float(item.get("quantity") or 0)
    return quantities


def _line(line, tip, refunded):
    quantity = line.get("quantity")
    if not isinstance(quantity, int | float) or isinstance(quantity, bool):
        raise DataError(f"Line {line.get('id')} has no numeric quantity ({quantity!r}).")
    current = line.get("current_quantity")
    return OrderLine(
        external_id=external_id(line.get("id")),
        sku=line.get("sku") or "",
        variant_external_id=external_id(line.get("variant_id")),
        title=line.get("name") or line.get("title") or "",
        quantity=float(quantity),
        current_quantity=float(current) if isinstance(current, int | float) else None,
        refunded_quantity=refunded.get(external_id(line.get("id")), 0.0),
        unit_price=money(line.get("price"), "line price"),
        discount_amount=_allocated(line),
        taxes=tax_lines(line.get("tax_lines")),
        kind=_line_kind(line, tip),
        properties=_attributes(line.get("properties")),
    )


def _line_kind(line, tip):
    if line.get("gift_card"):
        return "gift_card"
    if line.get("variant_id") or line.get("product_id"):
        return "product"
    if isinstance(line.get("tip"), dict):
        return "tip"  # the line item of a tip carries its tip details
    if tip and (line.get("title") or "").strip().lower() in TIP_TITLES:
        return "tip"
    if line.get("sku"):
        return "product"  # a line of a deleted product still names its SKU
    return "custom"


def _allocated(holder):
    return sum(
        (
            money(allocation.get("amount"), "discount")
            for allocation in holder.get("discount_allocations") or []
        ),
        start=Decimal("0"),
    )


def _shipping(line):
    price = money(line.get("price"), "shipping price")
    discount = _allocated(line)
    discounted = line.get("discounted_price")
    if not discount and discounted not in (None, ""):
        discount = price - money(discounted, "shipping price")
    return ShippingLine(
        title=line.get("title") or "",
        code=line.get("code") or "",
        price=price,
        discount_amount=discount,
        taxes=tax_lines(line.get("tax_lines")),
    )


def _attributes(values):
    attributes = []
    for value in values or []:
        if isinstance(value, dict) and value.get("name") not in (None, ""):
            text = "" if value.get("value") is None else str(value["value"])
            attributes.append(Attribute(name=str(value["name"]), value=text))
    return attributes


def _tags(value):
    if isinstance(value, list):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    return [tag.strip() for tag in (value or "").split(",") if tag.strip()]
