from odoo import fields, models

from ..access import USER_GROUP, requires_group
from . import linked_events


class ResPartner(models.Model):
    _inherit = "res.partner"

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
        "retail.partner.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )
