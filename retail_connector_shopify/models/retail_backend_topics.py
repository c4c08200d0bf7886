"""The Shopify allow-list: every topic a Shopify backend handles, and its handler.

One declarative table instead of ``_get_event_handler`` overridden in several files (where
the import order decided). A webhook whose topic is not a channel topic here is refused at
the door; events Odoo makes itself (shipments, export retries, payouts) are never accepted
from a webhook.
"""

from odoo import models

from odoo.addons.retail_connector.models.retail_backend import FROM_CHANNEL, FROM_ODOO

from .retail_backend_flows import IMPORT_TOPICS
from .retail_backend_payouts import PAYOUT_TOPIC

SHOPIFY_EVENT_TOPICS = {
    **dict.fromkeys(IMPORT_TOPICS, ("_shopify_import_topic_event", FROM_CHANNEL)),
    "app/uninstalled": ("_shopify_app_uninstalled", FROM_CHANNEL),
    "shipment": ("_shopify_send_shipment", FROM_ODOO),
    "shipment/tracking": ("_shopify_update_tracking", FROM_ODOO),
    "export/stock": ("_shopify_retry_export", FROM_ODOO),
    "export/products": ("_shopify_retry_export", FROM_ODOO),
    PAYOUT_TOPIC: ("_shopify_payout_event", FROM_ODOO),
}
# The call steps: what an event job asks or tells Shopify before its record transaction.
SHOPIFY_EVENT_CALLS = {
    **dict.fromkeys(IMPORT_TOPICS, "_shopify_import_call"),
    "shipment": "_shopify_shipment_call",
    "shipment/tracking": "_shopify_tracking_call",
    "export/stock": "_shopify_retry_export_call",
    "export/products": "_shopify_retry_export_call",
    PAYOUT_TOPIC: "_shopify_payout_call",
}


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    def _event_topics(self):
        if self.backend_type == "shopify":
            return SHOPIFY_EVENT_TOPICS
        return super()._event_topics()

    def _event_calls(self):
        if self.backend_type == "shopify":
            return SHOPIFY_EVENT_CALLS
        return super()._event_calls()

    def _shopify_import_topic_event(self, event, prepared=None):
        """Handler of the webhook topics imported by the core (REST payloads)."""
        return self._shopify_import_event(event.topic, event, prepared)
