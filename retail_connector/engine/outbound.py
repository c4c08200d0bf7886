"""The outbound path shared by every channel: mark dirty → coalesce → hash skip → batch.

A change in Odoo marks the binding dirty and enqueues one export job per backend and flow
(an identity key coalesces a burst of changes). The exporter then reads the current Odoo
state, builds canonical records, skips those whose hash equals the last one exported (this
also stops echo loops when the channel's webhook comes back) and sends the rest in the largest
batches the API allows.
"""

from dataclasses import dataclass, is_dataclass

from odoo import fields

from ..canonical import record_hash, to_dict
from ..errors import TransientError
from .intake import store_event


def mark_dirty(bindings, flow):
    """Mark ``bindings`` for export in ``flow`` and enqueue one export job per backend.

    Does nothing inside an import (context ``retail_no_export``), so that what a channel sent
    is not echoed back to it, nor for backends whose channel does not export ``flow``
    (:meth:`retail.backend._export_flows`): their bindings stay clean for the flows they do
    export.
    """
    if not bindings or bindings.env.context.get("retail_no_export"):
        return
    bindings = bindings.sudo()
    for backend in bindings.mapped("backend_id").filtered("active"):
        if flow not in backend._export_flows():
            continue  # this channel takes no such export (e.g. stock levels to a CRM)
        bindings.filtered(lambda binding, backend=backend: binding.backend_id == backend).write(
            {"export_pending": True}
        )
        backend._schedule_export(flow)


@dataclass
class ExportReport:
    sent: int = 0
    skipped: int = 0
    calls: int = 0

    def __str__(self):
        return f"sent {self.sent}, unchanged {self.skipped}, in {self.calls} call(s)"


class Exporter:
    """Base of the exporters of one backend and flow.

    Subclasses set :attr:`binding_model` and :attr:`batch_size` and implement :meth:`build`
    (binding → canonical record, or ``None`` to skip it) and :meth:`send` (one batch of
    ``(binding, record)``; raise a :class:`~..errors.RetailError` when the whole batch
    failed). An API that answers per record (Salesforce collections, Shopify userErrors) lets
    ``send`` return ``{binding id: RetailError}`` of the records that failed: the others are
    marked synced, a data error puts its record in the exception queue (once per content),
    and a transient one leaves it dirty for an export scheduled again shortly. ``send`` may
    count the API calls it makes in :attr:`calls`; one that does not counts as one call.
    """

    binding_model = None
    batch_size = 250

    def __init__(self, backend, flow):
        self.backend = backend
        self.env = backend.env
        self.flow = flow
        self.calls = 0

    def build(self, binding):
        raise NotImplementedError

    def send(self, items):
        raise NotImplementedError

    def dirty_bindings(self):
        """Lock and return the dirty bindings; rows another export holds are left to it."""
        Binding = self.env[self.binding_model].sudo()
        Binding.flush_model(["backend_id", "export_pending"])
        self.env.cr.execute(
            f"SELECT id FROM {Binding._table} WHERE backend_id = %s AND export_pending "
            "ORDER BY id FOR UPDATE SKIP LOCKED",
            (self.backend.id,),
        )
        return Binding.browse([row[0] for row in self.env.cr.fetchall()])

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
        retry_after = None
        for start in range(0, len(changed), self.batch_size):
            chunk = changed[start : start + self.batch_size]
            calls_before = self.calls
            failures = self.send([(binding, record) for binding, record, _digest in chunk]) or {}
            if self.calls == calls_before:
                self.calls += 1
            now = fields.Datetime.now()
            for binding, record, digest in chunk:
                error = failures.get(binding.id)
                if error is None:
                    binding.write({"sync_hash": digest, "sync_date": now, "export_pending": False})
                    report.sent += 1
                elif isinstance(error, TransientError):
                    retry_after = max(retry_after or 0, error.retry_after or 1)
                else:
                    binding.export_pending = False
                    self.record_failure(binding, record, digest, error)
        report.calls = self.calls
        if retry_after is not None:
            self.backend._schedule_export(self.flow, delay=retry_after)
        return report

    def record_failure(self, binding, record, digest, error):
        """One failed outbound event per record and content (a repeat adds no row)."""
        target = binding.odoo_id
        event, created = store_event(
            self.backend,
            f"export/{self.flow}",
            {
                "flow": self.flow,
                "binding_model": binding._name,
                "binding_id": binding.id,
                "record": to_dict(record) if is_dataclass(record) else record,
            },
            f"export:{self.flow}:{binding._name}:{binding.id}:{digest}",
            external_id=binding.external_id,
            direction="out",
            enqueue=False,
        )
        if event and (created or event.state != "failed"):
            event.sudo().with_context(retail_event_internal=True).write(
                {"res_model": target._name, "res_id": target.id}
            )
            event._mark_failed(error.kind, f"{target.display_name}: {error}")
        return event
