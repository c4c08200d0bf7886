"""``SalesforceExporter``: the engine's exporter over sObject Collections.

A collection call (up to 200 records) can succeed for some records and fail for others:
``send`` returns the failures ``{binding id: RetailError}`` and the engine's
:meth:`Exporter.run` keeps the successful ones synced, puts each failed one in the exception
queue and exports a record locked in Salesforce (UNABLE_TO_LOCK_ROW) again shortly.
"""

import json

from odoo.addons.retail_connector.engine.outbound import Exporter

MAX_COLLECTION = 200
PLACEHOLDER_PREFIX = "odoo:"


def is_placeholder(external_id):
    """A binding made in Odoo before Salesforce gave the record an Id."""
    return not external_id or external_id.startswith(PLACEHOLDER_PREFIX)


class SalesforceExporter(Exporter):
    batch_size = MAX_COLLECTION

    def __init__(self, backend, flow):
        super().__init__(backend, flow)
        from ..adapter import SalesforceAdapter

        self.adapter = SalesforceAdapter(backend)

    def send(self, items):
        """Send ``[(binding, record)]``; return ``{binding id: RetailError}`` of failures."""
        raise NotImplementedError

    def collection_failures(self, items, results):
        """Map the failed results of a collection call (request order) to their bindings."""
        self.calls += 1
        return {
            items[index][0].id: error for index, error in self.adapter.collection_errors(results)
        }


def event_binding(event):
    """The binding an ``export/<flow>`` event names (for the exception queue's Retry)."""
    data = json.loads(event.payload or "{}")
    model = data.get("binding_model")
    if not model or model not in event.env:
        return None
    return event.env[model].browse(data.get("binding_id")).exists()
