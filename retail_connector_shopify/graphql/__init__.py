"""The GraphQL documents the Shopify channel sends, as data.

One module per area: ``admin`` (shop, locations, webhook subscriptions, bulk operations),
``orders`` (orders and customers read by the import flows), ``catalog`` (variants and
inventory for the export flows). Each constant is a complete document with one named
operation, so that logs, sandbox counters and fault injection see the operation name.
"""

from . import admin, catalog, fulfillment, orders
