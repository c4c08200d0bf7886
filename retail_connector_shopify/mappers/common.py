"""Small helpers shared by the Shopify mappers."""

from decimal import Decimal, InvalidOperation

from odoo.addons.retail_connector.canonical import Address, TaxLine
from odoo.addons.retail_connector.errors import DataError


def money(value, what="amount"):
    """Shopify sends amounts as strings; return a Decimal or raise a DataError naming it."""
    if value in (None, ""):
        return Decimal("0")
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise DataError(f"Invalid {what} '{value}' in the Shopify payload.") from error


def external_id(value):
    """Shopify ids are integers (above 2^53 in places): keep them as exact strings."""
    return "" if value in (None, "") else str(value)


def address(payload):
    if not payload:
        return None
    name = payload.get("name") or " ".join(
        part for part in (payload.get("first_name"), payload.get("last_name")) if part
    )
    return Address(
        name=name or "",
        company=payload.get("company") or "",
        street=payload.get("address1") or "",
        street2=payload.get("address2") or "",
        city=payload.get("city") or "",
        zip=payload.get("zip") or "",
        country_code=payload.get("country_code") or "",
        state_code=payload.get("province_code") or "",
        phone=payload.get("phone") or "",
    )


def tax_lines(payload_lines):
    return [
        TaxLine(
            title=line.get("title") or "",
            rate=money(line.get("rate"), "tax rate"),
            amount=money(line.get("price"), "tax amount"),
        )
        for line in payload_lines or []
    ]
