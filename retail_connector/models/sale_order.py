from odoo import api, fields, models

from ..access import USER_GROUP, requires_group
from . import linked_events


class SaleOrder(models.Model):
    _inherit = "sale.order"
    retail_event_count = fields.Integer(
        string="Channel Events",
        compute="_compute_retail_event_count",
        groups="retail_connector.group_retail_user",
    )

    def _compute_retail_event_count(self):
        linked_events.compute_event_counts(self)

    @requires_group(USER_GROUP)
    def action_open_retail_events(self):
        return linked_events.events_action(self)

    retail_binding_ids = fields.One2many(
        "retail.order.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )
    retail_backend_id = fields.Many2one(
        "retail.backend",
        string="Channel",
        compute="_compute_retail_channel",
        store=True,
        index=True,
        help="The store or org this order came from.",
    )
    retail_external_name = fields.Char(
        string="External Number", compute="_compute_retail_channel", store=True, index=True
    )

    @api.depends("retail_binding_ids.backend_id", "retail_binding_ids.external_name")
    def _compute_retail_channel(self):
        for order in self:
            binding = order.sudo().retail_binding_ids[:1]
            order.retail_backend_id = binding.backend_id
            order.retail_external_name = binding.external_name


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    retail_external_line_id = fields.Char(
        string="Channel Line Id",
        copy=False,
        index="btree_not_null",
        help="Id of the line in the channel order it was imported from.",
    )
