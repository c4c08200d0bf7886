"""Core importers: canonical records in, Odoo records out, through bindings.

Channel code never writes Odoo records: its mapper builds a canonical record and hands it to
an importer here, which matches or creates the Odoo record, applies the ownership rules and
value mappings, and refreshes the binding. Each importer runs inside the event's savepoint, so
a failure leaves nothing half-created.
"""

from odoo import _

from ..errors import DataError, TransientError
from .locks import lock_external_record


def normalize_email(email):
    """Return the comparable form of an e-mail address ('' when there is none)."""
    return (email or "").strip().lower()


class PartnerImporter:
    """Import a canonical :class:`~..canonical.Customer` into ``res.partner``."""

    binding_model = "retail.partner.binding"
    ownership_object = "customer"

    def __init__(self, backend):
        self.backend = backend
        self.env = backend.env

    def import_customer(self, customer):
        """Match (binding, then e-mail) or create the partner; return it."""
        if not customer.external_id:
            raise DataError(_("The customer has no id: the channel payload is incomplete."))
        lock_external_record(self.env.cr, self.backend.id, "res.partner", customer.external_id)
        Binding = self.env[self.binding_model]
        binding = Binding._find(self.backend, customer.external_id)
        if binding and binding._is_outdated(customer.updated_at):
            return binding.odoo_id
        values = self.partner_values(customer)
        parent = self.parent_partner(customer)
        partner = binding.odoo_id or self.match_partner(customer)
        if partner:
            Rules = self.env["retail.ownership.rule"]
            update = Rules._filter_values(self.backend, self.ownership_object, values)
            # What Odoo owns but does not have yet (a customer first seen without an
            # address) is filled in: filling a blank overwrites nothing of Odoo's.
            for name, value in values.items():
                if name not in update and value and not partner[name]:
                    update[name] = value
            if parent and not partner.parent_id:
                update["parent_id"] = parent.id
            partner.write(update)
            if not binding:
                self.rebind_partner(partner, customer)
        else:
            if parent:
                values["parent_id"] = parent.id
            partner = self.env["res.partner"].create(values)
        Binding._bind(self.backend, customer.external_id, partner, customer.updated_at)
        return partner

    def rebind_partner(self, partner, customer):
        """A partner already bound to another customer of this channel (a customer deleted
        and re-created with the same e-mail) now stands for the new one: its binding moves
        to the new id, and the partner's chatter keeps the old id."""
        Binding = self.env[self.binding_model]
        old = Binding.search(
            [("backend_id", "=", self.backend.id), ("odoo_id", "=", partner.id)], limit=1
        )
        if not old or old.external_id == customer.external_id:
            return
        previous = old.external_id
        old.write({"external_id": customer.external_id, "external_updated_at": False})
        partner.message_post(
            body=_(
                "%(backend)s: customer %(new)s (same e-mail) replaces customer %(old)s, which "
                "was bound to this contact.",
                backend=self.backend.name,
                new=customer.external_id,
                old=previous,
            )
        )

    def parent_partner(self, customer):
        """The company partner of a person that belongs to one in the channel."""
        if not customer.parent_external_id:
            return self.env["res.partner"]
        binding = (
            self.env[self.binding_model]._find(self.backend, customer.parent_external_id)
        )
        if not binding:
            # The company's own event may still be queued (webhooks and polls interleave).
            raise TransientError(
                _(
                    "Company %(parent)s of contact %(contact)s is not imported yet; retried "
                    "shortly.",
                    parent=customer.parent_external_id,
                    contact=customer.external_id,
                ),
                retry_after=30,
                circuit=False,
            )
        return binding.odoo_id

    def match_partner(self, customer):
        """Find an existing partner by normalized e-mail in the backend's company."""
        email = normalize_email(customer.email)
        if not email:
            return self.env["res.partner"]
        return (
            self.env["res.partner"]
            .search(
                [
                    ("email_normalized", "=", email),
                    ("parent_id", "=", False),
                    ("company_id", "in", (False, self.backend.company_id.id)),
                ],
                order="id",
                limit=1,
            )
        )

    def partner_values(self, customer):
        """Return the ``res.partner`` values a customer carries."""
        name = customer.name or customer.company_name or customer.email
        if not name:
            raise DataError(
                _(
                    "Customer %s has neither a name nor an e-mail: complete it in the channel.",
                    customer.external_id,
                )
            )
        values = {
            "name": name,
            "email": customer.email or False,
            "phone": customer.phone or False,
            "is_company": customer.is_company,
            "company_id": self.backend.company_id.id,
        }
        if customer.vat:
            values["vat"] = customer.vat
        address = customer.default_address
        if address:
            values.update(self.address_values(address))
        return values

    def address_values(self, address):
        """Return address values, resolving the country and state codes."""
        values = {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
        }
        if address.country_code:
            country = self.env["res.country"].search(
                [("code", "=", address.country_code.upper())], limit=1
            )
            if not country:
                raise DataError(
                    _(
                        "Unknown country code '%s' in the address: correct it in the channel.",
                        address.country_code,
                    )
                )
            values["country_id"] = country.id
            if address.state_code:
                state = self.env["res.country.state"].search(
                    [("country_id", "=", country.id), ("code", "=", address.state_code)], limit=1
                )
                values["state_id"] = state.id or False
        return values
