"""How a simple-salesforce failure becomes an engine error (pure functions, no Odoo)."""

from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from odoo.addons.retail_connector.errors import (
    AuthError,
    DataError,
    QuotaExceeded,
    TransientError,
)

from . import const


def first_error(content):
    """Return ``(error_code, message, fields)`` of a Salesforce error body (a JSON array)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        item = content[0]
        code = item.get("errorCode") or item.get("statusCode") or ""
        return code, item.get("message") or "", list(item.get("fields") or [])
    if isinstance(content, dict):
        return content.get("errorCode", ""), content.get("message", "") or str(content), []
    if isinstance(content, list):  # not an error array (e.g. a list of record URLs)
        return "", ", ".join(str(item) for item in content)[:500], []
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    return "", (content or "").strip()[:500], []


def classify_salesforce_error(error, description):
    """Return the engine error for a ``SalesforceError`` raised during ``description``."""
    if isinstance(error, SalesforceAuthenticationFailed):
        return classify_auth_failure(error)
    status = error.status
    if status == 300:
        return several_matches(error, description)
    code, message, fields = first_error(error.content)
    details = {"error_code": code, "fields": fields, "status": status}
    text = f"{description}: {code or f'HTTP {status}'}: {message}"
    if fields:
        text += f" (fields: {', '.join(fields)})"
    if code == const.LIMIT_EXCEEDED_CODE:
        if const.CONCURRENT_LIMIT_MARKER in message.lower():
            return TransientError(
                text, retry_after=const.CONCURRENT_RETRY_SECONDS, circuit=False, **details
            )
        return QuotaExceeded(
            f"{text} The org's daily API requests are used up: calls resume when Salesforce "
            "allows them again.",
            retry_after=const.DAILY_LIMIT_PAUSE_SECONDS,
            **details,
        )
    if code == "UNABLE_TO_LOCK_ROW":
        return TransientError(text, retry_after=const.LOCK_RETRY_SECONDS, circuit=False, **details)
    if code in const.AUTH_ERROR_CODES or status in (401, 402, 403, 423):
        return AuthError(text, **details)
    if code in const.TRANSIENT_ERROR_CODES or status == 429 or status >= 500:
        return TransientError(text, **details)
    return DataError(text, **details)


def several_matches(error, description):
    """HTTP 300: several records carry the external id; the body lists their URLs."""
    content = error.content if isinstance(error.content, list) else []
    urls = [item for item in content if isinstance(item, str)]
    record_ids = [url.rstrip("/").rsplit("/", 1)[-1] for url in urls]
    return DataError(
        f"{description}: several Salesforce records match ({', '.join(record_ids) or '?'}): "
        "make the external id unique in Salesforce (merge or clear the duplicates), then retry.",
        status=300,
        error_code="MULTIPLE_CHOICES",
        matches=urls,
    )


def classify_auth_failure(error):
    """Return the engine error for a failed login (``SalesforceAuthenticationFailed``).

    An HTTP status as the code (the reply had no parsable error body) of 429 or 5xx means
    Salesforce is down or busy, not that the credentials are wrong. A SOAP login fault comes
    with HTTP 500 but names its code (INVALID_LOGIN...): that one is an authentication error.
    """
    status = error.code if isinstance(error.code, int) else None
    message = f"Salesforce login failed: {error.code}: {error.auth_message}"
    if isinstance(status, int) and (status == 429 or status >= 500):
        return TransientError(message, retry_after=30)
    return AuthError(message, error_code=str(error.code))
