from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    retail_binding_ids = fields.One2many(
        "retail.partner.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )
