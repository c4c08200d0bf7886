"""Import a canonical :class:`~..canonical.Refund`: a credit note, its payments, the goods.

A refund of a channel order becomes one posted credit note reversing the order's invoice and
worth exactly what the channel refunded (its successful refund transactions):

* each refunded line at the channel's amount for those units (after their discounts), with
  the sale line's taxes;
* refunded shipping and duties;
* the part no line explains (a restocking fee kept, a refund discrepancy, a goodwill refund)
  on the backend's *Refund Adjustment* product, only when the channel recorded it as an
  order adjustment. Any other difference fails the event naming both figures: nothing is
  silently absorbed.

Each successful refund transaction becomes an outbound payment of its amount in the journal
mapped to its gateway (when that mapping pays). The goods: refunded units that were not
shipped leave the sale order (its delivery shrinks, so the warehouse does not ship them) and
their credit note line is linked to the sale line; returned units come back through a return
of the delivery (to validate when they arrive); units refunded after shipping stay on the
order as delivered and invoiced, the credit note saying what was given back. A refund is
bound by its channel id, so a duplicate changes nothing.
"""

from odoo import Command, _, fields

from .. import compat
from ..errors import DataError, TransientError
from ..models.exact_discount import display_discount
from .locks import lock_external_record

REFUND_KINDS = frozenset({"refund"})
# Restock types of goods that were shipped and come back.
RETURNED = frozenset({"return", "legacy_restock"})


def refunded_transactions(refund):
    return [t for t in refund.transactions if t.kind in REFUND_KINDS and t.status == "success"]


