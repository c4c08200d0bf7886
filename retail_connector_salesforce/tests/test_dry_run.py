"""A dry run of every topic a Salesforce backend handles sends no write to the sandbox."""

import json

from odoo.tests import TransactionCase, tagged

from .test_orders_in import SalesforceOrderMixin

WRITE_METHODS = ("POST ", "PATCH ", "PUT ", "DELETE ")


@tagged("post_install", "-at_install")
class TestSalesforceDryRun(SalesforceOrderMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.env["product.product"].create({
            "name": "Widget", "default_code": "SKU-O", "type": "consu",
            "invoice_policy": "order", "taxes_id": [(5, 0, 0)]})

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def writes(self):
        """The sandbox's counts of REST calls that change data (logins excluded)."""
        return {name: count for name, count in self.control.counters().items()
                if name.startswith(WRITE_METHODS)}

    def dry_run(self, topic, payload):
        wizard = self.env["retail.dry.run"].create(
            {"backend_id": self.backend.id, "topic": topic, "payload": json.dumps(payload)})
        wizard.action_run()
        return wizard

    def test_dry_run_of_every_topic_writes_nothing_to_salesforce(self):
        account = self.control.create_record("Account", {"Name": "Dry Acme",
                                                         "BillingCountry": "US"})
        contact = self.control.create_record("Contact", {"LastName": "Dry",
                                                         "AccountId": account["Id"]})
        order = self.make_order(account["Id"])
        payloads = {
            "account": {"Id": account["Id"]},
            "contact": {"Id": contact["Id"]},
            "order": {"Id": order["Id"]},
            "export/accounts": {"flow": "accounts"},
            "export/products": {"flow": "products"},
            "export/order_status": {"flow": "order_status"},
        }
        self.assertEqual(set(payloads), set(self.backend._event_topics()))
        self.control.reset_counters()
        for topic, payload in payloads.items():
            with self.subTest(topic=topic):
                wizard = self.dry_run(topic, payload)
                self.assertEqual(self.writes(), {}, wizard.result)
        self.assertTrue(self.control.counters().get("GET sobject.get"))
        # Nothing came back to Salesforce: the Account still has no Odoo id.
        self.assertFalse(self.sandbox_account(account["Id"]).get("Odoo_Id__c"))

    def test_account_dry_run_lists_the_write_back_it_would_send(self):
        account = self.control.create_record("Account", {"Name": "Dry Two",
                                                         "BillingCountry": "US"})
        partners = self.env["res.partner"].search_count([])
        self.control.reset_counters()
        wizard = self.dry_run("account", {"Id": account["Id"]})
        self.assertEqual(self.writes(), {})
        self.assertIn(f"Read (Salesforce): GET v59.0/sobjects/Account/{account['Id']}",
                      wizard.result)
        self.assertIn(f"Would send (Salesforce): PATCH v59.0/sobjects/Account/{account['Id']}",
                      wizard.result)
        self.assertIn('"Odoo_Id__c"', wizard.result)
        self.assertIn("Dry Two", wizard.result)  # the partner it would create
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertFalse(self.sandbox_account(account["Id"]).get("Odoo_Id__c"))
