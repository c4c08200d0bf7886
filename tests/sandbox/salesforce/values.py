"""Conversion of field values to the forms Salesforce stores and returns.

Salesforce returns datetimes as ``2024-05-01T12:34:56.000+0000`` and dates as ``2024-05-01``;
it accepts ``Z``, ``+00:00`` and ``+0000`` offsets on input. Bulk CSV gives every value as a
string, so ``coerce`` also converts ``"true"``/``"12.5"`` when ``from_text`` is set.
"""

import re
from datetime import UTC, date, datetime, timedelta

from . import ids
from .errors import ApiError

DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:?\d{2})?$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_TYPES = ("double", "currency", "int", "percent")
TEXT_TYPES = ("string", "textarea", "picklist", "phone", "url", "email")


def parse_datetime(text):
    """Parse an ISO 8601 / SOQL datetime into an aware UTC datetime, or return None."""
    match = DATETIME_RE.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = match.group(7) or ".0"
    offset = match.group(8) or "Z"
    try:
        moment = datetime(year, month, day, hour, minute, second,
                          int(fraction[1:].ljust(6, "0")), tzinfo=UTC)
    except ValueError:
        return None
    if offset != "Z":
        digits = offset.replace(":", "")
        delta = timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5]))
        moment = moment - delta if digits[0] == "+" else moment + delta
    return moment


def parse_date(text):
    """Parse ``YYYY-MM-DD`` into a date, or return None."""
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def format_datetime(moment):
    """Format an aware datetime the way the REST API returns it."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _type_error(field, value):
    return ApiError(400, "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of {field['type']} from value {value!r} "
                    f"for field {field['name']}", [field["name"]])


def coerce(field, value, from_text=False):
    """Return ``value`` converted to the stored form of ``field``; raise ApiError if invalid.

    References are only normalized to 18 characters here; the store checks they exist.
    """
    if value is None or (from_text and value == "#N/A"):
        return None
    kind = field["type"]
    if kind == "boolean":
        if from_text and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise _type_error(field, value)
        return value
    if kind in NUMBER_TYPES:
        if isinstance(value, str) and from_text:
            try:
                value = float(value)
            except ValueError:
                raise _type_error(field, value) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(field, value)
        return int(value) if kind == "int" else value
    if kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise _type_error(field, value)
        return format_datetime(moment)
    if kind == "date":
        if isinstance(value, str) and parse_datetime(value):
            value = value[:10]
        if parse_date(value) is None:
            raise _type_error(field, value)
        return value
    if kind in ("reference", "id"):
        full = ids.to_18(value) if isinstance(value, str) else None
        if full is None:
            if value == "":
                return None
            raise ApiError(400, "MALFORMED_ID",
                           f"{field['name']}: id value of incorrect type: {value}",
                           [field["name"]])
        return full
    if isinstance(value, (dict, list)):
        raise _type_error(field, value)
    text = value if isinstance(value, str) else str(value).lower() if isinstance(
        value, bool) else str(value)
    if from_text and text == "":
        return None
    limit = field.get("length") or 0
    if limit and len(text) > limit:
        raise ApiError(400, "STRING_TOO_LONG",
                       f"{field['label']}: data value too large: {text[:40]} "
                       f"(max length={limit})", [field["name"]])
    return text


def comparable(field_type, value):
    """Return a Python value that orders and compares like Salesforce does for this type.

    Strings compare case-insensitively; ids exactly in their 18-character form.
    """
    if value is None:
        return None
    if field_type == "datetime":
        return parse_datetime(value)
    if field_type == "date":
        return parse_date(value)
    if field_type in ("id", "reference"):
        return ids.to_18(value) or value
    if field_type in NUMBER_TYPES or field_type == "boolean":
        return value
    return str(value).lower()
