"""Canonical records: the channel-neutral shape of what the connector moves.

Channel mappers turn a Shopify or Salesforce payload into these dataclasses; the core
importers turn them into Odoo records, and the exporters build them from Odoo records before
a channel mapper renders them for the remote API. They are plain data: no Odoo import, no I/O,
so mappers are pure functions that are easy to test.

Money is :class:`decimal.Decimal`; dates are ISO-8601 strings as received (timezone-aware);
quantities are ``float`` as Odoo stores them.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal


@dataclass
class Address:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    zip: str = ""
    country_code: str = ""
    state_code: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class Customer:
    external_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    is_company: bool = False
    company_name: str = ""
    vat: str = ""
    accepts_marketing: bool | None = None
    lang: str = ""
    updated_at: str = ""
    default_address: Address | None = None
    tags: list[str] = field(default_factory=list)
    # The channel id of the company this person belongs to (a CRM contact's account).
    parent_external_id: str = ""


@dataclass
class Price:
    amount: Decimal
    currency: str
    compare_at: Decimal | None = None


@dataclass
class Variant:
    external_id: str
    sku: str = ""
    barcode: str = ""
    title: str = ""
    price: Price | None = None
    options: dict[str, str] = field(default_factory=dict)
    inventory_item_id: str = ""
    updated_at: str = ""


@dataclass
class Product:
    external_id: str
    title: str = ""
    description: str = ""
    vendor: str = ""
    product_type: str = ""
    status: str = "active"
    variants: list[Variant] = field(default_factory=list)
    updated_at: str = ""


@dataclass
class StockLevel:
    """Available quantity of one variant at one channel location."""

    inventory_item_id: str
    location_id: str
    quantity: float
    sku: str = ""


@dataclass
class TaxLine:
    title: str
    rate: Decimal
    amount: Decimal


@dataclass
class Discount:
    code: str = ""
    amount: Decimal = Decimal("0")


@dataclass
class Attribute:
    """A name and value a customer or an app attached (line properties, order notes)."""

    name: str
    value: str = ""


# Kinds of order line: a product of the catalogue, a custom item (no product in the channel:
# a service, a fee, a protection plan), a gift card sold, a tip.
LINE_KINDS = ("product", "custom", "gift_card", "tip")


@dataclass
class OrderLine:
    external_id: str
    sku: str = ""
    barcode: str = ""
    variant_external_id: str = ""
    title: str = ""
    quantity: float = 0.0
    unit_price: Decimal = Decimal("0")
    # Every discount the channel allocated to the line, as an amount (never a percentage).
    discount_amount: Decimal = Decimal("0")
    taxes: list[TaxLine] = field(default_factory=list)
    kind: str = "product"
    # Units still ordered after edits and refunds (None: the channel does not say), and the
    # units refunded so far: what edits removed is the difference.
    current_quantity: float | None = None
    refunded_quantity: float = 0.0
    properties: list[Attribute] = field(default_factory=list)


@dataclass
class ShippingLine:
    title: str
    code: str = ""
    price: Decimal = Decimal("0")
    discount_amount: Decimal = Decimal("0")
    taxes: list[TaxLine] = field(default_factory=list)


@dataclass
class Payment:
    external_id: str
    gateway: str
    kind: str  # sale, authorization, capture, refund, void
    status: str  # success, pending, failure, error
    amount: Decimal
    currency: str
    processed_at: str = ""
    parent_external_id: str = ""
    test: bool = False


@dataclass
class Order:
    external_id: str
    name: str = ""
    currency: str = ""
    customer: Customer | None = None
    billing_address: Address | None = None
    shipping_address: Address | None = None
    lines: list[OrderLine] = field(default_factory=list)
    shipping_lines: list[ShippingLine] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    taxes_included: bool = False
    total: Decimal = Decimal("0")
    financial_status: str = ""
    fulfillment_status: str = ""
    cancelled: bool = False
    created_at: str = ""
    updated_at: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    # The channel's current total (after edits and refunds); None: same as ``total``.
    current_total: Decimal | None = None
    note_attributes: list[Attribute] = field(default_factory=list)
    # A test order (a test gateway, a store in development): no accounting by default.
    test: bool = False
    # True when ``payments`` lists the channel's transactions (not a guess from a status).
    payments_complete: bool = False
    presentment_currency: str = ""


@dataclass
class ShipmentLine:
    sku: str
    quantity: float
    order_line_external_id: str = ""


@dataclass
class Shipment:
    order_external_id: str
    carrier: str = ""
    tracking_numbers: list[str] = field(default_factory=list)
    tracking_urls: list[str] = field(default_factory=list)
    lines: list[ShipmentLine] = field(default_factory=list)
    notify_customer: bool = False


# What happens to the goods of a refunded line: ``cancel`` (not shipped: they will not be),
# ``return`` (shipped and sent back to stock), ``no_restock`` (refunded, goods not restocked).
RESTOCK_TYPES = ("cancel", "return", "no_restock")


@dataclass
class RefundLine:
    order_line_external_id: str
    quantity: float
    # The refunded units' amount after their discounts, in the order's price mode (taxes
    # included when the order's prices include them; Shopify's ``subtotal``), and its tax.
    amount: Decimal
    restock: bool = False
    tax_amount: Decimal = Decimal("0")
    restock_type: str = ""


@dataclass
class RefundAdjustment:
    """Money a refund returns (or keeps) that no line explains: a restocking fee, a goodwill
    refund, a refund discrepancy. Positive ``amount``: refunded to the customer."""

    kind: str
    amount: Decimal
    tax_amount: Decimal = Decimal("0")
    reason: str = ""


@dataclass
class Refund:
    external_id: str
    order_external_id: str
    lines: list[RefundLine] = field(default_factory=list)
    # Refunded shipping (in the order's price mode) and its tax.
    shipping_amount: Decimal = Decimal("0")
    transactions: list[Payment] = field(default_factory=list)
    note: str = ""
    created_at: str = ""
    shipping_tax_amount: Decimal = Decimal("0")
    adjustments: list[RefundAdjustment] = field(default_factory=list)
    duties_amount: Decimal = Decimal("0")


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def to_dict(record):
    """Return a canonical record as a JSON-ready dict (Decimals become strings)."""
    return json.loads(json.dumps(dataclasses.asdict(record), default=_json_default))


def record_hash(record):
    """Return a stable SHA-256 of a canonical record (or any JSON-able value).

    Exporters compare it with the binding's ``sync_hash`` to skip what the channel already
    has; keys are sorted so that field order never changes the hash.
    """
    if dataclasses.is_dataclass(record):
        record = dataclasses.asdict(record)
    text = json.dumps(record, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def from_dict(cls, data):
    """Build a canonical record of class ``cls`` from a dict made by :func:`to_dict`.

    Nested dataclasses and lists of dataclasses are rebuilt from their type hints; unknown
    keys are rejected with a :class:`ValueError` naming them, so a malformed payload gives a
    clear message instead of a silently dropped field.
    """
    import typing

    if data is None:
        return None
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown field(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
    values = {}
    for name, value in data.items():
        values[name] = _coerce(hints[name], value)
    return cls(**values)


def _coerce(hint, value):
    import types
    import typing

    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _coerce(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_coerce(item, v) for v in value]
    if origin is dict:
        return dict(value)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value)
    if hint is Decimal:
        return Decimal(str(value))
    if hint is float:
        return float(value)
    return value


def parse_timestamp(value):
    """Return an ISO-8601 timestamp as a naive UTC datetime (Odoo's convention), or None.

    Accepts ``2026-03-02T10:00:00Z``, offsets such as ``-05:00``, and naive values (taken as
    UTC); a datetime passes through, converted to naive UTC.
    """
    from datetime import datetime

    if not value:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value
