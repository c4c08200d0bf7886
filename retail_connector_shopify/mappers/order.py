"""Shopify order (REST webhook shape of ``orders/*``) → canonical Order."""

from odoo.addons.retail_connector.canonical import Order, OrderLine, Payment, ShippingLine
from odoo.addons.retail_connector.errors import DataError

from .common import address, external_id, money, tax_lines
from .customer import customer_from_rest

# Financial statuses after which the gateway holds the money.
CAPTURED_STATUSES = frozenset({"paid", "partially_refunded", "refunded", "partially_paid"})


def order_from_rest(payload):
    """Map an ``orders/create|updated|paid|cancelled`` payload to an Order."""
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
    return Order(
        external_id=external_id(payload["id"]),
        name=payload.get("name") or "",
        currency=currency,
        customer=customer_from_rest(payload.get("customer"), payload.get("email") or ""),
        billing_address=address(payload.get("billing_address")),
        shipping_address=address(payload.get("shipping_address")),
        lines=[_line(line) for line in payload.get("line_items") or []],
        shipping_lines=[_shipping(line) for line in payload.get("shipping_lines") or []],
        payments=[
            Payment(
                external_id=f"{payload['id']}:{gateway}",
                gateway=gateway,
                kind="sale",
                status="success" if status in CAPTURED_STATUSES else "pending",
                amount=total,
                currency=currency,
            )
            for gateway in payload.get("payment_gateway_names") or []
        ],
        taxes_included=bool(payload.get("taxes_included")),
        total=total,
        financial_status=status,
        fulfillment_status=payload.get("fulfillment_status") or "",
        cancelled=bool(payload.get("cancelled_at")),
        created_at=payload.get("created_at") or "",
        updated_at=payload.get("updated_at") or "",
        note=payload.get("note") or "",
        tags=[tag.strip() for tag in (payload.get("tags") or "").split(",") if tag.strip()],
    )


def _line(line):
    quantity = line.get("quantity")
    if not isinstance(quantity, int | float):
        raise DataError(f"Line {line.get('id')} has no numeric quantity ({quantity!r}).")
    return OrderLine(
        external_id=external_id(line.get("id")),
        sku=line.get("sku") or "",
        variant_external_id=external_id(line.get("variant_id")),
        title=line.get("name") or line.get("title") or "",
        quantity=float(quantity),
        unit_price=money(line.get("price"), "line price"),
        discount_amount=sum(
            (
                money(allocation.get("amount"), "discount")
                for allocation in line.get("discount_allocations") or []
            ),
            start=money(0),
        ),
        taxes=tax_lines(line.get("tax_lines")),
    )


def _shipping(line):
    price = money(line.get("price"), "shipping price")
    discounted = line.get("discounted_price")
    return ShippingLine(
        title=line.get("title") or "",
        code=line.get("code") or "",
        price=price,
        discount_amount=price - money(discounted, "shipping price") if discounted else money(0),
        taxes=tax_lines(line.get("tax_lines")),
    )
