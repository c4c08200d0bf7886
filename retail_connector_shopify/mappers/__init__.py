"""Shopify ⇄ canonical mappers: pure functions, no Odoo, no network."""

from .customer import customer_from_rest
from .order import order_from_rest
from .refund import refund_from_rest

__all__ = ["customer_from_rest", "order_from_rest", "refund_from_rest"]
