from odoo import fields, models


class RetailSfStatusBinding(models.Model):
    """A sale order (of any channel) and the Salesforce Order that shows its status."""

    _name = "retail.sf.status.binding"
    _inherit = "retail.binding"
    _description = "Salesforce Order Status Binding"

    odoo_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade")
    from_odoo = fields.Boolean(
        string="Created from Odoo",
        help="The order did not come from this org: Odoo created its Salesforce Order.")
