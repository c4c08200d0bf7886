import json

from odoo import _, api, fields, models

from ..access import MANAGER_GROUP, USER_GROUP, requires_group
from ..engine.intake import store_event
from ..engine.reconcile import compare_order

MISMATCH_KINDS = [
    ("missing_order", "Order missing in Odoo"),
    ("currency", "Currency differs"),
    ("amount", "Amount differs"),
    ("state", "Order state differs"),
    ("invoice_missing", "Invoice missing"),
    ("payment_missing", "Payment missing"),
    ("refund_missing", "Credit note missing"),
    ("crm_status", "CRM status behind"),
]


class RetailReconciliation(models.Model):
    """One reconciliation run of a backend over a window of days."""

    _name = "retail.reconciliation"
    _description = "Retail Connector Reconciliation"
    _inherit = ["mail.thread"]
    _order = "id desc"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    run_at = fields.Datetime(readonly=True)
    checked_count = fields.Integer(string="Orders Checked", readonly=True)
    line_ids = fields.One2many("retail.reconciliation.line", "reconciliation_id")
    mismatch_count = fields.Integer(compute="_compute_mismatch_count", store=True)
    state = fields.Selection(
        [("draft", "Not run"), ("clean", "Clean"), ("mismatch", "Mismatches")],
        default="draft",
        readonly=True,
        tracking=True,
    )
    summary = fields.Char(readonly=True)

    @api.depends("line_ids")
    def _compute_mismatch_count(self):
        for report in self:
            report.mismatch_count = len(report.line_ids)

    @requires_group(MANAGER_GROUP)
    def action_run(self):
        """Compare every channel order of the window with Odoo and record the mismatches."""
        for report in self:
            report._check_orders(
                report.backend_id._reconcile_orders(report.date_from, report.date_to)
            )
        return True

    def _check_orders(self, orders):
        """Compare ``orders`` with Odoo, record the mismatches and queue them as exceptions.

        ``orders`` yields ``(canonical order, raw payload)`` as the channel gave them
        (:meth:`retail.backend._reconcile_orders`). The sale orders found are then handed to
        :meth:`_extra_mismatches`, so that other addons compare them with what they keep
        elsewhere (e.g. the status a CRM shows), whatever the channel.
        """
        self.ensure_one()
        self.line_ids.unlink()
        backend = self.backend_id
        # sudo: a reconciliation compares the backend's orders whoever runs it (the nightly cron, a
        # Retail Manager who need not be a Sales user)
        Binding = self.env["retail.order.binding"].sudo()
        checked = 0
        lines = []
        sale_ids = []
        for order, payload in orders:
            checked += 1
            sale = Binding._find(backend, order.external_id).odoo_id
            sale_ids += sale.ids
            for mismatch in compare_order(order, sale, backend.rounding_tolerance):
                lines.append(self._line_values(mismatch, payload))
        # sudo: a reconciliation compares the backend's orders whoever runs it (the nightly cron, a
        # Retail Manager who need not be a Sales user)
        sales = self.env["sale.order"].sudo().browse(list(dict.fromkeys(sale_ids)))
        for mismatch in self._extra_mismatches(sales):
            lines.append(self._line_values(mismatch, None))
        self.env["retail.reconciliation.line"].create(lines)
        self.write(
            {
                "run_at": fields.Datetime.now(),
                "checked_count": checked,
                "state": "mismatch" if lines else "clean",
                "summary": _(
                    "%(checked)s orders checked, %(count)s mismatches",
                    checked=checked,
                    count=len(lines),
                )
                if lines
                else _("%s orders checked: the books agree.", checked),
            }
        )
        self.line_ids._queue_exceptions()
        return True

    def _extra_mismatches(self, sales):
        """Return more :class:`~..engine.reconcile.Mismatch` for the checked ``sales``.

        Hook for addons that keep a copy of the orders elsewhere (the Salesforce addon compares
        the status its CRM shows). A mismatch's ``payload`` is what its fix (the line's
        ``_fix``) needs; none by default.
        """
        return []

    def _line_values(self, mismatch, payload):
        record = mismatch.record
        if mismatch.payload is not None:
            payload = mismatch.payload
        return {
            "reconciliation_id": self.id,
            "kind": mismatch.kind,
            "reference": mismatch.reference,
            "expected": mismatch.expected,
            "found": mismatch.found,
            "res_model": record._name if record else False,
            "res_id": record.id if record else False,
            "can_reimport": mismatch.reimport and payload is not None,
            "payload": json.dumps(payload) if payload is not None else False,
        }

    @api.model
    def _cron_nightly(self):
        """Reconcile yesterday for every backend that can read its orders back."""
        yesterday = fields.Date.subtract(fields.Date.context_today(self), days=1)
        for backend in self.env["retail.backend"].search([]):
            if backend._reconcile_supported():
                self.create(
                    {"backend_id": backend.id, "date_from": yesterday, "date_to": yesterday}
                ).action_run()


