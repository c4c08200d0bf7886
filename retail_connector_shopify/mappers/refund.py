"""Shopify refund (REST shape of ``refunds/create``) → canonical Refund.

Refunded shipping comes, since API 2024-10, in ``refund_shipping_lines``; older payloads (and
some apps) record it as an ``order_adjustments`` entry of kind ``shipping_refund`` (a negative
amount). Other order adjustments (``refund_discrepancy``) are money refunded or kept that no
line explains (a restocking fee, a custom refund amount): they are kept as adjustments.
"""

from decimal import Decimal

from odoo.addons.retail_connector.canonical import Refund, RefundAdjustment, RefundLine
from odoo.addons.retail_connector.errors import DataError

from .common import external_id, money
from .order import payments_from_transactions

# restock_type values that put the goods back in stock.
RESTOCKING = frozenset({"return", "cancel", "legacy_restock"})
SHIPPING_ADJUSTMENT = "shipping_refund"


def refund_from_rest(payload):
    if not isinstance(payload, dict) or not payload.get("id") or not payload.get("order_id"):
        raise DataError("The Shopify refund payload has no id or order_id.")
    if payload.get("incomplete"):
        # Set by the catch-up (``mappers.graphql.refund_to_rest``) when a list did not fit.
        raise DataError(
            f"Refund {payload['id']} was read only in part by the catch-up (more "
            f"{', '.join(payload['incomplete'])} than one query reads): book it by hand, then "
            "ignore this event."
        )
    shipping_lines = payload.get("refund_shipping_lines") or []
    adjustments = payload.get("order_adjustments") or []
    if shipping_lines:
        shipping = _sum(_amount(line, "subtotal_amount") for line in shipping_lines)
        shipping_tax = _sum(
            _amount(line, "tax_amount" if _has(line, "tax_amount") else "total_tax_amount")
            for line in shipping_lines
        )
    else:
        legacy = [a for a in adjustments if a.get("kind") == SHIPPING_ADJUSTMENT]
        shipping = abs(_sum(_amount(a, "amount") for a in legacy))
        shipping_tax = abs(_sum(_amount(a, "tax_amount") for a in legacy))
    legacy_restock = bool(payload.get("restock"))
    return Refund(
        external_id=external_id(payload["id"]),
        order_external_id=external_id(payload["order_id"]),
        lines=[_line(line, legacy_restock) for line in payload.get("refund_line_items") or []],
        shipping_amount=shipping,
        shipping_tax_amount=shipping_tax,
        adjustments=[
            RefundAdjustment(
                kind=adjustment.get("kind") or "",
                amount=_amount(adjustment, "amount"),
                tax_amount=_amount(adjustment, "tax_amount"),
                reason=adjustment.get("reason") or "",
            )
            for adjustment in adjustments
            if adjustment.get("kind") != SHIPPING_ADJUSTMENT
        ],
        duties_amount=_sum(
            _amount(duty, "amount")
            for duty in payload.get("duties") or []
            if isinstance(duty, dict)
        ),
        transactions=payments_from_transactions(payload.get("transactions")),
        note=payload.get("note") or "",
        created_at=payload.get("created_at") or "",
    )


def _line(line, legacy_restock):
    restock_type = (line.get("restock_type") or "").lower()
    if not restock_type and legacy_restock:
        restock_type = "legacy_restock"
    return RefundLine(
        order_line_external_id=external_id(line.get("line_item_id")),
        quantity=float(line.get("quantity") or 0),
        amount=_amount(line, "subtotal"),
        tax_amount=_amount(line, "total_tax"),
        restock=restock_type in RESTOCKING,
        restock_type=restock_type,
    )


def _amount(holder, name):
    """``name`` of ``holder`` in shop money: the ``<name>_set`` money bag when present."""
    money_set = holder.get(f"{name}_set")
    if isinstance(money_set, dict) and isinstance(money_set.get("shop_money"), dict):
        return money(money_set["shop_money"].get("amount"), name)
    return money(holder.get(name), name)


def _has(holder, name):
    return holder.get(name) not in (None, "") or isinstance(holder.get(f"{name}_set"), dict)


def _sum(values):
    return sum(values, start=Decimal("0"))
