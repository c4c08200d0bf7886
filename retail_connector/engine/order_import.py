"""Import a canonical :class:`~..canonical.Order` into a ``sale.order``, and keep it in step.

One order of a channel becomes one sale order of the backend's company, bound by the
channel's order id, with its external number. The customer goes through the partner importer;
the billing and shipping addresses become invoice and delivery contacts, reused when
identical. Lines find their product by variant binding, then SKU (internal reference), then
barcode; taxes, shipping methods and payment gateways go through the backend's value
mappings. An unknown SKU, an unmapped tax or a total that does not match the channel's is a
data error: nothing is created and the event says what to fix.

Later versions of the same order (paid, cancelled, edited) update the sale order: the payment
workflow runs once, a cancellation cancels what is not shipped yet, and quantity edits are
applied while nothing was delivered; other edits are raised for a person.
"""

from decimal import Decimal

from odoo import _, fields

from .. import compat
from ..canonical import Customer
from ..errors import DataError, IgnoredEvent
from ..models.exact_discount import display_discount
from .importers import PartnerImporter, normalize_email
from .locks import lock_external_record
from .order_workflow import OrderWorkflow

ADDRESS_FIELDS = (
    "name", "street", "street2", "city", "zip", "country_id", "state_id", "phone", "company_name"
)


