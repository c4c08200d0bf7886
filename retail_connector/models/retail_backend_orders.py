"""What a backend does with the lines and orders that are not plain catalogue sales.

Custom line items (no product in the channel: a service, a fee, a protection plan), gift
cards sold, tips and the part of a refund that no line explains (a restocking fee kept, a
goodwill refund) each go to a product of their own. The backend creates a service product
for each the first time it needs one (changeable afterwards), so that such an order never
waits for a person; test orders are ignored unless the backend says otherwise.
"""

from odoo import _, fields, models

# kind -> (backend field, name of the product created for it)
SPECIAL_PRODUCTS = {
    "custom": ("custom_item_product_id", "Custom item"),
    "gift_card": ("gift_card_product_id", "Gift card"),
    "tip": ("tip_product_id", "Tip"),
    "refund_adjustment": ("refund_adjustment_product_id", "Refund adjustment"),
}


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    custom_item_product_id = fields.Many2one(
        "product.product",
        string="Custom Item Product",
        check_company=True,
        tracking=True,
        help="Product of order lines that name no product of the catalogue (services, fees, "
        "protection plans); the line keeps the channel's title. Created when first needed.",
    )
    gift_card_product_id = fields.Many2one(
        "product.product",
        string="Gift Card Product",
        check_company=True,
        tracking=True,
        help="Product of gift cards sold as order lines. Created when first needed.",
    )
    tip_product_id = fields.Many2one(
        "product.product",
        string="Tip Product",
        check_company=True,
        tracking=True,
        help="Product of the tips customers add at checkout. Created when first needed.",
    )
    refund_adjustment_product_id = fields.Many2one(
        "product.product",
        string="Refund Adjustment Product",
        check_company=True,
        tracking=True,
        help="Credit note line of the money a refund returns or keeps that no refunded line "
        "explains (restocking fee, refund discrepancy, goodwill refund). Its income account "
        "is where that difference is booked. Created when first needed.",
    )
    import_test_orders = fields.Boolean(
        tracking=True,
        help="Test orders of the channel (test gateway, development store) are ignored by "
        "default. Ticked: they are imported as quotations, without invoice or payment.",
    )

    def _special_product(self, kind):
        """The product lines of ``kind`` use (see SPECIAL_PRODUCTS), created when missing."""
        self.ensure_one()
        field_name, label = SPECIAL_PRODUCTS[kind]
        product = self[field_name]
        if product:
            return product
        # Creating the backend's own service product is configuration the import may do on
        # its own, whoever runs it.
        product = (
            self.env["product.product"]
            # sudo: the backend's own service product is created by the import on first use;
            # creating products is a Product Manager right the integration user does not have
            .sudo()
            .create(
                {
                    "name": _("%(label)s (%(backend)s)", label=label, backend=self.name),
                    "type": "service",
                    "invoice_policy": "order",
                    "sale_ok": True,
                    "purchase_ok": False,
                    "taxes_id": [(5, 0, 0)],
                    "company_id": self.company_id.id,
                }
            )
        )
        # sudo: the product is recorded on the backend, whose configuration the integration user may
        # not write
        self.sudo()[field_name] = product
        return product
