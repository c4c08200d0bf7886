"""Compare what a channel says about its orders with what Odoo has.

Pure decisions over one channel order and its Odoo sale order: each mismatch says its kind,
the expected and the found value, and whether importing the order again can fix it. The
channel addon reads the orders of the window (:meth:`retail.backend._reconcile_orders`); the
report model stores the mismatches and puts each in the exception queue. Other addons add
mismatches of their own for the sale orders checked (``retail.reconciliation``
``_extra_mismatches``, e.g. the order status a CRM shows).
"""

from dataclasses import dataclass

from .order_workflow import PAID_STATUSES

REFUNDED_STATUSES = frozenset({"refunded", "partially_refunded"})


@dataclass
class Mismatch:
    kind: str
    reference: str
    expected: str
    found: str
    record: object = None  # the Odoo record concerned, if any
    reimport: bool = False  # an automatic fix exists (by default: import the order again)
    payload: object = None  # what the fix needs when it is not the channel's order payload


def booked_amount(sale):
    """What Odoo says the order is worth now: its posted invoices less its posted credit
    notes once it is invoiced (the channel's current total after edits and refunds), else
    the sale order's total."""
    posted = sale.invoice_ids.filtered(lambda move: move.state == "posted")
    if not posted.filtered(lambda move: move.move_type == "out_invoice"):
        return sale.amount_total
    return sale.currency_id.round(
        sum(move.amount_total * (1 if move.move_type == "out_invoice" else -1) for move in posted)
    )


def compare_order(order, sale, tolerance):
    """Return the mismatches between a canonical channel ``order`` and its ``sale`` order."""
    reference = order.name or order.external_id
    if not sale:
        return [Mismatch("missing_order", reference, "a sale order", "none", reimport=True)]
    found = []
    if order.currency and sale.currency_id.name != order.currency.upper():
        found.append(Mismatch("currency", reference, order.currency, sale.currency_id.name, sale))
    channel_amount = order.total if order.current_total is None else order.current_total
    odoo_amount = booked_amount(sale)
    refund_missing = order.financial_status in REFUNDED_STATUSES and not sale.invoice_ids.filtered(
        lambda move: move.move_type == "out_refund" and move.state == "posted"
    )
    # A missing credit note explains the current total's difference: it is reported once.
    if not refund_missing and abs(odoo_amount - float(channel_amount)) > tolerance:
        found.append(Mismatch("amount", reference, str(channel_amount), str(odoo_amount), sale))
    channel_cancelled = bool(order.cancelled)
    if channel_cancelled != (sale.state == "cancel"):
        found.append(
            Mismatch(
                "state",
                reference,
                "cancelled" if channel_cancelled else "active",
                sale.state,
                sale,
                reimport=channel_cancelled,
            )
        )
    if order.financial_status in PAID_STATUSES and not channel_cancelled:
        invoices = sale.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        if not invoices:
            found.append(
                Mismatch(
                    "invoice_missing", reference, "a posted invoice", "none", sale, reimport=True
                )
            )
        elif any(move.payment_state not in ("paid", "in_payment", "reversed") for move in invoices):
            found.append(
                Mismatch(
                    "payment_missing",
                    reference,
                    "paid",
                    ", ".join(invoices.mapped("payment_state")),
                    invoices[:1],
                    reimport=True,
                )
            )
    if order.financial_status in REFUNDED_STATUSES:
        refunds = sale.invoice_ids.filtered(
            lambda move: move.move_type == "out_refund" and move.state == "posted"
        )
        if not refunds:
            found.append(
                Mismatch("refund_missing", reference, "a posted credit note", "none", sale)
            )
    return found
