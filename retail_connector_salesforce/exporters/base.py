"""``SalesforceExporter``: the engine's exporter with per-record results of sObject Collections.

A collection call (up to 200 records) can succeed for some records and fail for others. The
engine's :class:`Exporter` marks a whole batch synced after ``send``; here ``send`` returns the
failures ``{binding id: RetailError}`` and :meth:`run` keeps the successful ones synced and puts
each failed one in the exception queue (an outbound event naming the record and Salesforce's
message). A transient per-record failure (UNABLE_TO_LOCK_ROW) leaves the binding dirty and
schedules the export again.
"""

import json

from odoo import fields

from odoo.addons.retail_connector.canonical import record_hash
from odoo.addons.retail_connector.engine.intake import store_event
from odoo.addons.retail_connector.engine.outbound import Exporter, ExportReport
from odoo.addons.retail_connector.errors import TransientError

from ..const import LOCK_RETRY_SECONDS

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
        self.calls = 0

    def send(self, items):
        """Send ``[(binding, record)]``; return ``{binding id: RetailError}`` of failures."""
        raise NotImplementedError

    def collection_failures(self, items, results):
        """Map the failed results of a collection call (request order) to their bindings."""
        self.calls += 1
        return {items[index][0].id: error
                for index, error in self.adapter.collection_errors(results)}

    def run(self):
        report = ExportReport()
        changed = []
        for binding in self.dirty_bindings():
            record = self.build(binding)
            digest = record_hash(record) if record is not None else binding.sync_hash
            if record is None or digest == binding.sync_hash:
                binding.export_pending = False
                report.skipped += 1
            else:
                changed.append((binding, record, digest))
        retry = False
        for start in range(0, len(changed), self.batch_size):
            chunk = changed[start : start + self.batch_size]
            failures = self.send([(binding, record) for binding, record, _digest in chunk]) or {}
            for binding, record, digest in chunk:
                error = failures.get(binding.id)
                if error is None:
                    binding.write({"sync_hash": digest, "sync_date": fields.Datetime.now(),
                                   "export_pending": False})
                    report.sent += 1
                elif isinstance(error, TransientError):
                    retry = True
                else:
                    binding.export_pending = False
                    self.record_failure(binding, record, digest, error)
        report.calls = self.calls
        if retry:
            self.backend._schedule_export(self.flow, delay=LOCK_RETRY_SECONDS)
        return report

    def record_failure(self, binding, record, digest, error):
        """One failed outbound event per record and content (a repeat adds no row)."""
        target = binding.odoo_id
        message = f"{target.display_name}: {error}"
        event, created = store_event(
            self.backend, f"export/{self.flow}",
            {"flow": self.flow, "binding_model": binding._name, "binding_id": binding.id,
             "record": record},
            f"export:{self.flow}:{binding._name}:{binding.id}:{digest}",
            external_id=binding.external_id, direction="out", enqueue=False,
        )
        if event and (created or event.state != "failed"):
            event.sudo().with_context(retail_event_internal=True).write(
                {"res_model": target._name, "res_id": target.id})
            event._mark_failed(error.kind, message)
        return event


def event_binding(event):
    """The binding an ``export/<flow>`` event names (for the exception queue's Retry)."""
    data = json.loads(event.payload or "{}")
    model = data.get("binding_model")
    if not model or model not in event.env:
        return None
    return event.env[model].sudo().browse(data.get("binding_id")).exists()
