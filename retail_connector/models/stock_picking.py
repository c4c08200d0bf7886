from odoo import fields, models

from ..access import USER_GROUP, requires_group
from ..engine.shipment import queue_shipments, queue_tracking_updates
from . import linked_events


class StockPicking(models.Model):
    _inherit = "stock.picking"
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
        "retail.picking.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )
    retail_backend_id = fields.Many2one(
        related="sale_id.retail_backend_id", string="Channel", store=True, index=True
    )
    retail_external_name = fields.Char(
        related="sale_id.retail_external_name", string="External Number"
    )
    retail_carrier_name = fields.Char(
        string="Carrier (channel)", help="Carrier name sent to the channel with the shipment."
    )
    retail_tracking_ref = fields.Char(
        string="Tracking Number (channel)", help="Tracking number sent to the channel."
    )

    def _action_done(self):
        result = super()._action_done()
        queue_shipments(self.filtered("retail_backend_id"))
        return result

    def write(self, vals):
        result = super().write(vals)
        if {"retail_tracking_ref", "retail_carrier_name"} & set(vals):
            queue_tracking_updates(self.filtered(lambda p: p.state == "done"))
        return result
