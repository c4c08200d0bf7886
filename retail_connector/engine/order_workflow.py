"""What a channel order goes through in Odoo, by financial status and payment gateway.

* every order that is not cancelled is confirmed;
* a paid order is invoiced and its payment registered in the journal mapped to its gateway,
  as far as the gateway's mapping says (confirm only / invoice / invoice and pay);
* a cancelled order is cancelled in Odoo while none of its pickings is done.

Each step runs once: running the workflow again on a later version of the order (for example
``orders/paid`` after ``orders/create``) only does what is still missing.
"""

from odoo import _

from ..errors import DataError

# Channel financial statuses after which the money was taken (invoice and payment are due).
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
# Payment kinds that take money, and the statuses that mean it was taken.
CAPTURE_KINDS = frozenset({"sale", "capture"})
SUCCESS_STATUSES = frozenset({"success"})


class OrderWorkflow:
    def __init__(self, backend, sale, order):
        self.backend = backend
        self.env = backend.env
        self.sale = sale
        self.order = order

    def run(self):
        if self.sale.state == "cancel":
            return
        if self.sale.state in ("draft", "sent"):
            self.sale.action_confirm()
        if self.order.financial_status in PAID_STATUSES:
            self.invoice_and_pay()

    def gateway(self):
        """The gateway that took the money (the first successful sale or capture)."""
        for payment in self.order.payments:
            if payment.kind in CAPTURE_KINDS and payment.status in SUCCESS_STATUSES:
                return payment.gateway
        return self.order.payments[0].gateway if self.order.payments else "manual"

    def invoice_and_pay(self):
        gateway = self.gateway()
        mapping = self.env["retail.value.mapping"]._resolve(self.backend, "gateway", gateway)
        workflow = mapping.payment_workflow or "invoice_pay"
        if workflow == "confirm":
            return
        invoices = self.sale.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state != "cancel"
        )
        if not invoices:
            try:
                invoices = self.sale._create_invoices()
            except Exception as error:  # Odoo raises UserError subclasses
                raise DataError(
                    _(
                        "Order %(order)s could not be invoiced: %(error)s. Check the products' "
                        "invoicing policy (ordered quantities).",
                        order=self.order.name,
                        error=error,
                    )
                ) from error
        invoices.filtered(lambda move: move.state == "draft").action_post()
        if workflow != "invoice_pay":
            return
        unpaid = invoices.filtered(
            lambda move: move.payment_state not in ("paid", "in_payment", "reversed")
        )
        if unpaid:
            self.register_payment(unpaid, mapping.journal_id)

    def register_payment(self, invoices, journal):
        wizard = (
            self.env["account.payment.register"]
            .sudo()
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({"journal_id": journal.id, "group_payment": True})
        )
        wizard._create_payments()

    def cancel(self):
        if self.sale.state == "cancel":
            return
        if any(picking.state == "done" for picking in self.sale.picking_ids):
            raise DataError(
                _(
                    "Order %s was cancelled in the channel after it shipped: create the return "
                    "by hand, then ignore this event.",
                    self.order.name,
                )
            )
        self.sale.with_context(disable_cancel_warning=True)._action_cancel()
