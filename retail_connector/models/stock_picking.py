from odoo import fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

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