class OrderImporter:
    binding_model = "retail.order.binding"

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env
        self.partners = PartnerImporter(backend)

    # ------------------------------------------------------------------
    def import_order(self, order):
        """Create or update the sale order of ``order``; return it."""
        if not order.external_id:
            raise DataError(_("The order has no id: the channel payload is incomplete."))
        lock_external_record(self.env.cr, self.backend.id, "sale.order", order.external_id)
        Binding = self.env[self.binding_model]
        binding = Binding._find(self.backend, order.external_id)
        if binding:
            if binding._is_outdated(order.updated_at):
                return binding.odoo_id
            sale = self.update_order(binding.odoo_id, order)
        else:
            sale = self.create_order(order)
        binding = Binding._bind(self.backend, order.external_id, sale, order.updated_at)
        if order.name and binding.external_name != order.name:
            binding.external_name = order.name
        return sale

    def create_order(self, order):
        if order.cancelled:
            raise DataError(
                _("Order %s was cancelled before Odoo saw it: ignore this event.", order.name)
            )
        if order.test and not self.backend.import_test_orders:
            raise IgnoredEvent(
                _(
                    "Order %s is a test order of the channel: not imported. Tick Import Test "
                    "Orders on the backend to import test orders as quotations.",
                    order.name,
                )
            )
        partner = self.customer_partner(order)
        currency = self.currency(order.currency)
        values = {
            "partner_id": partner.id,
            "partner_invoice_id": self.address_partner(
                partner, order.billing_address, "invoice"
            ).id,
            "partner_shipping_id": self.address_partner(
                partner, order.shipping_address, "delivery"
            ).id,
            "company_id": self.backend.company_id.id,
            "client_order_ref": order.name,
            "origin": order.name,
            "note": order.note or False,
            "retail_customer_note": order.note or False,
            "retail_note_attributes": attributes_text(order.note_attributes) or False,
            "retail_channel_tags": ", ".join(order.tags) or False,
            "retail_test_order": order.test,
            "retail_presentment_currency": order.presentment_currency or False,
            "tag_ids": [(4, tag.id) for tag in self.channel_tag() | self.order_tags(order)],
            "order_line": [(0, 0, vals) for vals in self.line_values(order)],
        }
        pricelist = self.pricelist(currency)
        if pricelist:
            values["pricelist_id"] = pricelist.id
        if self.backend.warehouse_id:
            values["warehouse_id"] = self.backend.warehouse_id.id
        if self.backend.team_id:
            values["team_id"] = self.backend.team_id.id
        if order.created_at:
            values["date_order"] = fields.Datetime.to_string(_naive(order.created_at))
        sale = self.env["sale.order"].with_company(self.backend.company_id).create(values)
        self.check_total(sale, order)
        # Bound before the workflow runs, so that what confirmation triggers (pickings,
        # other channels' hooks) already sees the order's channel and number.
        self.env[self.binding_model]._bind(
            self.backend, order.external_id, sale, order.updated_at
        ).external_name = order.name
        OrderWorkflow(self.backend, sale, order).run()
        if order.created_at:
            # Confirmation dates the order "now": the channel's date is when it was placed.
            sale.date_order = values["date_order"]
        return sale

    def update_order(self, sale, order):
        if order.cancelled:
            OrderWorkflow(self.backend, sale, order).cancel()
            return sale
        self.apply_edits(sale, order)
        OrderWorkflow(self.backend, sale, order).run()
        return sale

    # ------------------------------------------------------------------
    def customer_partner(self, order):
        customer = order.customer
        if customer and customer.external_id:
            return self.partners.import_customer(customer)
        email = normalize_email(
            (customer and customer.email) or (order.billing_address and order.billing_address.email)
        )
        address = order.billing_address or order.shipping_address
        if not email and not address:
            raise DataError(
                _(
                    "Order %s has neither a customer nor an address: complete it in the channel.",
                    order.name,
                )
            )
        guest = Customer(external_id="", email=email, name=(address and address.name) or email)
        partner = self.partners.match_partner(guest)
        if not partner:
            partner = self.env["res.partner"].create(self.partners.partner_values(guest))
        return partner

    def address_partner(self, partner, address, kind):
        """Return the contact of ``address``: the partner itself, an identical child, or a new
        child contact of type ``kind`` (invoice or delivery)."""
        if address is None:
            return partner
        values = self.partners.address_values(address)
        values["name"] = address.name or partner.name
        values["phone"] = address.phone or False
        values["company_name"] = address.company or False
        if _same_address(partner, values):
            return partner
        for child in partner.child_ids.filtered(lambda c: c.type == kind):
            if _same_address(child, values):
                return child
        values.update(
            parent_id=partner.id,
            type=kind,
            phone=address.phone or False,
            email=address.email or False,
            company_name=address.company or False,
        )
        return self.env["res.partner"].create(values)

    def channel_tag(self):
        """The sales tag named after the backend, so orders are filterable by channel."""
        Tag = self.env["crm.tag"]
        return Tag.search([("name", "=", self.backend.name)], limit=1) or Tag.create(
            {"name": self.backend.name}
        )

    def order_tags(self, order):
        """The order's channel tags as sales tags (created when new)."""
        Tag = self.env["crm.tag"]
        tags = Tag.browse()
        for name in order.tags:
            tags |= Tag.search([("name", "=", name)], limit=1) or Tag.create({"name": name})
        return tags

    def currency(self, code):
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", (code or "").upper())], limit=1)
        )
        if not currency:
            raise DataError(_("Unknown currency '%s' on the order.", code))
        if not currency.active:
            raise DataError(
                _(
                    "Currency %s is not active in Odoo: activate it in Accounting settings, "
                    "then retry.",
                    currency.name,
                )
            )
        return currency

    def pricelist(self, currency):
        """The backend's pricelist when its currency matches, else one of this currency."""
        if self.backend.pricelist_id.currency_id == currency:
            return self.backend.pricelist_id
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, self.backend.company_id.id)),
            ],
            limit=1,
        )
        if pricelist:
            return pricelist
        if currency == self.backend.company_id.currency_id:
            return Pricelist.browse()
        # sudo: a pricelist for a new currency is created by the import on first use; creating
        # pricelists is a Sales Manager right the integration user does not have.
        return Pricelist.sudo().create(
            {
                "name": f"{self.backend.name} {currency.name}",
                "currency_id": currency.id,
                "company_id": self.backend.company_id.id,
            }
        )

    # ------------------------------------------------------------------
    def line_values(self, order):
        """Sale order line values of the order's lines and shipping, exact to the cent.

        A line keeps the channel's unit price and quantity; the discount the channel
        allocated to it is kept as an amount (``retail_discount_amount``), so its subtotal is
        exactly ``price × quantity − discount`` (the *Discount %* shown is rounded). Every
        unknown SKU of the order is named in one message.
        """
        if not order.lines:
            raise DataError(
                _(
                    "Order %s has no line: there is nothing to sell. Check the order in the "
                    "channel, then ignore this event.",
                    order.name,
                )
            )
        lines, unknown = [], []
        for line in order.lines:
            if line.quantity <= 0:
                raise DataError(
                    _(
                        "Line '%(title)s' of order %(order)s has quantity %(qty)s: a line must "
                        "order at least one unit.",
                        title=line.title or line.sku,
                        order=order.name,
                        qty=line.quantity,
                    )
                )
            product = self.product(line)
            if not product:
                unknown.append(line)
                continue
            lines.append(
                {
                    "product_id": product.id,
                    "name": line_description(line, product),
                    "product_uom_qty": line.quantity,
                    "price_unit": float(line.unit_price),
                    "discount": display_discount(
                        line.discount_amount, line.unit_price, line.quantity
                    ),
                    "retail_discount_amount": float(line.discount_amount),
                    "retail_ordered_qty": line.quantity,
                    compat.SALE_LINE_TAXES: [
                        (6, 0, self.taxes(line.taxes, order.taxes_included).ids)
                    ],
                    "retail_external_line_id": line.external_id,
                }
            )
        if unknown:
            raise DataError(self.unknown_skus_message(order, unknown))
        for shipping in order.shipping_lines:
            mapping = self.env["retail.value.mapping"]._resolve(
                self.backend, "shipping", shipping.code or shipping.title, shipping.title
            )
            lines.append(
                {
                    "product_id": mapping.product_id.id,
                    "name": shipping.title,
                    "product_uom_qty": 1,
                    "price_unit": float(shipping.price),
                    "discount": display_discount(shipping.discount_amount, shipping.price, 1),
                    "retail_discount_amount": float(shipping.discount_amount),
                    compat.SALE_LINE_TAXES: [
                        (6, 0, self.taxes(shipping.taxes, order.taxes_included).ids)
                    ],
                    "retail_external_line_id": f"shipping:{shipping.code or shipping.title}",
                }
            )
        return lines

    def product(self, line):
        """The product of a line, or an empty recordset when its SKU is unknown."""
        if line.kind in ("custom", "gift_card", "tip"):
            return self.backend._special_product(line.kind)
        Product = self.env["product.product"].with_context(active_test=False)
        if line.variant_external_id:
            binding = (
                self.env["retail.product.binding"]
                ._find(self.backend, line.variant_external_id)
            )
            if binding:
                return self._usable(binding.odoo_id, line)
        company = ("company_id", "in", (False, self.backend.company_id.id))
        for field, value in (("default_code", line.sku), ("barcode", line.barcode)):
            if value:
                product = Product.search([(field, "=", value), company], limit=1)
                if product:
                    return self._usable(product, line)
        if not (line.sku or line.barcode or line.variant_external_id):
            # A line that names nothing of the catalogue is a custom item.
            return self.backend._special_product("custom")
        return Product.browse()

    @staticmethod
    def _usable(product, line):
        if not product.active or not product.sale_ok:
            raise DataError(
                _(
                    "Product %(product)s (SKU '%(sku)s') is archived or cannot be sold: restore "
                    "it, then retry the event.",
                    product=product.display_name,
                    sku=line.sku,
                )
            )
        return product

    def taxes(self, tax_lines, taxes_included):
        Mapping = self.env["retail.value.mapping"]
        taxes = self.env["account.tax"]
        for tax_line in tax_lines:
            key = tax_key(tax_line)
            tax = Mapping._resolve(self.backend, "tax", key, key).tax_id
            if tax.price_include != bool(taxes_included):
                raise DataError(
                    _(
                        "Tax %(tax)s mapped to '%(key)s' is %(mode)s but the channel sends prices "
                        "%(channel)s: map a tax of the right kind.",
                        tax=tax.name,
                        key=key,
                        mode=_("price-included") if tax.price_include else _("price-excluded"),
                        channel=_("with taxes") if taxes_included else _("without taxes"),
                    )
                )
            taxes |= tax
        return taxes

    def check_total(self, sale, order):
        """The sale order's total must equal the channel's, to the cent (a channel that
        sends no total, 0, is not checked)."""
        if not order.total:
            return
        if sale.currency_id.compare_amounts(sale.amount_total, float(order.total)) == 0:
            return
        raise DataError(
            _(
                "Total of order %(order)s does not match: the channel says %(channel)s, Odoo "
                "computes %(odoo)s (untaxed %(untaxed)s, taxes %(tax)s). %(hint)s",
                order=order.name,
                channel=order.total,
                odoo=sale.currency_id.round(sale.amount_total),
                untaxed=sale.currency_id.round(sale.amount_untaxed),
                tax=sale.currency_id.round(sale.amount_tax),
                hint=self.total_hint(order),
            )
        )

    def total_hint(self, order):
        """What to check when totals disagree, from what the order carries."""
        if not any(line.taxes for line in [*order.lines, *order.shipping_lines]):
            untaxed = sum(
                (line.unit_price * Decimal(str(line.quantity)) - line.discount_amount
                 for line in order.lines),
                start=Decimal(0),
            ) + sum((s.price - s.discount_amount for s in order.shipping_lines), start=Decimal(0))
            if untaxed != order.total:
                return _(
                    "The channel sent no tax per line (only order-level taxes), so no tax "
                    "mapping applies: the order's taxes cannot be booked line by line. Record "
                    "it by hand, then ignore this event."
                )
        return _(
            "Check that each tax mapping points to a tax of the same rate and kind (included "
            "or not), and that the company computes taxes per line."
        )

    def unknown_skus_message(self, order, lines):
        names = []
        for line in lines:
            names.append(
                _(
                    "Unknown SKU '%(sku)s' (line '%(title)s')",
                    sku=line.sku or line.barcode or line.variant_external_id,
                    title=line.title,
                )
            )
        return _(
            "Order %(order)s: %(names)s. Create a product with each internal reference or "
            "barcode, or bind the variants, then retry the event.",
            order=order.name,
            names="; ".join(names),
        )

    # ------------------------------------------------------------------
    def apply_edits(self, sale, order):
        """Apply quantity edits while nothing is delivered; raise other edits for a person.

        A line's wanted quantity is what the channel ordered less what edits removed (its
        current quantity plus what was refunded) and less the units this order's imported
        refunds took off: refunds themselves are the refund events' business, whichever
        arrives first.
        """
        by_external = {
            line.retail_external_line_id: line
            for line in sale.order_line
            if line.retail_external_line_id
            and not line.retail_external_line_id.startswith("shipping:")
        }
        wanted = {line.external_id: line for line in order.lines}
        if set(by_external) != set(wanted):
            raise DataError(
                _(
                    "Order %s gained or lost lines in the channel after it was imported: apply "
                    "the change to the sale order by hand, then ignore this event.",
                    order.name,
                )
            )
        changes = {}
        for external, line in wanted.items():
            sale_line = by_external[external]
            quantity = edited_quantity(line) - sale_line.retail_refunded_qty
            if sale_line.product_uom_qty != quantity:
                changes[external] = quantity
        if not changes:
            return
        if any(picking.state == "done" for picking in sale.picking_ids):
            raise DataError(
                _(
                    "Order %s was edited in the channel after it shipped: apply the change by "
                    "hand (return or new order), then ignore this event.",
                    order.name,
                )
            )
        for external, quantity in changes.items():
            by_external[external].product_uom_qty = quantity


def edited_quantity(line):
    """Units of a channel line after edits, refunds not deducted."""
    if line.current_quantity is None:
        return line.quantity
    return min(line.quantity, line.current_quantity + line.refunded_quantity)


def line_description(line, product):
    """The sale line's description: the channel's title and the line's properties
    (engravings, personalisation), one ``name: value`` a line."""
    description = line.title or product.display_name
    extra = attributes_text(line.properties)
    return f"{description}\n{extra}" if extra else description


def attributes_text(attributes):
    """``name: value`` lines of channel attributes; names starting with ``_`` are hidden
    by the channel from customers, and kept here too."""
    return "\n".join(f"{item.name}: {item.value}" for item in attributes or [])


def tax_key(tax_line):
    """The mapping key of a tax line: its title and rate, e.g. ``VAT 20%``."""
    rate = float(tax_line.rate) * 100
    return f"{tax_line.title} {rate:g}%"


def _naive(value):
    from ..canonical import parse_timestamp

    return parse_timestamp(value)


def _same_address(partner, values):
    for name in ADDRESS_FIELDS:
        value = values.get(name) or False
        current = partner[name]
        current = current.id if hasattr(current, "id") else (current or False)
        if current != value:
            return False
    return True
