"""Shopify refund (REST shape of ``refunds/create``) → canonical Refund."""

from odoo.addons.retail_connector.canonical import Payment, Refund, RefundLine
from odoo.addons.retail_connector.errors import DataError

from .common import external_id, money

# restock_type values that put the goods back in stock.
RESTOCKING = frozenset({"return", "cancel", "legacy_restock"})


def refund_from_rest(payload):
    if not isinstance(payload, dict) or not payload.get("id") or not payload.get("order_id"):
        raise DataError("The Shopify refund payload has no id or order_id.")
    shipping = sum(
        (
            money(adjustment.get("amount"), "adjustment")
            for adjustment in payload.get("order_adjustments") or []
            if adjustment.get("kind") == "shipping_refund"
        ),
        start=money(0),
    )
    return Refund(
        external_id=external_id(payload["id"]),
        order_external_id=external_id(payload["order_id"]),
        lines=[
            RefundLine(
                order_line_external_id=external_id(line.get("line_item_id")),
                quantity=float(line.get("quantity") or 0),
                amount=money(line.get("subtotal"), "refund subtotal"),
                restock=(line.get("restock_type") or "") in RESTOCKING,
            )
            for line in payload.get("refund_line_items") or []
        ],
        shipping_amount=-shipping if shipping < 0 else shipping,
        transactions=[
            Payment(
                external_id=external_id(transaction.get("id")),
                gateway=transaction.get("gateway") or "",
                kind=transaction.get("kind") or "",
                status=transaction.get("status") or "",
                amount=money(transaction.get("amount"), "refund amount"),
                currency=transaction.get("currency") or "",
                processed_at=transaction.get("created_at") or "",
            )
            for transaction in payload.get("transactions") or []
        ],
        note=payload.get("note") or "",
        created_at=payload.get("created_at") or "",
    )
