from odoo import api, fields, models

from ..access import USER_GROUP, requires_group
from . import linked_events


class SaleOrder(models.Model):
    _inherit = "sale.order"
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
        "retail.order.binding",
        "odoo_id",
        string="Channel Bindings",
        groups="retail_connector.group_retail_user",
    )
    retail_backend_id = fields.Many2one(
        "retail.backend",
        string="Channel",
        compute="_compute_retail_channel",
        store=True,
        index=True,
        help="The store or org this order came from.",
    )
    retail_external_name = fields.Char(
        string="External Number", compute="_compute_retail_channel", store=True, index=True
    )

    retail_customer_note = fields.Text(
        string="Customer Note",
        copy=False,
        help="The note the customer wrote at checkout in the channel.",
    )
    retail_note_attributes = fields.Text(
        string="Checkout Attributes",
        copy=False,
        help="Name: value pairs the checkout or an app attached to the channel order "
        "(gift messages, delivery instructions...).",
    )
    retail_channel_tags = fields.Char(
        string="Channel Tags", copy=False, help="The order's tags in the channel."
    )
    retail_presentment_currency = fields.Char(
        string="Customer's Currency",
        copy=False,
        help="The currency the customer saw and paid in at checkout, kept for reference: "
        "the order is booked in the shop's currency, as the channel settles it.",
    )
    retail_test_order = fields.Boolean(
        string="Channel Test Order",
        copy=False,
        help="A test order of the channel, imported as a quotation without accounting.",
    )

    retail_refund_ids = fields.One2many(
        "account.move",
        "retail_sale_order_id",
        string="Channel Credit Notes",
        help="Credit notes of the channel's refunds of this order, including those whose "
        "lines are not linked to a sale line (shipping, adjustments, kept goods).",
    )

    @api.depends("order_line.invoice_lines", "retail_refund_ids")
    def _get_invoiced(self):
        result = super()._get_invoiced()
        for order in self.filtered("retail_refund_ids"):
            invoices = order.invoice_ids | order.retail_refund_ids.filtered(
                lambda move: move.move_type == "out_refund"
            )
            order.invoice_ids = invoices
            order.invoice_count = len(invoices)
        return result

    @api.depends("retail_binding_ids.backend_id", "retail_binding_ids.external_name")
    def _compute_retail_channel(self):
        for order in self:
            # sudo: the channel of an order shows to every user of the order; its binding is
            # readable by Retail Users only
            binding = order.sudo().retail_binding_ids[:1]
            order.retail_backend_id = binding.backend_id
            order.retail_external_name = binding.external_name


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    retail_external_line_id = fields.Char(
        string="Channel Line Id",
        copy=False,
        index="btree_not_null",
        help="Id of the line in the channel order it was imported from.",
    )
    retail_ordered_qty = fields.Float(
        string="Channel Ordered Quantity",
        copy=False,
        digits="Product Unit of Measure",
        help="Units the channel order had when it was placed, before edits and refunds.",
    )
    retail_refunded_qty = fields.Float(
        string="Channel Refunded Quantity",
        copy=False,
        digits="Product Unit of Measure",
        help="Units the channel refunded that leave the order: not shipped (cancelled) or "
        "shipped and returned.",
    )
    retail_kept_qty = fields.Float(
        string="Channel Refunded, Kept",
        copy=False,
        digits="Product Unit of Measure",
        help="Units the channel refunded after shipping without a return: the customer keeps "
        "them, the order still counts them as delivered.",
    )
