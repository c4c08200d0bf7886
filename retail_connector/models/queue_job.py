from odoo import fields, models


class QueueJob(models.Model):
    """The connector's jobs carry their backend and flow, so the dashboard can chart them."""

    _inherit = "queue.job"

    retail_backend_id = fields.Many2one(
        "retail.backend",
        string="Retail Backend",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    retail_flow = fields.Char(
        string="Retail Flow",
        readonly=True,
        help="The event topic (orders/create, customer, ...) or the exported flow of the job.",
    )
