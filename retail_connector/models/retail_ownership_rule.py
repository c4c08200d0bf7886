from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .. import compat

DEFAULT_RULE_INDEX = "retail_ownership_rule_default_uniq"
OBJECTS = [
    ("customer", "Customer"),
    ("product", "Product"),
    ("order", "Order"),
]


class RetailOwnershipRule(models.Model):
    """Which system is the system of record of a field.

    A rule names an object, an Odoo field and its owner. Importers write a field of an existing
    record only when the channel owns it; exporters send only what Odoo owns. A rule without a
    backend applies to every backend of its type; a backend's own rule overrides it. Fields
    with no rule belong to Odoo: an import never overwrites what nobody gave to the channel.
    """

    _name = "retail.ownership.rule"
    _description = "Retail Connector Ownership Rule"
    _inherit = ["mail.thread"]
    _order = "backend_type, backend_id, object, field_name"

    backend_type = fields.Selection(
        selection=lambda self: self.env["retail.backend"]._fields["backend_type"].selection,
        required=True,
        tracking=True,
    )
    backend_id = fields.Many2one(
        "retail.backend",
        ondelete="cascade",
        tracking=True,
        help="Leave empty for a default that applies to every backend of the type.",
    )
    object = fields.Selection(OBJECTS, required=True, tracking=True)
    field_name = fields.Char(required=True, tracking=True, help="Technical name of the Odoo field.")
    owner = fields.Selection(
        [("channel", "Channel"), ("odoo", "Odoo")], required=True, default="odoo", tracking=True
    )
    note = fields.Char()

    compat.sql_constraints(locals(), [
        (
            "rule_uniq",
            "unique(backend_type, backend_id, object, field_name)",
            "There is a rule for this field already.",
        )
    ])

    def init(self):
        super().init()
        # rule_uniq lets NULL backends repeat (NULLs are distinct in a unique constraint):
        # one default rule per type, object and field, whatever the PostgreSQL version.
        self.env.cr.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {DEFAULT_RULE_INDEX} ON {self._table} "
            "(backend_type, object, field_name) WHERE backend_id IS NULL"
        )

    @api.model_create_multi
    def create(self, vals_list):
        # Checked before the insert, whose unique index would only say "duplicate key".
        for vals in vals_list:
            if not vals.get("backend_id"):
                self._check_one_default_rule(
                    vals.get("backend_type"), vals.get("object"), vals.get("field_name")
                )
        return super().create(vals_list)

    def write(self, vals):
        if {"backend_type", "backend_id", "object", "field_name"} & set(vals):
            for rule in self:
                if not vals.get("backend_id", rule.backend_id.id):
                    self._check_one_default_rule(
                        vals.get("backend_type", rule.backend_type),
                        vals.get("object", rule.object),
                        vals.get("field_name", rule.field_name),
                        exclude=rule.id,
                    )
        return super().write(vals)

    @api.model
    def _check_one_default_rule(self, backend_type, object_name, field_name, exclude=None):
        """Raise a readable error when a default rule for this field exists already."""
        domain = [
            ("backend_id", "=", False),
            ("backend_type", "=", backend_type),
            ("object", "=", object_name),
            ("field_name", "=", field_name),
        ]
        if exclude:
            domain.append(("id", "!=", exclude))
        if self.search_count(domain):
            raise ValidationError(
                _(
                    "There is a default rule for %(field)s of %(object)s already: change "
                    "that one.",
                    field=field_name,
                    object=object_name,
                )
            )

    @api.model
    def _channel_owned_fields(self, backend, object_name):
        """Return the set of fields of ``object_name`` that ``backend``'s channel owns."""
        rules = self.search(
            [
                ("backend_type", "=", backend.backend_type),
                ("object", "=", object_name),
                "|",
                ("backend_id", "=", False),
                ("backend_id", "=", backend.id),
            ]
        )
        owners = {}
        for rule in rules.sorted(lambda r: bool(r.backend_id)):  # backend rules win
            owners[rule.field_name] = rule.owner
        return {name for name, owner in owners.items() if owner == "channel"}

    @api.model
    def _filter_values(self, backend, object_name, values):
        """Keep the values of fields the channel owns (for an update of an existing record)."""
        owned = self._channel_owned_fields(backend, object_name)
        return {name: value for name, value in values.items() if name in owned}
