"""Salesforce Account and Contact records → canonical :class:`Customer` (pure functions)."""

import re

from odoo.addons.retail_connector.canonical import Address, Customer

# "2024-05-01T12:34:56.000+0000" -> the offset written as "+00:00" (ISO 8601 as Python reads it)
_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def salesforce_timestamp(value):
    """Return a Salesforce dateTime as an ISO-8601 string Python parses ('' when empty)."""
    if not value:
        return ""
    value = str(value).strip()
    if value.endswith("Z"):
        return value[:-1] + "+00:00"
    return _OFFSET_WITHOUT_COLON.sub(r"\1:\2", value)


def _text(record, name):
    value = record.get(name)
    return str(value).strip() if value not in (None, False) else ""


def _country_code(value):
    """A two-letter country as a code; free-text country names are left for a person."""
    value = (value or "").strip()
    return value.upper() if len(value) == 2 and value.isalpha() else ""


class SalesforceAccountMapper:
    """Maps Account (a company) and Contact (a person) records to canonical customers.

    ``record`` is a REST record or Outbound Message field dict (``attributes`` ignored). The
    update time is ``SystemModstamp`` (it moves on system changes too), else
    ``LastModifiedDate``. Countries: ``*CountryCode`` when State and Country picklists are on,
    else ``*Country`` when it holds a two-letter code.
    """

    @classmethod
    def updated_at(cls, record):
        return salesforce_timestamp(record.get("SystemModstamp") or record.get("LastModifiedDate"))

    @classmethod
    def address(cls, record, prefix):
        address = Address(
            street=_text(record, f"{prefix}Street"),
            city=_text(record, f"{prefix}City"),
            zip=_text(record, f"{prefix}PostalCode"),
            country_code=_text(record, f"{prefix}CountryCode").upper()
            or _country_code(_text(record, f"{prefix}Country")),
            state_code=_text(record, f"{prefix}StateCode"),
        )
        if not (address.street or address.city or address.zip or address.country_code):
            return None
        return address

    @classmethod
    def account_to_customer(cls, record):
        """Account → Customer (a company; person accounts carry ``PersonEmail``)."""
        return Customer(
            external_id=_text(record, "Id"),
            name=_text(record, "Name"),
            email=_text(record, "PersonEmail"),
            phone=_text(record, "Phone"),
            is_company=not record.get("IsPersonAccount"),
            company_name=_text(record, "Name"),
            updated_at=cls.updated_at(record),
            default_address=cls.address(record, "Billing"),
        )

    @classmethod
    def contact_to_customer(cls, record):
        """Contact → Customer (a person)."""
        name = _text(record, "Name") or " ".join(
            part for part in (_text(record, "FirstName"), _text(record, "LastName")) if part
        )
        return Customer(
            external_id=_text(record, "Id"),
            name=name,
            email=_text(record, "Email"),
            phone=_text(record, "Phone") or _text(record, "MobilePhone"),
            is_company=False,
            updated_at=cls.updated_at(record),
            default_address=cls.address(record, "Mailing"),
            parent_external_id=_text(record, "AccountId"),
        )
