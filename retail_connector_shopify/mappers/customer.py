"""Shopify customer (REST webhook shape) → canonical Customer."""

from odoo.addons.retail_connector.canonical import Customer

from .common import address, external_id


def customer_from_rest(payload, fallback_email=""):
    """Map a ``customers/*`` payload, or the ``customer`` of an order, to a Customer."""
    if not payload:
        return None
    name = " ".join(part for part in (payload.get("first_name"), payload.get("last_name")) if part)
    default = address(payload.get("default_address"))
    marketing = payload.get("email_marketing_consent") or {}
    accepts = payload.get("accepts_marketing")
    if marketing.get("state"):
        accepts = marketing["state"] == "subscribed"
    return Customer(
        external_id=external_id(payload.get("id")),
        name=name or (default.name if default else ""),
        email=payload.get("email") or fallback_email or "",
        phone=payload.get("phone") or "",
        accepts_marketing=accepts,
        updated_at=payload.get("updated_at") or "",
        default_address=default,
        tags=[tag.strip() for tag in (payload.get("tags") or "").split(",") if tag.strip()],
    )
