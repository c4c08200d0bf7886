"""Salesforce facts as data: error codes by kind, key prefixes, SOAP namespaces, fields read."""

DEFAULT_API_VERSION = "59.0"
DEFAULT_EXTERNAL_ID_FIELD = "Odoo_Id__c"

# errorCode (REST) or statusCode (collections) -> how the engine handles it.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",
        "SERVER_UNAVAILABLE",
        "REQUEST_RUNNING_TOO_LONG",
        "QUERY_TIMEOUT",
        "UNKNOWN_EXCEPTION",
    }
)
AUTH_ERROR_CODES = frozenset(
    {
        "INVALID_SESSION_ID",
        "INVALID_AUTH_HEADER",
        "INSUFFICIENT_ACCESS",
        "API_DISABLED_FOR_ORG",
        "API_CURRENTLY_DISABLED",
        "INVALID_LOGIN",
        "LOGIN_MUST_USE_SECURITY_TOKEN",
        "PASSWORD_LOCKOUT",
    }
)
# Seconds to wait before retrying a row lock (Salesforce sends no Retry-After for it).
LOCK_RETRY_SECONDS = 5
# REQUEST_LIMIT_EXCEEDED (403) means two things, told apart by the message only: the daily
# API requests are used up (a rolling 24 h window: the backend pauses, then asks /limits
# every DAILY_LIMIT_PAUSE_SECONDS), or too many long-running requests run at once (clears in
# seconds: retried soon, the circuit stays closed).
LIMIT_EXCEEDED_CODE = "REQUEST_LIMIT_EXCEEDED"
CONCURRENT_LIMIT_MARKER = "concurrent"
DAILY_LIMIT_PAUSE_SECONDS = 900
CONCURRENT_RETRY_SECONDS = 10

# Key prefix of an 18-character Id -> sObject type (for record URLs).
KEY_PREFIXES = {
    "001": "Account",
    "003": "Contact",
    "006": "Opportunity",
    "01t": "Product2",
    "01s": "Pricebook2",
    "01u": "PricebookEntry",
    "801": "Order",
    "802": "OrderItem",
    "005": "User",
}

# Outbound Message SOAP envelope.
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND_NS = "http://soap.sforce.com/2005/09/outbound"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Fields read from Salesforce for the customer flows (the mappers use no other).
ACCOUNT_FIELDS = (
    "Id",
    "Name",
    "Phone",
    "Website",
    "AccountNumber",
    "BillingStreet",
    "BillingCity",
    "BillingPostalCode",
    "BillingState",
    "BillingCountry",
    "IsDeleted",
    "LastModifiedDate",
    "SystemModstamp",
)
CONTACT_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Name",
    "Email",
    "Phone",
    "MobilePhone",
    "AccountId",
    "MailingStreet",
    "MailingCity",
    "MailingPostalCode",
    "MailingState",
    "MailingCountry",
    "IsDeleted",
    "LastModifiedDate",
    "SystemModstamp",
)

# Salesforce Id checksum alphabet (15 -> 18 characters).
ID_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to_18_char_id(record_id):
    """Return the 18-character form of a 15- or 18-character Salesforce Id ('' if invalid)."""
    record_id = (record_id or "").strip()
    if len(record_id) == 18:
        return record_id
    if len(record_id) != 15 or not record_id.isalnum():
        return ""
    suffix = ""
    for block in range(3):
        bits = 0
        for index, char in enumerate(record_id[block * 5 : block * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << index
        suffix += ID_SUFFIX_ALPHABET[bits]
    return record_id + suffix


def same_id(first, second):
    """Compare two Salesforce Ids, 15- or 18-character (the first 15 are case-sensitive)."""
    first, second = (first or "").strip(), (second or "").strip()
    if len(first) < 15 or len(second) < 15:
        return False
    return first[:15] == second[:15]

# Fields read for the orders flow (activated Orders and their OrderItems).
ORDER_FIELDS = (
    "Id", "AccountId", "Status", "EffectiveDate", "OrderNumber", "TotalAmount", "Description",
    "PoNumber", "BillingStreet", "BillingCity", "BillingPostalCode", "BillingState",
    "BillingCountry", "ShippingStreet", "ShippingCity", "ShippingPostalCode", "ShippingState",
    "ShippingCountry", "SystemModstamp",
)
ORDER_ITEM_FIELDS = (
    "Id", "Product2Id", "Product2.ProductCode", "Product2.Name", "Quantity", "UnitPrice",
    "Description",
)
