"""The outbound path shared by every channel: mark dirty → coalesce → hash skip → batch.

A change in Odoo marks the binding dirty and enqueues one export job per backend and flow
(an identity key coalesces a burst of changes). The exporter then reads the current Odoo
state, builds canonical records, skips those whose hash equals the last one exported (this
also stops echo loops when the channel's webhook comes back) and sends the rest in the largest
batches the API allows.
"""

from dataclasses import dataclass

from odoo import fields

from ..canonical import record_hash


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
    (binding → canonical record, or ``None`` to skip it) and :meth:`send` (one API call for a
    list of ``(binding, record)``; raise a :class:`~..errors.RetailError` on failure).
    """

    binding_model = None
    batch_size = 250

    def __init__(self, backend, flow):
        self.backend = backend
        self.env = backend.env
        self.flow = flow

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
        for start in range(0, len(changed), self.batch_size):
            chunk = changed[start : start + self.batch_size]
            self.send([(binding, record) for binding, record, _digest in chunk])
            report.calls += 1
            now = fields.Datetime.now()
            for binding, _record, digest in chunk:
                binding.write({"sync_hash": digest, "sync_date": now, "export_pending": False})
            report.sent += len(chunk)
        return report
