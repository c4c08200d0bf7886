from datetime import timedelta

from odoo import api, fields, models

from .. import compat


class RetailCheckpoint(models.Model):
    """How far a batch flow of a backend has read the channel.

    The catch-up job reads from ``last_sync_at`` minus ``overlap_seconds`` (records updated
    while the previous run paged are read again; the inbox and the importers make that
    harmless) and advances the checkpoint inside its own transaction.
    """

    _name = "retail.checkpoint"
    _description = "Retail Connector Checkpoint"
    _order = "backend_id, flow"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    flow = fields.Char(required=True)
    last_sync_at = fields.Datetime(
        help="Records updated after this time minus the overlap are read."
    )
    overlap_seconds = fields.Integer(default=300)
    last_run_at = fields.Datetime(readonly=True)
    last_count = fields.Integer(readonly=True, help="Records read by the last run.")

    compat.sql_constraints(locals(), [
        ("backend_flow_uniq", "unique(backend_id, flow)", "One checkpoint per backend and flow."),
    ])

    @api.model
    def _for(self, backend, flow):
        checkpoint = self.search(
            [("backend_id", "=", backend.id), ("flow", "=", flow)], limit=1
        )
        return checkpoint or self.create({"backend_id": backend.id, "flow": flow})

    def _window_start(self):
        self.ensure_one()
        if not self.last_sync_at:
            return None
        return self.last_sync_at - timedelta(seconds=self.overlap_seconds)

    def _advance(self, to, count):
        self.ensure_one()
        self.write({"last_sync_at": to, "last_run_at": fields.Datetime.now(), "last_count": count})
