from odoo import fields, models

from odoo.addons.retail_connector import compat


class RetailBulkOperation(models.Model):
    """A Shopify bulk mutation an export started, kept by its Shopify id.

    Committed as soon as Shopify has accepted the operation and before anything waits on it:
    an export killed while waiting (worker restart, time limit) leaves this row, and the next
    run resumes waiting on the operation, or reads its result, instead of sending the same
    products again (which would create them twice).
    """

    _name = "retail.bulk.operation"
    _description = "Shopify Bulk Operation of an Export"
    _order = "id desc"

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="cascade")
    flow = fields.Char(required=True)
    shopify_id = fields.Char(string="Shopify Id", required=True, help="BulkOperation gid.")
    status = fields.Selection(
        [("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True, default="running", index=True,
    )
    input_keys = fields.Json(
        help="Per line of the staged input, in order: the Odoo record, the version and hash "
        "sent and the Shopify product id it had (what the result lines are recorded on)."
    )
    message = fields.Char(readonly=True)
    finished_at = fields.Datetime(readonly=True)

    compat.sql_constraints(locals(), [
        ("shopify_id_uniq", "unique(backend_id, shopify_id)",
         "This Shopify bulk operation is tracked already."),
    ])
