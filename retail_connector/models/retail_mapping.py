from odoo import _, api, fields, models

from .. import compat
from ..errors import DataError

# Which field of a mapping row holds the Odoo value, per kind of mapping.
TARGET_FIELD_BY_KIND = {
    "location": "location_id",
    "tax": "tax_id",
    "gateway": "journal_id",
    "shipping": "product_id",
    "country": "country_id",
    "state": "country_state_id",
}


class RetailValueMapping(models.Model):
    """A value of a channel (a location, a tax title, a payment gateway...) and its Odoo twin.

    Rows a flow needs but nobody completed yet exist as drafts (created by the event that
    needed them); the event fails with a message pointing at the draft until a manager
    completes it.
    """

    _name = "retail.value.mapping"
    _check_company_auto = True
    _description = "Retail Connector Value Mapping"
    _inherit = ["mail.thread"]
    _order = "backend_id, kind, external_value"

    backend_id = fields.Many2one("retail.backend", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    kind = fields.Selection(
        [
            ("location", "Location"),
            ("tax", "Tax"),
            ("gateway", "Payment Gateway"),
            ("shipping", "Shipping Method"),
            ("country", "Country"),
            ("state", "State"),
        ],
        required=True,
        tracking=True,
    )
    external_value = fields.Char(
        required=True, tracking=True, help="The value as the channel sends it (id, title, code)."
    )
    external_label = fields.Char(help="A readable name of the channel value.")
    location_id = fields.Many2one("stock.location", tracking=True, check_company=True)
    warehouse_id = fields.Many2one("stock.warehouse", tracking=True, check_company=True)
    tax_id = fields.Many2one("account.tax", tracking=True, check_company=True)
    journal_id = fields.Many2one("account.journal", tracking=True, check_company=True)
    payment_workflow = fields.Selection(
        [
            ("confirm", "Confirm the order"),
            ("invoice", "Confirm and invoice"),
            ("invoice_pay", "Confirm, invoice and register the payment"),
        ],
        tracking=True,
        help="What a paid order of this gateway goes through in Odoo.",
    )
    product_id = fields.Many2one("product.product", tracking=True, check_company=True)
    country_id = fields.Many2one("res.country", tracking=True)
    country_state_id = fields.Many2one("res.country.state", string="State", tracking=True)
    is_complete = fields.Boolean(compute="_compute_is_complete", store=True)
    note = fields.Char()

    compat.sql_constraints(locals(), [
        (
            "mapping_uniq",
            "unique(backend_id, kind, external_value)",
            "This channel value is mapped already on this backend.",
        )
    ])

    @api.depends("kind", *TARGET_FIELD_BY_KIND.values())
    def _compute_is_complete(self):
        for mapping in self:
            target = TARGET_FIELD_BY_KIND.get(mapping.kind)
            mapping.is_complete = bool(target and mapping[target])

    @api.model
    def _ensure_draft(self, backend, kind, external_value, label=None):
        """Return the mapping row of a value, creating it as a draft to complete."""
        mapping = self.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", kind),
                ("external_value", "=", external_value),
            ],
            limit=1,
        )
        return mapping or self.create(
            {
                "backend_id": backend.id,
                "kind": kind,
                "external_value": external_value,
                "external_label": label or external_value,
            }
        )

    @api.model
    def _resolve(self, backend, kind, external_value, label=None):
        """Return the complete mapping of a value, or raise DataError naming it."""
        mapping = self.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", kind),
                ("external_value", "=", str(external_value)),
                ("is_complete", "=", True),
            ],
            limit=1,
        )
        if not mapping:
            kind_label = dict(self._fields["kind"].selection)[kind]
            raise DataError(
                _(
                    "No %(kind)s mapping for '%(value)s' on backend %(backend)s: complete it in "
                    "Retail Connector > Mappings, then retry the event.",
                    kind=kind_label.lower(),
                    value=label or external_value,
                    backend=backend.name,
                ),
                missing_mapping=(kind, str(external_value), label),
            )
        return mapping
