from odoo.tests import tagged

from ..canonical import Customer
from ..engine.importers import PartnerImporter
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestOwnership(RetailCase):
    def _import(self, **values):
        return PartnerImporter(self.backend).import_customer(Customer(**values))

    def test_import_writes_only_channel_owned_fields(self):
        partner = self._import(
            external_id="C-7",
            name="Grace Hopper",
            email="grace@example.com",
            phone="111",
            vat="FR23334175221",
        )
        self.assertEqual(partner.vat, "FR23334175221", "a new partner gets every value")
        partner.write({"vat": "BE0477472701", "comment": "kept by Odoo"})
        same = self._import(
            external_id="C-7",
            name="Grace B. Hopper",
            email="grace@example.com",
            phone="222",
            vat="FR23334175221",
        )
        self.assertEqual(same, partner)
        self.assertEqual(partner.name, "Grace B. Hopper", "the channel owns the name")
        self.assertEqual(partner.phone, "222", "the channel owns the phone")
        self.assertEqual(partner.vat, "BE0477472701", "Odoo owns the VAT number")

    def test_backend_rule_overrides_type_default(self):
        partner = self._import(external_id="C-8", name="Alan", email="alan@example.com")
        self.env["retail.ownership.rule"].create(
            {
                "backend_type": "generic",
                "backend_id": self.backend.id,
                "object": "customer",
                "field_name": "name",
                "owner": "odoo",
            }
        )
        self._import(external_id="C-8", name="Alan Turing", email="alan@example.com")
        self.assertEqual(partner.name, "Alan")

    def test_match_by_normalized_email_then_bind(self):
        existing = self.env["res.partner"].create({"name": "Existing", "email": "Ada@Example.com"})
        partner = self._import(external_id="C-9", name="Ada L.", email=" ada@example.com ")
        self.assertEqual(partner, existing)
        self.assertEqual(existing.retail_binding_ids.external_id, "C-9")

    def test_older_payload_is_skipped(self):
        partner = self._import(
            external_id="C-10",
            name="New name",
            email="n@example.com",
            updated_at="2026-03-02T10:00:00",
        )
        self._import(
            external_id="C-10",
            name="Old name",
            email="n@example.com",
            updated_at="2026-03-01T10:00:00",
        )
        self.assertEqual(partner.name, "New name")
