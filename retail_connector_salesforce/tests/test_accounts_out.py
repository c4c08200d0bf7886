import threading

from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SalesforceFlowMixin


@tagged("post_install", "-at_install")
class TestAccountsOut(SalesforceFlowMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.write({"sf_account_vat_field": "VAT__c", "sf_import_orders": False,
                           "sf_account_payment_term_field": "Payment_Terms__c"})
        cls.terms = cls.env["account.payment.term"].search([], limit=1)

    def setUp(self):
        super().setUp()
        self.reset_sandbox()
        # unique, so that two partners with one VAT number collide (DUPLICATE_VALUE)
        self.control.add_field("Account", "VAT__c", external_id=True)
        self.control.add_field("Account", "Payment_Terms__c")

    def account(self, record_id):
        return self.control.record("Account", record_id)

    def test_odoo_owned_fields_go_out_in_one_collection(self):
        first, partner = self.import_account(Name="Acme", BillingCity="Austin")
        second, other = self.import_account(Name="Globex", BillingCity="Boston")
        child = self.env["res.partner"].create({"parent_id": other.id, "type": "delivery",
                                                "name": "Dock", "city": "Chelsea",
                                                "street": "1 Pier"})
        self.control.reset_counters()
        with trap_jobs() as trap:
            partner.write({"vat": "US111", "city": "Dallas",
                           "property_payment_term_id": self.terms.id})
            other.write({"vat": "US222"})
            child.write({"zip": "02150"})
            self.assertEqual(len(self.export_jobs(trap)), 1, "one job per backend and flow")
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 2, unchanged 0, in 1 call(s)")
        self.assertEqual(self.counter("PATCH collections.upsert"), 1)
        acme = self.account(first["Id"])
        self.assertEqual((acme["Name"], acme["VAT__c"], acme["BillingCity"],
                          acme["Payment_Terms__c"], acme["Odoo_Id__c"]),
                         ("Acme", "US111", "Dallas", self.terms.name, str(partner.id)))
        globex = self.account(second["Id"])
        self.assertEqual((globex["ShippingCity"], globex["ShippingStreet"],
                          globex["ShippingPostalCode"], globex["BillingCity"]),
                         ("Chelsea", "1 Pier", "02150", "Boston"))
        self.assertEqual(len(self.control.records("Account")), 2, "upserted, not created")

        # unchanged: marked dirty again, hash-skipped, nothing sent
        with trap_jobs() as trap:
            partner.write({"city": "Dallas"})
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 0, unchanged 1, in 0 call(s)")
        self.assertEqual(self.counter("PATCH collections.upsert"), 1)

    def test_no_export_for_salesforce_fields_nor_inside_an_import(self):
        account, partner = self.import_account(Name="Initech", BillingCity="Austin")
        with trap_jobs() as trap:
            partner.write({"name": "Initech Renamed", "phone": "123"})  # Salesforce owns them
            partner.with_context(retail_no_export=True).write({"city": "Dallas"})
            self.assertFalse(self.export_jobs(trap))
            # an event job (what the catch-up runs) never marks: the engine sets the context
            self.control.update_record("Account", account["Id"], {"Name": "Initech 2"})
            self.backend._catch_up()
            trap.perform_enqueued_jobs()
            self.assertFalse(self.export_jobs(trap))
        self.assertEqual(partner.name, "Initech 2")
        self.assertFalse(self.env["retail.partner.binding"].search(
            [("odoo_id", "=", partner.id)]).export_pending)

    def test_duplicate_value_fails_one_record_and_keeps_the_others(self):
        first, partner = self.import_account(Name="One")
        second, other = self.import_account(Name="Two")
        third, last = self.import_account(Name="Three")
        with trap_jobs() as trap:
            (partner | other).write({"vat": "DUP-1"})
            last.write({"vat": "US333"})
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 2, unchanged 0, in 1 call(s)")
        self.assertEqual(self.account(first["Id"])["VAT__c"], "DUP-1")
        self.assertFalse(self.account(second["Id"])["VAT__c"])
        self.assertEqual(self.account(third["Id"])["VAT__c"], "US333")
        failed = self.events(direction="out", state="failed")
        self.assertEqual(len(failed), 1)
        self.assertEqual((failed.topic, failed.error_kind, failed.res_id),
                         ("export/accounts", "data", other.id))
        self.assertIn("DUPLICATE_VALUE", failed.error_message)
        self.assertIn("Two", failed.error_message)
        Binding = self.env["retail.partner.binding"]
        synced = Binding.search([("odoo_id", "in", (partner | last).ids)])
        self.assertTrue(all(b.sync_hash and not b.export_pending for b in synced))
        self.assertFalse(Binding.search([("odoo_id", "=", other.id)]).sync_hash)

        # fixed in Odoo: the next export sends it, the failure is not repeated
        with trap_jobs() as trap:
            other.write({"vat": "US222"})
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual(self.account(second["Id"])["VAT__c"], "US222")

    def test_locked_record_is_retried_alone(self):
        first, partner = self.import_account(Name="Lock A")
        second, other = self.import_account(Name="Lock B")
        self.control.faults(lock_next_writes=1)
        with trap_jobs() as trap:
            partner.write({"vat": "L-1"})
            other.write({"vat": "L-2"})
            (result,) = self.perform(trap)
            self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
            self.assertEqual(len(self.export_jobs(trap)), 1, "the locked one is retried")
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual((self.account(first["Id"])["VAT__c"],
                          self.account(second["Id"])["VAT__c"]), ("L-1", "L-2"))
        self.assertFalse(self.events(direction="out"))

    def test_failed_run_is_retried_from_the_exception_queue(self):
        account, partner = self.import_account(Name="Run Ltd")
        self.backend.sf_account_external_id_field = "Missing__c"
        with trap_jobs() as trap:
            partner.write({"vat": "R-1"})
            (result,) = self.perform(trap)
        self.assertIn("export failed", result)
        event = self.events(direction="out")
        self.assertEqual((event.state, event.topic), ("failed", "export/accounts"))
        self.assertIn("Missing__c", event.error_message)
        self.backend.sf_account_external_id_field = "Odoo_Id__c"
        with trap_jobs() as trap:
            event.action_retry()
            trap.perform_enqueued_jobs()  # the event's job schedules the export again
            self.assertEqual(event.state, "done")
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual(self.account(account["Id"])["VAT__c"], "R-1")

    def test_ownership_conflict_each_side_keeps_its_fields(self):
        account, partner = self.import_account(Name="Umbrella", BillingCity="Austin",
                                               Phone="1")
        # both sides edit at the same time: Salesforce the name and phone, Odoo the city
        self.control.update_record("Account", account["Id"], {
            "Name": "Umbrella Corp", "Phone": "2", "BillingCity": "Houston"})
        with trap_jobs() as trap:
            partner.write({"city": "Dallas", "name": "Odoo Name"})
            self.perform(trap)
        self.catch_up()
        remote = self.account(account["Id"])
        self.assertEqual((remote["Name"], remote["Phone"], remote["BillingCity"]),
                         ("Umbrella Corp", "2", "Dallas"))
        self.assertEqual((partner.name, partner.phone, partner.city),
                         ("Umbrella Corp", "2", "Dallas"))

    def test_expired_session_is_renewed_in_the_middle_of_a_run(self):
        accounts = [self.import_account(Name=f"Shop {n}") for n in range(3)]
        logins = self.logins()
        self.control.faults(latency_ms=300)
        self.addCleanup(self.control.faults, clear=True)
        # the export job reads the ownership rules, then makes its calls; the session
        # expires while they run (one Account collection per 200 partners: force 3 batches)
        self.patch(type(self.backend._get_exporter("accounts")), "batch_size", 1)
        timer = threading.Timer(0.45, self.control.expire_sessions)
        with trap_jobs() as trap:
            for index, (_account, partner) in enumerate(accounts):
                partner.write({"vat": f"US90{index}"})
            timer.start()
            (result,) = self.perform(trap)
        timer.join()
        self.assertEqual(result, "sent 3, unchanged 0, in 3 call(s)")
        self.assertEqual(self.logins(), logins + 1, "one login renews the session")
        self.assertEqual([self.account(a["Id"])["VAT__c"] for a, _p in accounts],
                         ["US900", "US901", "US902"])
        self.assertFalse(self.events(direction="out"))


@tagged("post_install", "-at_install")
class TestRequiredCustomerFields(SalesforceFlowMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.sf_import_orders = False

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def test_account_without_country_waits_in_the_exception_queue(self):
        account = self.control.create_record("Account", {"Name": "Nowhere Ltd",
                                                         "BillingCity": "Paris"})
        self.catch_up()
        event = self.events()
        self.assertEqual((event.state, event.error_kind), ("failed", "data"))
        self.assertIn("Country (country_id)", event.error_message)
        self.assertIn("Nowhere Ltd", event.error_message)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Nowhere Ltd")]))
        self.assertFalse(self.control.record("Account", account["Id"])["Odoo_Id__c"])
        # completed in Salesforce, retried: imported
        self.control.update_record("Account", account["Id"], {"BillingCountry": "FR"})
        with trap_jobs() as trap:
            event.action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        partner = self.env["res.partner"].browse(event.res_id)
        self.assertEqual(partner.country_id.code, "FR")

    def test_account_bound_to_a_partner_updates_it_without_the_check(self):
        """An Account Odoo created (bound to a partner without country) comes back in the
        catch-up: it updates its partner, it does not wait in the exception queue."""
        partner = self.env["res.partner"].create({"name": "Shopify Shopper"})
        account = self.control.create_record("Account", {"Name": "Shopify Shopper",
                                                         "Phone": "+33 1 23"})
        self.env["retail.partner.binding"].create(
            {"backend_id": self.backend.id, "odoo_id": partner.id,
             "external_id": account["Id"]}
        )
        self.catch_up()
        event = self.events()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(event.res_id, partner.id)
        self.assertFalse(self.env["res.partner"].search_count(
            [("name", "=", "Shopify Shopper"), ("id", "!=", partner.id)]))

    def test_required_fields_are_configurable(self):
        self.backend.sf_required_partner_fields = "country_id, zip"
        self.control.create_record("Account", {"Name": "No Zip", "BillingCountry": "US"})
        self.catch_up()
        self.assertIn("Zip (zip)", self.events().error_message)
        self.backend.sf_required_partner_fields = ""
        self.control.create_record("Account", {"Name": "Anything Goes"})
        self.catch_up()
        self.assertTrue(self.env["res.partner"].search([("name", "=", "Anything Goes")]))
