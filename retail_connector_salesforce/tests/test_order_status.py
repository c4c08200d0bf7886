from datetime import timedelta
from decimal import Decimal

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.canonical import Address, Customer, Order, OrderLine, to_dict
from odoo.addons.retail_connector.engine.intake import store_event
from odoo.addons.retail_connector.engine.order_import import OrderImporter

from .common import SalesforceFlowMixin


@tagged("post_install", "-at_install")
class TestOrderStatus(SalesforceFlowMixin, TransactionCase):
    """Orders of another channel (a generic backend) report their status to Salesforce."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.sf_import_orders = False
        cls.generic = cls.env["retail.backend"].create(
            {"name": "Web shop", "backend_type": "generic", "circuit_threshold": 3})
        cls.product = cls.env["product.product"].create({
            "name": "Lamp", "default_code": "SKU-G", "list_price": 10, "type": "consu",
            "invoice_policy": "order", "taxes_id": [(5, 0, 0)]})
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1)

    def setUp(self):
        super().setUp()
        self.reset_sandbox()
        self.control.add_field("Order", "Odoo_Status__c")
        self.control.add_field("Order", "Odoo_Tracking__c")

    def import_generic(self, external_id="G-1"):
        return OrderImporter(self.generic).import_order(self.canonical(external_id))

    def canonical(self, external_id):
        return Order(
            external_id=external_id, name=f"#{external_id}",
            currency=self.env.company.currency_id.name,
            customer=Customer(external_id="C-1", name="Jane Doe", email="jane@example.com",
                              default_address=Address(street="1 Main St", city="Springfield",
                                                      zip="12345", country_code="US")),
            lines=[OrderLine(external_id="L1", sku="SKU-G", quantity=2,
                             unit_price=Decimal("10"))],
            financial_status="pending",
        )

    def ship(self, sale, tracking):
        picking = sale.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing")
        picking.retail_tracking_ref = tracking
        for move in picking.move_ids:
            move.write({"quantity": move.product_uom_qty, "picked": True})
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return picking

    def remote_order(self):
        (order,) = self.control.records("Order")
        return order

    def test_status_of_another_channels_order_follows_it(self):
        with trap_jobs() as trap:
            sale = self.import_generic()
            self.assertEqual(sale.state, "sale")
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 2 call(s)")
        (account,) = self.control.records("Account")
        self.assertEqual((account["Name"], account["Odoo_Id__c"], account["BillingCity"]),
                         ("Jane Doe", str(sale.partner_id.id), "Springfield"))
        order = self.remote_order()
        self.assertEqual(
            (order["Odoo_Status__c"], order["Odoo_Id__c"], order["Status"], order["AccountId"]),
            ("confirmed", str(sale.id), "Draft", account["Id"]))
        self.assertIn(sale.name, order["Description"])
        binding = self.env["retail.sf.status.binding"].search([("odoo_id", "=", sale.id)])
        self.assertEqual((binding.external_id, binding.from_odoo), (order["Id"], True))
        self.assertEqual(sale.retail_backend_id, self.generic, "the order's channel is unchanged")

        with trap_jobs() as trap:
            self.ship(sale, "TRK-1")
            self.perform(trap)
        order = self.remote_order()
        self.assertEqual((order["Odoo_Status__c"], order["Odoo_Tracking__c"]),
                         ("shipped", "TRK-1"))

        with trap_jobs() as trap:
            invoice = sale._create_invoices()
            invoice.action_post()
            self.perform(trap)
        self.assertEqual(self.remote_order()["Odoo_Status__c"], "invoiced")

        with trap_jobs() as trap:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({"journal_id": self.bank.id})._create_payments()
            self.perform(trap)
        self.assertEqual(self.remote_order()["Odoo_Status__c"], "paid")

        with trap_jobs() as trap:
            refund = invoice._reverse_moves()
            refund.action_post()
            self.perform(trap)
        self.assertEqual(self.remote_order()["Odoo_Status__c"], "refunded")
        self.assertEqual(len(self.control.records("Account")), 1)
        self.assertEqual(self.counter("PATCH collections.upsert"), 2, "account + order, once")

        # nothing changed: marked again, skipped by hash, nothing sent
        with trap_jobs() as trap:
            sale._sf_mark_status()
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 0, unchanged 1, in 0 call(s)")

    def test_order_confirmed_inside_an_import_job_reports_too(self):
        """The engine runs event jobs with ``retail_no_export``: the status still goes."""
        payload = to_dict(self.canonical("G-4"))
        with trap_jobs() as trap:
            event, _created = store_event(self.generic, "order", payload, "evt-g-4",
                                          external_id="G-4")
            trap.perform_enqueued_jobs()
            self.assertEqual(event.state, "done")
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 2 call(s)")
        self.assertEqual(self.remote_order()["Odoo_Status__c"], "confirmed")

    def test_outage_parks_exports_and_the_other_channel_keeps_working(self):
        with trap_jobs() as trap:
            self.control.outage("503")
            sale = self.import_generic("G-2")
            self.assertEqual(sale.state, "sale")
            results = []
            for _attempt in range(3):
                results += self.perform(trap)
            self.assertTrue(all("transient failure, export" in r for r in results), results)
            self.assertEqual(self.backend.circuit_state, "open")
            self.assertIn("export parked until the circuit closes", results[-1])
            # the web shop order still ships while Salesforce is down
            self.ship(sale, "TRK-2")
            self.assertFalse(self.export_jobs(trap, self.backend), "parked: no export job")
            resume = [job for job in trap.enqueued_jobs if job.method_name == "_circuit_resume"]
            self.assertEqual(len(resume), 1, "one job holds the place of the parked exports")
            self.assertFalse(self.events(direction="out"), "parked, not failed")
            self.assertFalse(self.control.records("Order"))

            self.control.outage("none")
            self.backend.action_circuit_probe()
            self.assertEqual(self.backend.circuit_state, "closed")
            results = self.perform(trap)
            self.assertIn("sent 1, unchanged 0, in 2 call(s)", results)
            self.assertFalse(self.export_jobs(trap))
        order = self.remote_order()
        self.assertEqual((order["Odoo_Status__c"], order["Odoo_Tracking__c"]),
                         ("shipped", "TRK-2"))
        self.assertEqual(len(self.control.records("Account")), 1)

    def test_export_once_open_waits_the_cooldown_not_a_long_backoff(self):
        """After failures enough to open the circuit, the export is parked and the resume job
        probes after the cooldown, not after the long backoff of its failure count: the
        backlog drains as soon as Salesforce answers again."""
        self.backend.write({"circuit_cooldown": 30, "circuit_failure_count": 7})
        with trap_jobs() as trap:
            self.control.outage("503")
            self.import_generic("G-5")
            (result,) = self.perform(trap)
            self.assertEqual(self.backend.circuit_state, "open")
            self.assertIn("export parked until the circuit closes", result)
            self.assertFalse(self.export_jobs(trap))
            (resume,) = trap.enqueued_jobs
            self.assertEqual(resume.method_name, "_circuit_resume")
            self.assertLessEqual(resume.eta, fields.Datetime.now() + timedelta(seconds=34))
        self.control.outage("none")

    def test_customer_whose_account_cannot_be_created_fails_readably(self):
        self.backend.sf_account_vat_field = "Missing__c"  # no such Account field
        with trap_jobs() as trap:
            sale = self.import_generic("G-3")
            sale.partner_id.vat = "US1"
            self.perform(trap)
        failed = self.events(direction="out", state="failed")
        self.assertEqual(set(failed.mapped("topic")), {"export/accounts", "export/order_status"})
        order_event = failed.filtered(lambda e: e.topic == "export/order_status")
        self.assertIn("Jane Doe has no Salesforce Account", order_event.error_message)
        self.assertIn("INVALID_FIELD", failed.filtered(
            lambda e: e.topic == "export/accounts").error_message)
        self.assertFalse(self.control.records("Order"))
        # fixed: retrying the order's event sends it
        self.backend.sf_account_vat_field = False
        with trap_jobs() as trap:
            order_event.action_retry()
            trap.perform_enqueued_jobs()
            self.perform(trap)
        self.assertEqual(self.remote_order()["Odoo_Status__c"], "confirmed")
