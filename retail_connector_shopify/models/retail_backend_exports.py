from odoo import models


class RetailBackend(models.Model):
    """Shopify outbound flows: stock levels, products and prices (exporters)."""

    _inherit = "retail.backend"
