"""What a channel order goes through in Odoo, by financial status and payment gateway.

* every order that is not cancelled is confirmed;
* a paid order is invoiced and each of its successful sale or capture transactions becomes
  one payment of its amount, in the journal mapped to its gateway, as far as the gateway's
  mapping says (confirm only / invoice / invoice and pay); an authorization is booked when it
  is captured, and a later capture books only what is new;
* a test order imported on purpose stays a quotation, without accounting;
* a cancelled order is cancelled in Odoo while none of its pickings is done.

The books must say what the channel says: the invoice total equals the channel's total and
the payments equal the captured transactions, to the cent, or the event fails naming both
figures. Each step runs once: running the workflow again on a later version of the order
(``orders/paid`` after ``orders/create``) only does what is still missing.
"""

from odoo import _

from ..errors import DataError

# Channel financial statuses after which the money was taken (invoice and payment are due).
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded", "partially_paid"})
# Payment kinds that take money, and the statuses that mean it was taken.
CAPTURE_KINDS = frozenset({"sale", "capture"})
SUCCESS_STATUSES = frozenset({"success"})


def captured(payments):
    """The successful sale and capture transactions of ``payments``."""
    return [
        payment
        for payment in payments
        if payment.kind in CAPTURE_KINDS and payment.status in SUCCESS_STATUSES
    ]


class OrderWorkflow:
    def __init__(self, backend, sale, order):
        self.backend = backend
        self.env = backend.env
        self.sale = sale
        self.order = order

    def run(self):
        if self.sale.state == "cancel":
            return
        if self.order.test:
            return  # imported on purpose as a quotation: no confirmation, no accounting
        if self.sale.state in ("draft", "sent"):
            self.sale.action_confirm()
        if self.order.financial_status in PAID_STATUSES:
            self.invoice_and_pay()

    def gateway(self):
        """The gateway that took the money (the first successful sale or capture)."""
        for payment in captured(self.order.payments):
            return payment.gateway
        return self.order.payments[0].gateway if self.order.payments else "manual"

    def mapping(self, gateway):
        return self.env["retail.value.mapping"]._resolve(self.backend, "gateway", gateway)

    def invoice_and_pay(self):
        if not self.order.payments and self.order.payments_complete:
            # Nothing was charged (a fully discounted order): invoice it, there is no payment.
            workflow = "invoice"
        else:
            mapping = self.mapping(self.gateway())
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
            self.check_invoice(invoices)
        invoices.filtered(lambda move: move.state == "draft").action_post()
        if workflow != "invoice_pay":
            return
        if self.order.payments_complete:
            self.book_transactions(invoices)
            return
        unpaid = invoices.filtered(
            lambda move: move.payment_state not in ("paid", "in_payment", "reversed")
        )
        if unpaid:
            self.register_payment(unpaid, mapping.journal_id)

    def check_invoice(self, invoices):
        """The new invoice must total what the channel invoiced: the sale order's total."""
        currency = self.sale.currency_id
        total = sum(invoices.mapped("amount_total"))
        if currency.compare_amounts(total, self.sale.amount_total) != 0:
            raise DataError(
                _(
                    "The invoice of order %(order)s totals %(invoice)s but the order totals "
                    "%(sale)s: check the products' invoicing policy (ordered quantities).",
                    order=self.order.name,
                    invoice=currency.round(total),
                    sale=currency.round(self.sale.amount_total),
                )
            )

    def book_transactions(self, invoices):
        """One payment per captured transaction not booked yet, of its amount."""
        Payment = self.env["account.payment"]
        booked = Payment.search(
            [
                ("retail_backend_id", "=", self.backend.id),
                ("retail_transaction_id", "in", [p.external_id for p in self.order.payments]),
            ]
        )
        booked_ids = set(booked.mapped("retail_transaction_id"))
        new = [p for p in captured(self.order.payments) if p.external_id not in booked_ids]
        currency = self.sale.currency_id
        due = sum(invoices.mapped("amount_residual"))
        incoming = sum(float(p.amount) for p in new)
        if currency.compare_amounts(incoming, due) > 0:
            raise DataError(
                _(
                    "Order %(order)s: the channel captured %(captured)s more but only %(due)s is "
                    "still due on its invoice (%(total)s): the order and its payments disagree. "
                    "Check the order in the channel, then book the difference by hand.",
                    order=self.order.name,
                    captured=currency.round(incoming),
                    due=currency.round(due),
                    total=currency.round(sum(invoices.mapped("amount_total"))),
                )
            )
        for payment in new:
            mapping = self.mapping(payment.gateway)
            if (mapping.payment_workflow or "invoice_pay") != "invoice_pay":
                continue  # this gateway's money is booked by another process (e.g. payouts)
            self.register_payment(
                invoices.filtered(lambda move: move.payment_state != "paid"),
                mapping.journal_id,
                amount=float(payment.amount),
                transaction=payment,
            )

    def register_payment(self, invoices, journal, amount=None, transaction=None):
        values = {"journal_id": journal.id, "group_payment": True}
        if amount is not None:
            values.update(amount=amount, payment_difference_handling="open")
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create(values)
        )
        payments = wizard._create_payments()
        if transaction is not None:
            payments.write(
                {
                    "retail_backend_id": self.backend.id,
                    "retail_transaction_id": transaction.external_id,
                    "retail_gateway": transaction.gateway,
                }
            )
        return payments

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
