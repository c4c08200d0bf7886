"""``SalesforceExporter``: the engine's exporter over sObject Collections.

A collection call (up to 200 records) can succeed for some records and fail for others:
``send`` returns the failures ``{binding id: RetailError}`` and the engine keeps the
successful ones synced, puts each failed one in the exception queue and exports a record
locked in Salesforce (UNABLE_TO_LOCK_ROW) again shortly.

Claim, commit, call, record (:meth:`Exporter.run_claimed`): the dirty bindings are claimed
and their records built in a short transaction, committed before Salesforce is called; no
transaction holds them during the calls, and the outcome (the Ids Salesforce gave to the
records created from Odoo included) is written by another short transaction. A row changed
meanwhile stays dirty for the next run. Every create is an upsert by an External Id field
(the Odoo id) or follows a query of what exists: a run that stopped after its call and
before its record sends again on the rerun, and Salesforce answers with the same record
instead of a second one.
"""

import json

from odoo.addons.retail_connector.engine.outbound import Exporter

from ..const import to_18_char_id

MAX_COLLECTION = 200
PLACEHOLDER_PREFIX = "odoo:"


def is_placeholder(external_id):
    """A binding made in Odoo before Salesforce gave the record an Id."""
    return not external_id or external_id.startswith(PLACEHOLDER_PREFIX)


class SalesforceExporter(Exporter):
    batch_size = MAX_COLLECTION
    separate_transactions = True

    def __init__(self, backend, flow):
        super().__init__(backend, flow)
        from ..adapter import SalesforceAdapter

        self.adapter = SalesforceAdapter(backend)
        #: binding id -> external id read by the claim (the calls read no binding)
        self.remote_ids = {}
        #: binding id -> Id Salesforce gave a record created from Odoo (to record)
        self.adopted = {}

    def send(self, items):
        """Send ``[(binding, record)]``; return ``{binding id: RetailError}`` of failures."""
        raise NotImplementedError

    def claimed_bindings(self, claimed):
        bindings = super().claimed_bindings(claimed)
        self.remote_ids.update((binding.id, binding.external_id) for binding in bindings)
        return bindings

    def remote_id(self, binding):
        """The Salesforce Id of ``binding`` as this run knows it (a placeholder until
        Salesforce created the record)."""
        if binding.id in self.adopted:
            return self.adopted[binding.id]
        if binding.id not in self.remote_ids:  # a binding built outside run()
            self.remote_ids[binding.id] = binding.external_id
        return self.remote_ids[binding.id]

    def collection_failures(self, items, results):
        """Map the failed results of a collection call (request order) to their bindings."""
        self.calls += 1
        return {
            items[index][0].id: error for index, error in self.adapter.collection_errors(results)
        }

    def adopt_ids(self, items, results, failures):
        """Keep the Id Salesforce returned for the records created from Odoo, for the record
        transaction to write; an Id bound to another Odoo record already is a failure."""
        from odoo.addons.retail_connector.errors import DataError

        new = {}
        for (binding, _record), result in zip(items, results, strict=False):
            if binding.id in failures or not is_placeholder(self.remote_id(binding)):
                continue
            new[binding.id] = to_18_char_id(result.get("id"))
        if not new:
            return
        with self.transaction():  # reads only: what is bound now
            Binding = self.env[self.binding_model]
            for binding_id, record_id in new.items():
                other = Binding._find(self.backend, record_id)
                if other and other.id != binding_id:
                    failures[binding_id] = DataError(
                        f"{self.object_name} {record_id} is bound to "
                        f"{other.odoo_id.display_name} already: merge the two records in Odoo "
                        "or clear the external id field.")
                else:
                    self.adopted[binding_id] = record_id

    def record_values(self, binding_id, outcome):
        """The record transaction writes the Id Salesforce gave (whatever the rest of the
        record's outcome: a later price failure does not lose it), unless another binding
        took it meanwhile: then the record stays dirty and the next run reports the clash."""
        values = super().record_values(binding_id, outcome)
        record_id = self.adopted.get(binding_id)
        if record_id:
            other = self.env[self.binding_model]._find(self.backend, record_id)
            if other and other.id != binding_id:
                values.update(export_pending=True, sync_hash=False)
            else:
                values["external_id"] = record_id
        return values


def event_binding(event):
    """The binding an ``export/<flow>`` event names (for the exception queue's Retry)."""
    data = json.loads(event.payload or "{}")
    model = data.get("binding_model")
    if not model or model not in event.env:
        return None
    return event.env[model].browse(data.get("binding_id")).exists()
