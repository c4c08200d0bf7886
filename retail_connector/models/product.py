from odoo import api, fields, models

from ..access import USER_GROUP, requires_group


class ProductProduct(models.Model):
    _inherit = "product.product"

    retail_binding_ids = fields.One2many(
        "retail.product.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )


class ProductTemplate(models.Model):
    _inherit = "product.template"

    retail_binding_count = fields.Integer(
        compute="_compute_retail_binding_count", groups="retail_connector.group_retail_user"
    )

    @api.depends("product_variant_ids")
    def _compute_retail_binding_count(self):
        Binding = self.env["retail.product.binding"]
        counts = dict(
            Binding._read_group(
                [("odoo_id.product_tmpl_id", "in", self.ids)], ["odoo_id"], ["__count"]
            )
        )
        for template in self:
            template.retail_binding_count = sum(
                count for variant, count in counts.items() if variant.product_tmpl_id == template
            )

    @requires_group(USER_GROUP)
    def action_open_retail_bindings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": "Channels",
            "res_model": "retail.product.binding",
            "view_mode": "list,form",
            "domain": [("odoo_id.product_tmpl_id", "=", self.id)],
        }
