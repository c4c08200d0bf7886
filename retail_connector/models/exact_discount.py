"""Channel discounts booked to the cent, on sale order lines and invoice lines.

A channel allocates a discount to a line as an amount (Shopify: ``discount_allocations``).
Odoo keeps a line's discount as a percentage with the *Discount* precision (2 digits), so
``5.00`` off a ``159.99`` line became 3.13 % and a subtotal of 154.98, and ``0.07`` off
``3 × 999.99`` could not be expressed at all. Lines imported from a channel therefore carry the
allocated amount (``retail_discount_amount``), and the taxes computation of that line uses the
exact percentage it stands for, unrounded: the line's subtotal is ``price × quantity −
amount`` to the cent, taxes are computed on that subtotal as the channel does, and the
*Discount (%)* column still shows the (rounded) percentage a person expects. Lines without a
channel discount are computed exactly as Odoo does.
"""

from odoo import api, fields, models

from .. import compat


def exact_discount(amount, price_unit, quantity):
    """The unrounded discount percentage of ``amount`` off ``price_unit × quantity``, or None."""
    gross = (price_unit or 0.0) * (quantity or 0.0)
    if not amount or not gross:
        return None
    return amount / gross * 100.0


def display_discount(amount, price_unit, quantity):
    """The percentage shown in the *Discount (%)* column (0 without a discount); accepts
    Decimals as the canonical records carry them."""
    return exact_discount(float(amount or 0), float(price_unit or 0), float(quantity or 0)) or 0.0


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    retail_discount_amount = fields.Monetary(
        string="Channel Discount",
        copy=False,
        help="Discount the channel allocated to this line, as an amount: the subtotal is "
        "exactly unit price × quantity minus this amount (the Discount % shown is rounded).",
    )

    def _prepare_base_line_for_taxes_computation(self, **kwargs):
        base_line = super()._prepare_base_line_for_taxes_computation(**kwargs)
        if "discount" not in kwargs:
            exact = exact_discount(
                self.retail_discount_amount, self.price_unit, self.product_uom_qty
            )
            if exact is not None:
                base_line["discount"] = exact
        return base_line

    @api.depends(
        "product_uom_qty", "discount", "price_unit", compat.SALE_LINE_TAXES,
        "retail_discount_amount",
    )
    def _compute_amount(self):
        return super()._compute_amount()

    def _prepare_invoice_line(self, **optional_values):
        values = super()._prepare_invoice_line(**optional_values)
        if self.retail_discount_amount and values.get("display_type", "product") == "product":
            ordered = self.product_uom_qty
            share = values.get("quantity", 0.0) / ordered if ordered else 0.0
            values["retail_discount_amount"] = self.currency_id.round(
                self.retail_discount_amount * share
            )
        return values


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    retail_discount_amount = fields.Monetary(
        string="Channel Discount",
        copy=True,
        help="Discount the channel allocated to this line, as an amount: the subtotal is "
        "exactly unit price × quantity minus this amount (the Discount % shown is rounded).",
    )

    @api.depends(
        "quantity", "discount", "price_unit", "tax_ids", "currency_id", "retail_discount_amount"
    )
    def _compute_totals(self):
        return super()._compute_totals()


class AccountMove(models.Model):
    _inherit = "account.move"

    retail_sale_order_id = fields.Many2one(
        "sale.order",
        string="Channel Order",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="The sale order whose channel refund this credit note books.",
    )

    def _prepare_product_base_line_for_taxes_computation(self, product_line):
        base_line = super()._prepare_product_base_line_for_taxes_computation(product_line)
        if self.is_invoice(include_receipts=True):
            exact = exact_discount(
                product_line.retail_discount_amount, product_line.price_unit, product_line.quantity
            )
            if exact is not None:
                base_line["discount"] = exact
        return base_line
