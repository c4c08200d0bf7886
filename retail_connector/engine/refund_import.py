"""Import a canonical :class:`~..canonical.Refund`: a credit note, its payment, a return.

The refund of a channel order becomes a posted credit note for the refunded lines (at the
sale line's price, discount and taxes) and shipping, reversing the order's invoice; the
refund transaction is registered in the journal mapped to its gateway when that mapping
pays; restocked lines become a return picking of the delivered goods. A refund is bound by
its channel id, so a duplicate changes nothing.
"""

from odoo import _, fields

from ..errors import DataError, TransientError
from .locks import lock_external_record

REFUND_KINDS = frozenset({"refund"})


class RefundImporter:
    binding_model = "retail.refund.binding"

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env

    def import_refund(self, refund):
        """Create the credit note of ``refund`` once; return it."""
        lock_external_record(self.env.cr, self.backend.id, "refund", refund.external_id)
        Binding = self.env[self.binding_model].sudo()
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
        credit_note = self.credit_note(sale, invoice, refund)
        self.register_refund_payment(credit_note, refund)
        self.return_goods(sale, refund)
        Binding._bind(self.backend, refund.external_id, credit_note, refund.created_at)
        return credit_note

    def sale_order(self, refund):
        binding = (
            self.env["retail.order.binding"].sudo()._find(self.backend, refund.order_external_id)
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

    def credit_note(self, sale, invoice, refund):
        lines_by_external = {line.retail_external_line_id: line for line in sale.order_line}
        invoice_lines = []
        for refund_line in refund.lines:
            sale_line = lines_by_external.get(refund_line.order_line_external_id)
            if not sale_line:
                raise DataError(
                    _(
                        "Refund %(refund)s names line %(line)s, which order %(order)s does not "
                        "have.",
                        refund=refund.external_id,
                        line=refund_line.order_line_external_id,
                        order=sale.name,
                    )
                )
            if refund_line.quantity <= 0:
                continue
            invoice_lines.append(self._line(sale_line, refund_line.quantity, sale_line.price_unit))
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
            invoice_lines.append(self._line(shipping, 1, float(refund.shipping_amount)))
        if not invoice_lines:
            raise DataError(_("Refund %s refunds no line and no shipping.", refund.external_id))
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(sale.company_id)
            .create(
                {
                    "move_type": "out_refund",
                    "partner_id": invoice.partner_id.id,
                    "currency_id": invoice.currency_id.id,
                    "journal_id": invoice.journal_id.id,
                    "reversed_entry_id": invoice.id,
                    "invoice_origin": sale.name,
                    "ref": _("Refund %s", refund.external_id),
                    "invoice_date": fields.Date.context_today(sale),
                    "invoice_line_ids": invoice_lines,
                }
            )
        )
        move.action_post()
        return move

    @staticmethod
    def _line(sale_line, quantity, price_unit):
        return (
            0,
            0,
            {
                "product_id": sale_line.product_id.id,
                "name": sale_line.name,
                "quantity": quantity,
                "price_unit": price_unit,
                "discount": sale_line.discount,
                "tax_ids": [(6, 0, sale_line.tax_id.ids)],
                "sale_line_ids": [(6, 0, sale_line.ids)],
            },
        )

    def register_refund_payment(self, credit_note, refund):
        paid = [t for t in refund.transactions if t.kind in REFUND_KINDS and t.status == "success"]
        if not paid:
            return
        mapping = self.env["retail.value.mapping"]._resolve(
            self.backend, "gateway", paid[0].gateway
        )
        if (mapping.payment_workflow or "invoice_pay") != "invoice_pay":
            return
        wizard = (
            self.env["account.payment.register"]
            .sudo()
            .with_context(active_model="account.move", active_ids=credit_note.ids)
            .create({"journal_id": mapping.journal_id.id})
        )
        wizard._create_payments()

    def return_goods(self, sale, refund):
        """A return picking of the restocked quantities, when the goods were delivered."""
        restock = {}
        lines_by_external = {line.retail_external_line_id: line for line in sale.order_line}
        for refund_line in refund.lines:
            if refund_line.restock and refund_line.quantity > 0:
                product = lines_by_external[refund_line.order_line_external_id].product_id
                restock[product.id] = restock.get(product.id, 0.0) + refund_line.quantity
        delivered = sale.picking_ids.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )[:1]
        if not restock or not delivered:
            return self.env["stock.picking"]
        wizard = (
            self.env["stock.return.picking"]
            .sudo()
            .with_context(active_id=delivered.id, active_model="stock.picking")
            .create({})
        )
        for line in wizard.product_return_moves:
            line.quantity = min(restock.get(line.product_id.id, 0.0), line.move_quantity)
            restock[line.product_id.id] = restock.get(line.product_id.id, 0.0) - line.quantity
        return wizard._create_return()
