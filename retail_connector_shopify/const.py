"""Shopify tables as data: versions, webhook topics, retry defaults, admin URL paths."""

import re

from .api_versions import DEFAULT_API_VERSION  # noqa: F401 (the table lives there)

API_VERSION_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Webhook topics the flows subscribe to: REST topic (X-Shopify-Topic) -> GraphQL enum.
WEBHOOK_TOPICS = {
    "orders/create": "ORDERS_CREATE",
    "orders/updated": "ORDERS_UPDATED",
    "orders/paid": "ORDERS_PAID",
    "orders/cancelled": "ORDERS_CANCELLED",
    "refunds/create": "REFUNDS_CREATE",
    "customers/create": "CUSTOMERS_CREATE",
    "customers/update": "CUSTOMERS_UPDATE",
    "app/uninstalled": "APP_UNINSTALLED",
}

#: Path of the webhook route; the backend id is appended.
WEBHOOK_ROUTE = "/retail/shopify/webhook"

#: HTTP statuses that mean "credentials rejected or shop blocked": the circuit opens.
AUTH_STATUSES = {401: "unauthorized", 402: "shop frozen (unpaid bill)",
                 403: "forbidden (missing scope?)", 423: "shop locked"}

#: Top-level GraphQL error codes and the kind of failure they are.
GRAPHQL_ERROR_KINDS = {
    "THROTTLED": "transient",
    "INTERNAL_SERVER_ERROR": "transient",
    "ACCESS_DENIED": "auth",
    "MAX_COST_EXCEEDED": "data",
}

#: Seconds to wait when the failure gave no Retry-After header.
DEFAULT_RETRY_AFTER = {"server_error": 10, "timeout": 15, "connection": 30, "throttled": 2}

#: Timeout of one call in seconds (connect and each read). A scalar, not a (connect, read)
#: tuple: Odoo's test harness compares it with a number.
HTTP_TIMEOUT = 30

#: Largest page Shopify serves in a connection.
MAX_PAGE_SIZE = 250

#: Longest sleep the rate budget takes in-process before giving the job back with a retry.
MAX_BUDGET_SLEEP = 20.0

#: The token of a client-credentials grant is refreshed this long before it expires.
TOKEN_REFRESH_MARGIN = 300

#: Admin paths of bound records, by binding model.
ADMIN_PATHS = {
    "retail.order.binding": "orders",
    "retail.product.binding": "products",
    "retail.partner.binding": "customers",
}
