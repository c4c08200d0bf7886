"""Partners out: Odoo partner → Salesforce Account, upserted by the external id field.

Only the fields Odoo owns (ownership rules of object *customer*) are sent: the invoicing and
delivery addresses (Billing*/Shipping*), and when the backend names the Account fields for
them, the VAT number, payment terms and credit limit. ``Name`` is sent only when the Account is
created from Odoo (the partner has no Salesforce Id yet): Salesforce owns it afterwards.
"""

from .base import SalesforceExporter, is_placeholder

# Odoo partner fields the accounts flow may send (a change of one marks the binding dirty).
ADDRESS_FIELDS = ("street", "street2", "city", "zip", "state_id", "country_id")
ACCOUNT_EXPORT_FIELDS = frozenset(
    {*ADDRESS_FIELDS, "vat", "property_payment_term_id", "credit_limit", "name"}
)
# Odoo field -> backend setting holding the Account field name (custom fields, optional).
CUSTOM_FIELD_SETTINGS = {
    "vat": "sf_account_vat_field",
    "property_payment_term_id": "sf_account_payment_term_field",
    "credit_limit": "sf_account_credit_limit_field",
}


def address_values(contact, prefix, odoo_owned):
    """Billing*/Shipping* values of ``contact`` (only the parts Odoo owns)."""
    values = {}
    if {"street", "street2"} & odoo_owned:
        street = "\n".join(part for part in (contact.street, contact.street2) if part)
        values[f"{prefix}Street"] = street or None
    if "city" in odoo_owned:
        values[f"{prefix}City"] = contact.city or None
    if "zip" in odoo_owned:
        values[f"{prefix}PostalCode"] = contact.zip or None
    if "state_id" in odoo_owned:
        values[f"{prefix}State"] = contact.state_id.code or None
    if "country_id" in odoo_owned:
        values[f"{prefix}Country"] = contact.country_id.code or None
    return values


class AccountExporter(SalesforceExporter):
    binding_model = "retail.partner.binding"
    object_name = "Account"

    def __init__(self, backend, flow="accounts"):
        super().__init__(backend, flow)
        channel_owned = self.env["retail.ownership.rule"]._channel_owned_fields(
            backend, "customer")
        self.odoo_owned = ACCOUNT_EXPORT_FIELDS - channel_owned
        self.external_id_field = backend._sf_external_id_field("sf_account_external_id_field")

    def build(self, binding):
        partner = binding.odoo_id
        if not partner.active or partner.parent_id:
            return None  # contacts go with their company's Account
        values = {self.external_id_field: str(partner.id)}
        if is_placeholder(binding.external_id) or "name" in self.odoo_owned:
            values["Name"] = partner.name  # required to create; Salesforce owns it afterwards
        addresses = partner.address_get(["invoice", "delivery"])
        Partner = partner.browse
        values.update(address_values(Partner(addresses["invoice"]), "Billing", self.odoo_owned))
        values.update(address_values(Partner(addresses["delivery"]), "Shipping", self.odoo_owned))
        for odoo_field, setting in CUSTOM_FIELD_SETTINGS.items():
            sf_field = (self.backend[setting] or "").strip()
            if not sf_field or odoo_field not in self.odoo_owned:
                continue
            value = partner[odoo_field]
            if odoo_field == "property_payment_term_id":
                value = value.name or None
            values[sf_field] = value if value not in (False, "") else None
        return values

    def send(self, items):
        results = self.adapter.collection_upsert(
            self.object_name, self.external_id_field, [record for _binding, record in items])
        failures = self.collection_failures(items, results)
        self.adopt_ids(items, results, failures)
        return failures
