"""Salesforce Order + OrderItems → canonical :class:`Order` (pure functions).

Sales-assisted orders are confirmed in Odoo, not paid (``financial_status`` "pending"); they
carry no taxes (Salesforce Orders have none) and no shipping lines. Lines name their product by
``Product2Id`` (a product binding) and ``Product2.ProductCode`` (the Odoo internal reference).
"""

from decimal import Decimal

from odoo.addons.retail_connector.canonical import Order, OrderLine

from .account import SalesforceAccountMapper, _text, salesforce_timestamp


def _decimal(value):
    return Decimal(str(value)) if value not in (None, "") else Decimal("0")


class SalesforceOrderMapper:
    @classmethod
    def line(cls, item):
        product = item.get("Product2") or {}
        return OrderLine(
            external_id=_text(item, "Id"),
            sku=_text(product, "ProductCode"),
            variant_external_id=_text(item, "Product2Id"),
            title=_text(product, "Name") or _text(item, "Description"),
            quantity=float(item.get("Quantity") or 0),
            unit_price=_decimal(item.get("UnitPrice")),
        )

    @classmethod
    def order_to_canonical(cls, order, items, customer, currency):
        return Order(
            external_id=_text(order, "Id"),
            name=_text(order, "OrderNumber") or _text(order, "Id"),
            currency=_text(order, "CurrencyIsoCode") or currency,
            customer=customer,
            billing_address=SalesforceAccountMapper.address(order, "Billing"),
            shipping_address=SalesforceAccountMapper.address(order, "Shipping"),
            lines=[cls.line(item) for item in items],
            total=_decimal(order.get("TotalAmount")),
            financial_status="pending",
            created_at=_text(order, "EffectiveDate"),
            updated_at=salesforce_timestamp(order.get("SystemModstamp")),
            note=_text(order, "Description"),
        )
