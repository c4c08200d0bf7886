import json

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from .common import SalesforceSandboxMixin


@tagged("post_install", "-at_install")
class TestAccountFlow(SalesforceSandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.sf_import_orders = False
        cls.Binding = cls.env["retail.partner.binding"]

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def catch_up(self):
        with trap_jobs() as trap:
            report = self.backend._catch_up()
            trap.perform_enqueued_jobs()
        return report

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def bindings(self):
        return self.Binding.search([("backend_id", "=", self.backend.id)])

    def updates(self):
        return self.control.counters().get("PATCH sobject.update", 0)

    def test_polled_account_becomes_partner_and_gets_odoo_id(self):
        account = self.control.create_record("Account", {
            "Name": "Acme Retail", "Phone": "+1 415 555 0100", "BillingStreet": "1 Market St",
            "BillingCity": "San Francisco", "BillingPostalCode": "94105", "BillingCountry": "US",
        })
        report = self.catch_up()
        self.assertEqual(report, "polled 1 accounts")
        binding = self.bindings()
        self.assertEqual(len(binding), 1)
        partner = binding.odoo_id
        self.assertEqual(binding.external_id, account["Id"])
        self.assertEqual((partner.name, partner.phone, partner.city, partner.country_id.code),
                         ("Acme Retail", "+1 415 555 0100", "San Francisco", "US"))
        self.assertTrue(partner.is_company)
        self.assertEqual(binding.external_updated_at.replace(microsecond=0).isoformat(),
                         account["SystemModstamp"][:19])
        self.assertEqual(self.events().state, "done")
        self.assertEqual(self.sandbox_account(account["Id"])["Odoo_Id__c"], str(partner.id))
        self.assertEqual(self.updates(), 1)
        self.assertTrue(self.backend.sf_last_sync_at)
        self.assertEqual(self.env["retail.checkpoint"]._for(self.backend, "accounts").last_count, 1)

        # The write-back comes back once (new SystemModstamp); it writes nothing again.
        self.catch_up()
        self.assertEqual(self.bindings(), binding)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Acme Retail")]), 1)
        self.assertEqual(self.updates(), 1)
        self.assertEqual(set(self.events().mapped("state")), {"done"})
        # Nothing changed since: the overlap window reads the record again, stores nothing.
        count = len(self.events())
        self.catch_up()
        self.assertEqual(len(self.events()), count)
        self.assertEqual(self.updates(), 1)

    def test_salesforce_owns_name_and_phone_odoo_owns_the_address(self):
        account = self.control.create_record("Account", {"Name": "Initech", "BillingCountry": "US",
                                                         "BillingCity": "Austin"})
        self.catch_up()
        partner = self.bindings().odoo_id
        partner.write({"city": "Dallas", "vat": "US123"})
        self.control.update_record("Account", account["Id"], {
            "Name": "Initech Shops", "Phone": "42", "BillingCity": "Houston"})
        self.catch_up()
        self.assertEqual((partner.name, partner.phone), ("Initech Shops", "42"))
        self.assertEqual((partner.city, partner.vat), ("Dallas", "US123"))

    def test_outbound_event_reads_the_full_record(self):
        """An Outbound Message carries some fields: the job reads the record over REST."""
        account = self.control.create_record("Account", {"Name": "Full Name Ltd",
                                                         "Phone": "777", "BillingCountry": "US"})
        with trap_jobs() as trap:
            event, created = store_event(
                self.backend, "account", json.dumps({"Id": account["Id"]}),
                "04l000000000001AAA", external_id=account["Id"])
            self.assertTrue(created)
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        partner = self.env["res.partner"].browse(event.res_id)
        self.assertEqual((partner.name, partner.phone), ("Full Name Ltd", "777"))
        self.assertEqual(self.sandbox_account(account["Id"])["Odoo_Id__c"], str(partner.id))

    def test_existing_odoo_id_is_not_written_again(self):
        account = self.control.create_record("Account", {"Name": "Set", "Odoo_Id__c": "X-1",
                                                         "BillingCountry": "US"})
        self.catch_up()
        self.assertEqual(len(self.bindings()), 1)
        self.assertEqual(self.updates(), 0)
        self.assertEqual(self.sandbox_account(account["Id"])["Odoo_Id__c"], "X-1")

    def test_deleted_account_is_done_without_import(self):
        account = self.control.create_record("Account", {"Name": "Gone"})
        self.control.delete_record("Account", account["Id"])
        with trap_jobs() as trap:
            event, _created = store_event(self.backend, "account", "{}", "04l-gone",
                                          external_id=account["Id"])
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertFalse(self.bindings())

    def test_wrong_external_id_field_fails_readably(self):
        account = self.control.create_record("Account", {"Name": "Temp"})
        self.backend.sf_account_external_id_field = "Missing__c"
        with trap_jobs() as trap:
            event, _created = store_event(self.backend, "account", "{}", "04l-bad",
                                          external_id=account["Id"])
            trap.perform_enqueued_jobs()
        self.assertEqual((event.state, event.error_kind), ("failed", "data"))
        self.assertIn("Missing__c", event.error_message)
        self.assertIn("INVALID_FIELD", event.error_message)
        self.assertFalse(self.bindings())

    def test_write_back_lock_retries_the_event(self):
        account = self.control.create_record(
            "Account", {"Name": "Locked Inc", "BillingCountry": "US"})
        self.control.faults(lock_next_writes=1)
        with trap_jobs() as trap:
            self.backend._catch_up()
            trap.perform_enqueued_jobs()
            event = self.events()
            self.assertEqual((event.state, event.error_kind), ("queued", "transient"))
            # the write-back comes after the import's commit: the partner is kept
            self.assertEqual(len(self.bindings()), 1)
            self.assertFalse(self.sandbox_account(account["Id"]).get("Odoo_Id__c"))
            self.assertTrue(event.next_retry_at, "it waits for the backend's retry drain")
            event.next_retry_at = fields.Datetime.now()  # as the clock would: the retry is due
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        partner = self.bindings().odoo_id
        self.assertEqual(len(partner), 1, "the retry imported the same partner again")
        self.assertEqual(self.sandbox_account(account["Id"])["Odoo_Id__c"], str(partner.id))

    def test_contacts_are_polled_when_enabled(self):
        self.control.seed({"Contact": [{"FirstName": "Ada", "LastName": "Lovelace",
                                        "Email": "ada@acme.example"}]})
        self.assertEqual(self.catch_up(), "polled 0 accounts")
        self.backend.sf_import_contacts = True
        self.assertEqual(self.catch_up(), "polled 0 accounts, 1 contacts")
        partner = self.bindings().odoo_id
        self.assertEqual((partner.name, partner.email, partner.is_company),
                         ("Ada Lovelace", "ada@acme.example", False))

    def test_contacts_belong_to_their_account(self):
        refs = self.control.seed({
            "Account": [{"_ref": "acme", "Name": "Acme Corp", "BillingCountry": "US"}],
            "Contact": [{"FirstName": "Wile", "LastName": "Coyote", "Email": "wile@acme.example",
                         "AccountId": "@acme"}],
        })
        self.assertTrue(refs)
        self.backend.sf_import_contacts = True
        self.assertEqual(self.catch_up(), "polled 1 accounts, 1 contacts")
        partners = self.bindings().mapped("odoo_id")
        company = partners.filtered("is_company")
        person = partners - company
        self.assertEqual(company.name, "Acme Corp")
        self.assertEqual(person.parent_id, company)
        self.assertIn(person, company.child_ids)

    def test_scheduled_catch_up_waits_for_the_polling_interval(self):
        self.backend.sf_poll_interval = 30
        self.control.create_record("Account", {"Name": "First"})
        with trap_jobs():
            self.assertIn("polled 1 accounts", self.backend._run_catch_up())
            self.control.create_record("Account", {"Name": "Second"})
            self.assertIn("next poll after", self.backend._run_catch_up())
            self.assertIn("polled", self.backend.with_context(
                retail_force_poll=True)._run_catch_up())