class RetailReconciliationLine(models.Model):
    _name = "retail.reconciliation.line"
    _description = "Retail Connector Reconciliation Mismatch"
    _order = "id"

    reconciliation_id = fields.Many2one(
        "retail.reconciliation", required=True, ondelete="cascade", index=True
    )
    backend_id = fields.Many2one(related="reconciliation_id.backend_id", store=True)
    company_id = fields.Many2one(related="reconciliation_id.company_id", store=True)
    kind = fields.Selection(MISMATCH_KINDS, required=True)
    reference = fields.Char(string="External Reference")
    expected = fields.Char()
    found = fields.Char()
    res_model = fields.Char(string="Record Model")
    res_id = fields.Many2oneReference(string="Record Id", model_field="res_model")
    can_reimport = fields.Boolean(readonly=True)
    payload = fields.Text(readonly=True)
    event_id = fields.Many2one("retail.event", string="Exception", readonly=True)

    def _queue_exceptions(self):
        for line in self:
            event, _created = store_event(
                line.backend_id,
                f"reconciliation/{line.kind}",
                {"reference": line.reference, "expected": line.expected, "found": line.found},
                f"reconciliation:{line.reconciliation_id.id}:{line.id}",
                external_id=line.reference,
                enqueue=False,
            )
            label = dict(MISMATCH_KINDS)[line.kind]
            event.with_context(retail_event_internal=True).write(
                {
                    "state": "failed",
                    "error_kind": "data",
                    "error_message": _(
                        "Reconciliation: %(label)s for %(reference)s: expected %(expected)s, found "
                        "%(found)s.%(hint)s",
                        label=label,
                        reference=line.reference,
                        expected=line.expected,
                        found=line.found,
                        hint=line._fix_hint(),
                    ),
                    "res_model": line.res_model,
                    "res_id": line.res_id,
                }
            )
            line.event_id = event

    def _fix_hint(self):
        """The sentence of the exception message that says how to fix the mismatch."""
        self.ensure_one()
        if self.can_reimport:
            return _(" Re-import it from the reconciliation report.")
        return _(" Fix it by hand, then ignore this event.")

    @requires_group(MANAGER_GROUP)
    def action_reimport(self):
        """Fix the lines that have an automatic fix (:meth:`_fix`); their exception is ignored."""
        for line in self.filtered("can_reimport"):
            event = line._fix()
            line.event_id.action_ignore()
            if event:
                line.event_id = event
        return True

    def _fix(self):
        """Import the channel's current version of the order again (through the inbox).

        Addons override it for the kinds of mismatch they add; returns the new inbox event,
        if any.
        """
        self.ensure_one()
        backend = self.backend_id
        event, _created = store_event(
            backend,
            backend._reconcile_reimport_topic(),
            self.payload,
            f"reimport:{self.reconciliation_id.id}:{self.id}",
            external_id=self.reference,
        )
        return event

    @requires_group(USER_GROUP)
    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
