from odoo import fields, models

from .. import compat


class AccountPayment(models.Model):
    """A payment booked from a channel transaction remembers it, so that it is booked once."""

    _inherit = "account.payment"

    retail_backend_id = fields.Many2one(
        "retail.backend", string="Channel", copy=False, index="btree_not_null", readonly=True
    )
    retail_transaction_id = fields.Char(
        string="Channel Transaction",
        copy=False,
        index="btree_not_null",
        readonly=True,
        help="Id of the channel transaction (capture, sale or refund) this payment books.",
    )
    retail_gateway = fields.Char(string="Channel Gateway", copy=False, readonly=True)

    compat.sql_constraints(locals(), [
        (
            "retail_transaction_uniq",
            "unique(retail_backend_id, retail_transaction_id)",
            "This channel transaction is booked already.",
        )
    ])
