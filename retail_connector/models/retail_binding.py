from odoo import api, fields, models

from .. import compat
from ..canonical import parse_timestamp


class RetailBinding(models.AbstractModel):
    """Link between one Odoo record and its counterpart in one backend.

    Concrete bindings define ``odoo_id``. ``external_updated_at`` is the channel's update time
    of the last payload applied, so that an older payload arriving late is skipped;
    ``sync_hash`` is the hash of the last canonical record exported, so that an unchanged
    record is not sent again; ``export_pending`` marks the binding dirty for the next export
    (changes made beside an export, such as stock moves, mark it through ``retail.export.mark``
    instead, folded in by the export's claim).
    """

    _name = "retail.binding"
    _description = "Retail Connector Binding (abstract)"

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    backend_type = fields.Selection(related="backend_id.backend_type")
    external_id = fields.Char(required=True, index=True)
    external_updated_at = fields.Datetime(help="Channel update time of the last payload applied.")
    sync_date = fields.Datetime(string="Last Sync")
    sync_hash = fields.Char(help="Hash of the last record exported to the channel.")
    export_pending = fields.Boolean(index=True, help="Changed in Odoo since the last export.")
    sync_version = fields.Integer(
        readonly=True, copy=False,
        help="Bumped by every change marked for export: an export records its outcome as "
        "final only when the version it read has not moved meanwhile.",
    )
    export_claimed_at = fields.Datetime(
        readonly=True, copy=False, help="Being sent by an export since then (its claim)."
    )
    export_dirty = fields.Boolean(
        compute="_compute_export_dirty",
        help="Waiting for an export: marked on the binding, or by a change (a stock move) "
        "that no export has taken yet.",
    )
    external_url = fields.Char(compute="_compute_external_url")

    compat.sql_constraints(locals(), [
        (
            "backend_external_uniq",
            "unique(backend_id, external_id)",
            "This external record is bound already on this backend.",
        ),
        (
            "backend_odoo_uniq",
            "unique(backend_id, odoo_id)",
            "This Odoo record is bound already on this backend.",
        ),
    ])

    @api.depends("export_pending")
    @api.depends_context("uid")
    def _compute_export_dirty(self):
        from ..engine.outbound import marked_binding_ids

        marked = marked_binding_ids(self.env, self._name, self.ids)
        for binding in self:
            binding.export_dirty = binding.export_pending or binding.id in marked

    @api.depends("external_id", "backend_id")
    def _compute_external_url(self):
        for binding in self:
            binding.external_url = binding.backend_id._binding_external_url(binding)

    @api.model
    def _find(self, backend, external_id):
        return self.with_context(active_test=False).search(
            [("backend_id", "=", backend.id), ("external_id", "=", str(external_id))], limit=1
        )

    def _is_outdated(self, updated_at):
        """Return True when ``updated_at`` is older than what this binding has applied."""
        self.ensure_one()
        if not updated_at or not self.external_updated_at:
            return False
        return parse_timestamp(updated_at) < self.external_updated_at

    @api.model
    def _bind(self, backend, external_id, record, updated_at=None):
        """Create or refresh the binding of ``record``; returns the binding."""
        values = {"sync_date": fields.Datetime.now()}
        if updated_at:
            values["external_updated_at"] = parse_timestamp(updated_at)
        binding = self._find(backend, external_id)
        if binding:
            binding.write(values)
            return binding
        values.update(backend_id=backend.id, external_id=str(external_id), odoo_id=record.id)
        return self.create(values)


class RetailPartnerBinding(models.Model):
    _name = "retail.partner.binding"
    _inherit = "retail.binding"
    _description = "Retail Partner Binding"

    odoo_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")


class RetailProductBinding(models.Model):
    _name = "retail.product.binding"
    _inherit = "retail.binding"
    _description = "Retail Product Variant Binding"

    odoo_id = fields.Many2one("product.product", required=True, index=True, ondelete="cascade")
    inventory_item_id = fields.Char(index=True, help="Channel id of the stock item, if any.")
    product_external_id = fields.Char(help="Channel id of the parent product.")


class RetailOrderBinding(models.Model):
    _name = "retail.order.binding"
    _inherit = "retail.binding"
    _description = "Retail Sale Order Binding"

    odoo_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade")
    external_name = fields.Char(string="External Number", help="The channel's order number.")


class RetailPickingBinding(models.Model):
    _name = "retail.picking.binding"
    _inherit = "retail.binding"
    _description = "Retail Picking Binding"

    odoo_id = fields.Many2one("stock.picking", required=True, index=True, ondelete="cascade")


class RetailRefundBinding(models.Model):
    _name = "retail.refund.binding"
    _inherit = "retail.binding"
    _description = "Retail Refund Binding"

    odoo_id = fields.Many2one("account.move", required=True, index=True, ondelete="cascade")
