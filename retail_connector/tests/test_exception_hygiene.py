"""The exception queue says what is wrong and closes what a later event made moot; a
customer's data keeps flowing where a person would expect it to."""

import json

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..canonical import Customer, from_dict
from ..engine.importers import PartnerImporter
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestExceptionHygiene(RetailCase):
    def run_jobs(self, payload, key, topic="customer"):
        from ..engine.intake import store_event

        with trap_jobs() as trap:
            event, _created = store_event(self.backend, topic, payload, key, external_id="C-1")
            trap.perform_enqueued_jobs()
        return event

    def test_a_failed_event_superseded_by_a_later_one_leaves_the_queue(self):
        failed = self.run_jobs(self.customer_payload(country="XX"), "evt-bad")
        self.assertEqual(failed.state, "failed")
        done = self.run_jobs(self.customer_payload(), "evt-good")
        self.assertEqual(done.state, "done")
        self.assertEqual(failed.state, "ignored")
        self.assertIn(f"Superseded by event {done.id}", failed.error_message)
        self.assertIn("Unknown country code 'XX'", failed.error_message)

    def test_a_customer_first_seen_without_address_gets_it_later(self):
        importer = PartnerImporter(self.backend)
        bare = Customer(external_id="C-9", name="Ada", email="ada9@example.com",
                        updated_at="2026-01-01T00:00:00Z")
        partner = importer.import_customer(bare)
        self.assertFalse(partner.street)
        payload = json.loads(self.customer_payload(external_id="C-9", email="ada9@example.com"))
        payload["updated_at"] = "2026-01-02T00:00:00Z"
        importer.import_customer(from_dict(Customer, payload))
        self.assertEqual(partner.street, "12 Analytical Row")
        self.assertEqual(partner.country_id.code, "GB")

    def test_a_recreated_customer_with_the_same_email_takes_over_the_partner(self):
        importer = PartnerImporter(self.backend)
        old = importer.import_customer(
            Customer(external_id="OLD-1", name="Grace", email="grace@example.com")
        )
        new = importer.import_customer(
            Customer(external_id="NEW-2", name="Grace", email="grace@example.com")
        )
        self.assertEqual(new, old)
        binding = old.retail_binding_ids
        self.assertEqual(binding.external_id, "NEW-2")
        self.assertIn("OLD-1", old.message_ids[:1].body)

    def test_order_level_taxes_only_are_said_as_such(self):
        from decimal import Decimal

        from ..canonical import Order, OrderLine
        from ..engine.order_import import OrderImporter
        from ..errors import DataError

        product = self.env["product.product"].create(
            {"name": "Lamp", "default_code": "LAMP-1", "invoice_policy": "order",
             "taxes_id": [(5, 0, 0)]}
        )
        order = Order(
            external_id="T-1", name="#T1", currency=self.env.company.currency_id.name,
            customer=Customer(external_id="C-T", name="Tax", email="tax@example.com"),
            lines=[OrderLine(external_id="L1", sku=product.default_code, quantity=1,
                             unit_price=Decimal("100.00"))],
            total=Decimal("120.00"),
        )
        with self.assertRaisesRegex(DataError, "only order-level taxes"):
            OrderImporter(self.backend).import_order(order)

