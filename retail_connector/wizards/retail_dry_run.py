from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import compat
from ..access import MANAGER_GROUP, requires_group
from ..engine import dry_run
from ..errors import RetailError

# What a dry run reports on: the records an import may create, with what to show of each.
WATCHED_MODELS = {
    "res.partner": ("display_name", "email", "type"),
    "sale.order": ("name", "partner_id", "amount_untaxed", "amount_tax", "amount_total", "state"),
    "sale.order.line": (
        "product_id", "product_uom_qty", "price_unit", "discount", compat.SALE_LINE_TAXES
    ),
    "account.move": ("name", "move_type", "amount_total", "state"),
    "account.payment": ("name", "amount", "journal_id"),
    "stock.picking": ("name", "picking_type_id", "state"),
    "retail.value.mapping": ("kind", "external_value"),
}


class _RollBack(Exception):
    """Raised inside the dry run's savepoint to undo everything the import wrote."""


class RetailDryRun(models.TransientModel):
    """Show what importing a payload would create or change, and write nothing.

    The import runs for real inside a savepoint (the same code path, mappings and ownership
    rules as a real import), the report lists what it created and changed, then the savepoint
    is rolled back. The channel adapters refuse every write while the context holds
    ``retail_dry_run`` (reads go out); the result lists the calls made and refused.
    """

    _name = "retail.dry.run"
    _description = "Retail Connector Dry Run"

    backend_id = fields.Many2one("retail.backend", required=True)
    event_id = fields.Many2one("retail.event", string="Stored Event")
    topic = fields.Char(required=True, help="Topic of the payload, e.g. orders/create.")
    payload = fields.Text(required=True, help="A stored event's payload, or one pasted here.")
    result = fields.Text(readonly=True)
    outcome = fields.Selection(
        [
            ("ok", "Would import"),
            ("data", "Data error"),
            ("transient", "Transient"),
            ("auth", "Authentication"),
        ],
        readonly=True,
    )

    @api.onchange("event_id")
    def _onchange_event_id(self):
        if self.event_id:
            self.backend_id = self.event_id.backend_id
            self.topic = self.event_id.topic
            self.payload = self.event_id.payload

    @requires_group(MANAGER_GROUP)
    def action_run(self):
        self.ensure_one()
        with dry_run.journal() as (token, calls):
            # Everything runs under the dry-run context: the adapters refuse any write to the
            # channel before it is sent, whatever the handler does (engine.dry_run).
            wizard = self.with_context(retail_no_export=True, retail_dry_run=token)
            outcome, lines = wizard._run_handler()
            call_lines = dry_run.describe_calls(calls)
        if call_lines:
            lines.append(_("Calls to the channel (nothing was written there):"))
            lines.extend(call_lines)
        self.env.invalidate_all()
        self.write({"outcome": outcome, "result": "\n".join(lines)})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _run_handler(self):
        """Run the topic's handler in a savepoint rolled back; return ``(outcome, lines)``."""
        # As the backend's integration user, like the import it previews (same rights).
        backend = self.backend_id.with_env(self.env)._as_integration_user()
        handler = backend._get_event_handler(self.topic)
        if handler is None:
            raise UserError(_("No importer for topic '%s' on this backend.", self.topic))
        outcome, lines = "ok", []
        try:
            with self.env.cr.savepoint():
                before = self._high_water_marks()
                event = backend.env["retail.event"].create(
                    {
                        "backend_id": backend.id,
                        "topic": self.topic,
                        "idempotency_key": f"dry-run:{self.id}",
                        "payload": self.payload,
                    }
                )
                try:
                    record = handler(event)
                except RetailError as error:
                    outcome = error.kind
                    lines.append(
                        _("Would fail (%(kind)s): %(error)s", kind=error.kind, error=error)
                    )
                    missing = getattr(error, "missing_mapping", None)
                    if missing:
                        lines.append(
                            _(
                                "Would create a draft %(kind)s mapping for '%(value)s'.",
                                kind=missing[0],
                                value=missing[1],
                            )
                        )
                except dry_run.DryRunWriteRefused as refused:
                    lines.append(
                        _(
                            "Would write to %(channel)s: %(call)s (the dry run stops at the "
                            "first write).",
                            channel=refused.channel,
                            call=refused.description,
                        )
                    )
                    lines.extend(self._describe_new(before, exclude=event))
                else:
                    lines.append(_("Would import: %s", getattr(record, "display_name", record)))
                    lines.extend(self._describe_new(before, exclude=event))
                raise _RollBack()
        except _RollBack:
            pass
        return outcome, lines

    def _high_water_marks(self):
        marks = {}
        for model in WATCHED_MODELS:
            self.env[model].flush_model()
            self.env.cr.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.env[model]._table}"')
            marks[model] = self.env.cr.fetchone()[0]
        return marks

    def _describe_new(self, before, exclude):
        lines = []
        for model, field_names in WATCHED_MODELS.items():
            # sudo: the dry run lists every record the import created, of models (orders, invoices,
            # stock) a Retail Manager may not read
            Model = self.env[model].sudo().with_context(active_test=False)
            Model.flush_model()
            new = Model.search([("id", ">", before[model])], order="id")
            for record in new:
                values = []
                for name in field_names:
                    value = record[name]
                    if isinstance(value, models.BaseModel):
                        value = ", ".join(value.mapped("display_name"))
                    values.append(f"{record._fields[name].string}: {value}")
                lines.append(f"  + {Model._description} — " + "; ".join(values))
        return lines