class RefundImporter:
    binding_model = "retail.refund.binding"

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env

    def import_refund(self, refund):
        """Create the credit note of ``refund`` once; return it."""
        lock_external_record(self.env.cr, self.backend.id, "refund", refund.external_id)
        Binding = self.env[self.binding_model]
        binding = Binding._find(self.backend, refund.external_id)
        if binding:
            return binding.odoo_id
        sale = self.sale_order(refund)
        invoice = sale.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )[:1]
        if not invoice:
            raise DataError(
                _(
                    "Order %s has no posted invoice to refund: invoice it (or map its gateway to "
                    "an invoicing workflow), then retry.",
                    sale.name,
                )
            )
        leaving = self.return_goods(sale, refund)
        credit_note = self.credit_note(sale, invoice, refund, leaving)
        self.register_refund_payments(credit_note, refund)
        Binding._bind(self.backend, refund.external_id, credit_note, refund.created_at)
        return credit_note

    def sale_order(self, refund):
        binding = (
            self.env["retail.order.binding"]._find(self.backend, refund.order_external_id)
        )
        if not binding:
            # Webhooks can arrive out of order: the order's own event may still be queued.
            raise TransientError(
                _(
                    "Order %s of this refund is not imported yet; retried shortly.",
                    refund.order_external_id,
                ),
                retry_after=30,
                circuit=False,
            )
        return binding.odoo_id

    # ------------------------------------------------------------------
    # Money
    # ------------------------------------------------------------------
    def credit_note(self, sale, invoice, refund, leaving):
        """``leaving``: sale line → units of this refund that leave the order (cancelled)."""
        lines_by_external = {line.retail_external_line_id: line for line in sale.order_line}
        invoice_lines = []
        leaving = dict(leaving)
        for refund_line in refund.lines:
            sale_line = self._sale_line(sale, refund, refund_line, lines_by_external)
            if refund_line.quantity <= 0:
                continue
            left = min(leaving.get(sale_line, 0.0), refund_line.quantity)
            leaving[sale_line] = leaving.get(sale_line, 0.0) - left
            invoice_lines.extend(self._refund_lines(sale_line, refund_line, left))
        if refund.shipping_amount:
            shipping = sale.order_line.filtered(
                lambda line: (line.retail_external_line_id or "").startswith("shipping:")
            )[:1]
            if not shipping:
                raise DataError(
                    _(
                        "Refund %s refunds shipping but the order has no shipping line.",
                        refund.external_id,
                    )
                )
            # Not linked: the order's shipping line stays sold; the credit note gives it back.
            invoice_lines.append(
                self._line(shipping, 1, float(refund.shipping_amount), linked=False)
            )
        if refund.duties_amount:
            invoice_lines.append(
                self._adjustment_line(refund.duties_amount, _("Duties refunded"), sale)
            )
        refunded = sum(float(t.amount) for t in refunded_transactions(refund))
        if not invoice_lines and not refund.adjustments:
            raise DataError(
                _(
                    "Refund %(refund)s refunds no line, no shipping and no adjustment, yet "
                    "%(amount)s was refunded: book it by hand, then ignore this event.",
                    refund=refund.external_id,
                    amount=refunded,
                )
            )
        move = self._create_credit_note(sale, invoice, refund, invoice_lines)
        # The tax rounding is booked last: adding the adjustment line afterwards would make
        # Odoo recompute the lines it moved. With prices excluding taxes it adds to the total.
        tax_delta = self._tax_rounding(move, refund)
        included = any(move.invoice_line_ids.tax_ids.mapped("price_include"))
        total = move.amount_total + (0.0 if included else tax_delta)
        difference = sale.currency_id.round(refunded - total)
        if not sale.currency_id.is_zero(difference):
            if not refund.adjustments:
                raise DataError(self._difference_message(refund, move, refunded, total, tax_delta))
            reason = "; ".join(
                adjustment.reason or adjustment.kind for adjustment in refund.adjustments
            )
            move.write(
                {
                    "invoice_line_ids": [
                        self._adjustment_line(difference, _("Refund adjustment: %s", reason), sale)
                    ]
                }
            )
        if tax_delta:
            self._book_tax_difference(move, tax_delta)
        move.action_post()
        return move

    def _tax_rounding(self, move, refund):
        """What to add to the credit note's tax to book it as the channel computed it (0.0
        when nothing).

        The channel prorates each of a line's taxes over the units refunded (the tax of 26
        units out of 27 is 26/27 of that tax, rounded), and a partial shipping refund's tax as
        a share of the shipping line's whole tax, where Odoo taxes the refunded amount anew:
        the two may differ by a cent per tax of each line (three cents on a line under state,
        county and city taxes). That rounding difference is booked on the tax, as a person
        would in the invoice's tax totals: with prices excluding taxes the total grows by it;
        with prices including them the total stays and the untaxed amount gives the cent up.
        Anything larger is not rounding and is left for the total check to report.
        """
        # One rounding (at most a cent) per tax of each taxed line.
        roundings = sum(len(line.tax_ids) for line in move.invoice_line_ids)
        if not roundings:
            return 0.0
        expected = sum(
            (line.tax_amount for line in refund.lines if line.quantity > 0),
            start=refund.shipping_tax_amount,
        )
        currency = move.currency_id
        delta = currency.round(float(expected) - move.amount_tax)
        if currency.is_zero(delta) or abs(delta) > 0.01 * roundings + 1e-9:
            return 0.0
        return delta

    @staticmethod
    def _book_tax_difference(move, delta):
        """Add ``delta`` to the move's largest tax (by amount, then by rate), through Odoo's own
        tax-line preparation, so that account, tags and base are those Odoo books. Odoo
        leaves out tax lines of zero, and its tax totals editor only moves amounts between
        tax lines that exist and cannot keep a price-included total: this covers both. A
        price-included line's untaxed amount gives up ``delta``, as Odoo's own rounding
        adjustments do (``delta_total_excluded``)."""
        AccountTax = move.env["account.tax"]
        base_lines, tax_lines = move._get_rounded_base_and_tax_lines()
        AccountTax._add_accounting_data_in_base_lines_tax_details(
            base_lines, move.company_id, include_caba_tags=move.always_tax_exigible
        )
        candidates = [
            (base_line, tax_data)
            for base_line in base_lines
            for tax_data in base_line["tax_details"]["taxes_data"]
            if tax_data["tax_reps_data"]
        ]
        if not candidates:
            return
        base_line, tax_data = max(
            candidates,
            key=lambda pair: (abs(pair[1]["tax_amount_currency"]), pair[1]["tax"].amount),
        )
        tax_rep = max(tax_data["tax_reps_data"], key=lambda rep: rep["tax_rep"].factor)
        company_delta = move.company_currency_id.round(delta / (base_line.get("rate") or 1.0))
        tax_rep["tax_amount_currency"] += delta
        tax_rep["tax_amount"] += company_delta
        if tax_data["tax"].price_include:
            base_line["tax_details"]["delta_total_excluded_currency"] -= delta
            base_line["tax_details"]["delta_total_excluded"] -= company_delta
        results = AccountTax._prepare_tax_lines(base_lines, move.company_id, tax_lines=tax_lines)
        commands = [
            Command.update(line["record"].id, values)
            for line, values in results["base_lines_to_update"]
            if line["record"] == base_line["record"]
        ]
        commands += [
            Command.update(line["record"].id, values)
            for line, _key, values in results["tax_lines_to_update"]
        ]
        commands += [
            Command.create({**values, "display_type": "tax"})
            for values in results["tax_lines_to_add"]
        ]
        commands += [Command.unlink(line["record"].id) for line in results["tax_lines_to_delete"]]
        move.write({"line_ids": commands})

    def _sale_line(self, sale, refund, refund_line, lines_by_external):
        sale_line = lines_by_external.get(refund_line.order_line_external_id)
        if not sale_line:
            raise DataError(
                _(
                    "Refund %(refund)s names line %(line)s, which order %(order)s does not have.",
                    refund=refund.external_id,
                    line=refund_line.order_line_external_id,
                    order=sale.name,
                )
            )
        return sale_line

    def _create_credit_note(self, sale, invoice, refund, invoice_lines):
        return (
            self.env["account.move"]
            .with_company(sale.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "currency_id": invoice.currency_id.id,
                    "journal_id": invoice.journal_id.id,
                    "reversed_entry_id": invoice.id,
                    "retail_sale_order_id": sale.id,
                    "invoice_origin": sale.name,
                    "ref": _("Refund %s", refund.external_id),
                    "narration": refund.note or False,
                    "invoice_date": fields.Date.context_today(sale),
                    "invoice_line_ids": invoice_lines,
                }
            )
        )

    def _difference_message(self, refund, move, refunded, total, tax_delta):
        """``total``: the credit note's total once its tax rounding ``tax_delta`` is booked."""
        tax = move.amount_tax + tax_delta
        return _(
            "Refund %(refund)s does not add up: the channel refunded %(refunded)s but its "
            "lines, shipping and duties come to %(computed)s (untaxed %(untaxed)s, taxes "
            "%(tax)s), and the channel recorded no adjustment explaining %(difference)s. "
            "Check the tax mappings of the refunded lines, then retry; or book the refund by "
            "hand and ignore this event.",
            refund=refund.external_id,
            refunded=move.currency_id.round(refunded),
            computed=move.currency_id.round(total),
            untaxed=move.currency_id.round(total - tax),
            tax=move.currency_id.round(tax),
            difference=move.currency_id.round(refunded - total),
        )

    def _adjustment_line(self, amount, label, sale):
        product = self.backend._special_product("refund_adjustment")
        return (
            0,
            0,
            {
                "product_id": product.id,
                "name": label,
                "quantity": 1,
                "price_unit": float(amount),
                "tax_ids": [(5, 0, 0)],
            },
        )

    def _refund_lines(self, sale_line, refund_line, leaving):
        """Credit note lines of a refunded line: the units leaving the order (linked to the
        sale line, so that it is not invoiced again) and the units that stay on it."""
        quantity, amount = refund_line.quantity, float(refund_line.amount)
        parts = [(leaving, True), (quantity - leaving, False)]
        parts = [(units, linked) for units, linked in parts if units > 0]
        lines, rest = [], amount
        for index, (units, linked) in enumerate(parts):
            share = rest if index == len(parts) - 1 else sale_line.currency_id.round(
                amount * units / quantity
            )
            rest -= share
            gross = sale_line.price_unit * units
            lines.append(
                self._line(sale_line, units, sale_line.price_unit, gross - share, linked=linked)
            )
        return lines

    @staticmethod
    def _line(sale_line, quantity, price_unit, discount=0.0, linked=True):
        values = {
            "product_id": sale_line.product_id.id,
            "name": sale_line.name,
            "quantity": quantity,
            "price_unit": price_unit,
            "discount": display_discount(discount, price_unit, quantity),
            "retail_discount_amount": discount,
            "tax_ids": [(6, 0, sale_line[compat.SALE_LINE_TAXES].ids)],
        }
        if linked:
            values["sale_line_ids"] = [(6, 0, sale_line.ids)]
        return (0, 0, values)

    def register_refund_payments(self, credit_note, refund):
        """One outbound payment per successful refund transaction, of its amount."""
        from .order_workflow import OrderWorkflow

        workflow = OrderWorkflow(self.backend, None, None)
        for transaction in refunded_transactions(refund):
            mapping = workflow.mapping(transaction.gateway)
            if (mapping.payment_workflow or "invoice_pay") != "invoice_pay":
                continue
            if credit_note.payment_state == "paid":
                break
            workflow.register_payment(
                credit_note,
                mapping.journal_id,
                amount=float(transaction.amount),
                transaction=transaction,
            )

    # ------------------------------------------------------------------
    # Goods
    # ------------------------------------------------------------------
    def return_goods(self, sale, refund):
        """Returned units come back; refunded units that will not ship leave the order.

        :returns: sale line → units of this refund that left the order.
        """
        lines_by_external = {line.retail_external_line_id: line for line in sale.order_line}
        returns, leaving = {}, {}
        for refund_line in refund.lines:
            if refund_line.quantity <= 0:
                continue
            sale_line = self._sale_line(sale, refund, refund_line, lines_by_external)
            pending = max(
                sale_line.product_uom_qty - sale_line.qty_delivered - leaving.get(sale_line, 0.0),
                0.0,
            )
            if sale_line.product_id.type != "consu" or sale_line.state != "sale":
                continue
            quantity = refund_line.quantity
            if refund_line.restock_type in RETURNED or (
                refund_line.restock and refund_line.restock_type not in ("cancel", "no_restock")
            ):
                # Shipped goods coming back; units not shipped yet simply will not be.
                back = min(quantity, sale_line.qty_delivered)
                returns[sale_line] = returns.get(sale_line, 0.0) + back
                leaving[sale_line] = leaving.get(sale_line, 0.0) + min(quantity - back, pending)
            else:
                leaving[sale_line] = leaving.get(sale_line, 0.0) + min(quantity, pending)
        self._return(sale, returns)
        for sale_line, quantity in leaving.items():
            if quantity > 0:
                sale_line.write(
                    {
                        "retail_refunded_qty": sale_line.retail_refunded_qty + quantity,
                        "product_uom_qty": sale_line.product_uom_qty - quantity,
                    }
                )
        return leaving

    def _return(self, sale, quantities):
        """A return of the delivered ``quantities`` (sale line → units), to validate when the
        goods arrive. It does not change the sale order: the credit note says what was
        refunded, the order still says what was sold and delivered."""
        wanted = {}
        for sale_line, quantity in quantities.items():
            if quantity > 0:
                product = sale_line.product_id.id
                wanted[product] = wanted.get(product, 0.0) + quantity
        delivered = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        returned = self.env["stock.picking"]
        for picking in delivered:
            if not any(quantity > 0 for quantity in wanted.values()):
                break
            wizard = (
                self.env["stock.return.picking"]
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({"picking_id": picking.id})
            )
            any_line = False
            for line in wizard.product_return_moves:
                take = min(wanted.get(line.product_id.id, 0.0), line.move_quantity)
                line.write({"quantity": take, "to_refund": False})
                if take > 0:
                    wanted[line.product_id.id] -= take
                    any_line = True
            if any_line:
                returned |= wizard._create_return()
        return returned
