"""Orders, customers and refunds in, fulfilments out, against the Shopify sandbox.

Webhook payloads are the sandbox's own REST bodies (``control.rest``), stored through the
engine's inbox as the controller does (the controller itself is tested over HTTP in
test_webhook_controller); catch-up reads the sandbox over GraphQL.
"""

import json

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from .common import ShopifyCase, map_the_shop

SHIPPING = {"title": "Standard", "code": "STD", "price": "5.00"}


@tagged("post_install", "-at_install")
class TestShopifyFlows(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        Product = cls.env["product.product"]
        common = {"is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        cls.shirt = Product.create(
            {"name": "T-shirt blue M", "default_code": "TSHIRT-BLUE-M", **common}
        )
        cls.tote = Product.create({"name": "Tote", "default_code": "TOTE-NATURAL", **common})
        map_the_shop(cls.env, cls.backend)
        cls.stock = cls.env.ref("stock.stock_location_stock")
        cls.env["stock.quant"]._update_available_quantity(cls.shirt, cls.stock, 50)
        cls.env["stock.quant"]._update_available_quantity(cls.tote, cls.stock, 50)

    # ------------------------------------------------------------------
    def place(self, lines=None, **fields):
        fields.setdefault("financial_status", "paid")
        fields.setdefault("tax_rate", 0.2)
        fields.setdefault("shipping", SHIPPING)
        fields.setdefault(
            "customer", {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}
        )
        return self.control.place_order(
            lines or [{"sku": "TSHIRT-BLUE-M", "quantity": 2}], **fields
        )

    def deliver(self, topic, payload, key):
        """Store a webhook delivery as the controller does; returns (event, created)."""
        return store_event(
            self.backend, topic, json.dumps(payload), key, external_id=str(payload.get("id"))
        )

    def sale_of(self, order_id):
        binding = self.env["retail.order.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", str(order_id))]
        )
        return binding.odoo_id

    # ------------------------------------------------------------------
    def test_paid_order_is_confirmed_invoiced_and_paid(self):
        order = self.place()
        with trap_jobs() as trap:
            payload = self.control.rest("orders", order["id"])
            event, _created = self.deliver("orders/create", payload, "wh-paid-1")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self.sale_of(order["id"])
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.retail_external_name, order["name"])
        self.assertEqual(sale.currency_id.name, "EUR")
        self.assertAlmostEqual(sale.amount_total, float(order["total_price"]), places=2)
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(sale.partner_id.email, "ada@example.com")

    def test_webhook_job_books_payments_as_the_integration_user(self):
        """A webhook's job runs as the backend's integration user, without superuser mode: the
        payments Odoo's wizard hands back are written (transaction, gateway) as that user."""
        order = self.place()
        payload = self.control.rest("orders", order["id"])
        with trap_jobs():
            event, _created = self.deliver("orders/create", payload, "wh-public-1")
        event.with_user(self.backend.integration_user_id)._process_job()
        self.assertEqual(event.state, "done", event.error_message)
        payments = self.sale_of(order["id"]).invoice_ids.matched_payment_ids
        self.assertEqual(payments.mapped("retail_gateway"), ["manual"])

    def test_same_order_three_times_out_of_order(self):
        order = self.place(financial_status="pending")
        created = self.control.rest("orders", order["id"])
        self.control.mark_paid(order["id"])
        paid = self.control.rest("orders", order["id"])
        self.assertGreaterEqual(paid["updated_at"], created["updated_at"])
        with trap_jobs() as trap:
            self.deliver("orders/paid", paid, "wh-2-paid")
            self.deliver("orders/create", created, "wh-2-create")
            _again, duplicate = self.deliver("orders/paid", paid, "wh-2-paid")
            trap.perform_enqueued_jobs()
        self.assertFalse(duplicate)
        sales = self.env["sale.order"].search(
            [
                ("retail_backend_id", "=", self.backend.id),
                ("retail_external_name", "=", order["name"]),
            ]
        )
        self.assertEqual(len(sales), 1)
        self.assertEqual(len(sales.invoice_ids), 1, "the older 'create' changed nothing")
        self.assertEqual(sales.invoice_ids.state, "posted")

    def test_unknown_sku_fails_then_retry_succeeds(self):
        order = self.place([{"sku": "BEANIE-GREY", "quantity": 1}])
        with trap_jobs() as trap:
            event, _created = self.deliver(
                "orders/create", self.control.rest("orders", order["id"]), "wh-beanie"
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("Unknown SKU 'BEANIE-GREY'", event.error_message)
        self.assertFalse(self.sale_of(order["id"]))
        self.env["product.product"].create(
            {
                "name": "Beanie",
                "default_code": "BEANIE-GREY",
                "invoice_policy": "order",
                "taxes_id": [(5, 0, 0)],
            }
        )
        with trap_jobs() as trap:
            event.action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertTrue(self.sale_of(order["id"]))

    def calls(self, operation):
        return self.control.counters()["operations"].get(operation, {}).get("calls", 0)

    def test_catch_up_polls_orders_through_the_same_path(self):
        orders = [self.place(), self.place([{"sku": "TOTE-NATURAL", "quantity": 1}])]
        with trap_jobs() as trap:
            report = self.backend._catch_up()
            trap.perform_enqueued_jobs()
        self.assertIn("orders", report)
        for order in orders:
            self.assertTrue(self.sale_of(order["id"]), f"order {order['name']} imported")
        events = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "orders/updated")]
        )
        self.assertTrue(events)
        self.assertEqual(set(events.mapped("state")), {"done"})
        with trap_jobs() as trap:
            self.backend._catch_up()
            trap.assert_jobs_count(0)

    def test_catch_up_reads_in_full_only_versions_the_inbox_lacks(self):
        first = self.place()
        with trap_jobs():
            self.backend._catch_up()
        # The next run's window overlaps the first (checkpoint minus overlap): the first
        # order is listed again by the cheap pass but not read in full; a new one is.
        second = self.place([{"sku": "TOTE-NATURAL", "quantity": 1}])
        self.control.reset_counters()
        with trap_jobs():
            self.backend._catch_up()
        self.assertEqual(self.calls("OrdersUpdatedIds"), 1)
        self.assertEqual(self.calls("OrdersByIds"), 1)
        keys = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "orders/updated")]
        ).mapped("external_id")
        self.assertEqual(keys.count(str(first["id"])), 1)
        self.assertEqual(keys.count(str(second["id"])), 1)
        # Nothing new: the listing only, no full read.
        self.control.reset_counters()
        with trap_jobs():
            self.backend._catch_up()
        self.assertEqual(self.calls("OrdersByIds"), 0)

    def test_validated_delivery_becomes_a_fulfilment(self):
        order = self.place([{"sku": "TSHIRT-BLUE-M", "quantity": 2}])
        with trap_jobs() as trap:
            self.deliver("orders/create", self.control.rest("orders", order["id"]), "wh-ship")
            trap.perform_enqueued_jobs()
        sale = self.sale_of(order["id"])
        delivery = sale.picking_ids
        delivery.write({"retail_tracking_ref": "1Z-TRACK", "retail_carrier_name": "UPS"})
        delivery.action_assign()
        # A partial shipment: one now, the other in a backorder.
        delivery.move_ids.write({"quantity": 1, "picked": True})
        with trap_jobs() as trap:
            delivery._action_done()
            trap.perform_enqueued_jobs()
        shipment = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "shipment")]
        )
        self.assertEqual(len(shipment), 1)
        self.assertEqual(shipment.state, "done", shipment.error_message)
        rest = self.control.rest("orders", order["id"])
        self.assertEqual(rest["fulfillment_status"], "partial")
        self.assertEqual(rest["fulfillments"][0]["tracking_number"], "1Z-TRACK")
        self.assertEqual(delivery.retail_binding_ids.backend_id, self.backend)

        # A tracking number corrected after shipping updates the fulfilment.
        with trap_jobs() as trap:
            delivery.retail_tracking_ref = "1Z-FIXED"
            trap.perform_enqueued_jobs()
        update = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "shipment/tracking")]
        )
        self.assertEqual(update.state, "done", update.error_message)
        rest = self.control.rest("orders", order["id"])
        self.assertEqual(rest["fulfillments"][0]["tracking_number"], "1Z-FIXED")

    def test_refund_with_restock_becomes_a_credit_note(self):
        order = self.place()
        with trap_jobs() as trap:
            self.deliver("orders/create", self.control.rest("orders", order["id"]), "wh-refund")
            trap.perform_enqueued_jobs()
        refund = self.control.refund_order(
            order["id"], [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "restock_type": "RETURN"}]
        )
        with trap_jobs() as trap:
            event, _created = self.deliver(
                "refunds/create", self.control.rest("refunds", refund["id"]), "wh-r1"
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        credit_note = self.env["account.move"].browse(event.res_id)
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertAlmostEqual(credit_note.amount_untaxed, 19.90, places=2)

    def test_customer_update_respects_ownership(self):
        order = self.place()
        customer_id = self.control.rest("orders", order["id"])["customer"]["id"]
        with trap_jobs() as trap:
            self.deliver("customers/create", self.control.rest("customers", customer_id), "c1")
            trap.perform_enqueued_jobs()
        binding = self.env["retail.partner.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", str(customer_id))]
        )
        partner = binding.odoo_id
        self.assertEqual(partner.email, "ada@example.com")
        partner.vat = "BE0477472701"
        payload = self.control.rest("customers", customer_id)
        payload.update(first_name="Augusta", updated_at="2099-01-01T00:00:00Z")
        with trap_jobs() as trap:
            self.deliver("customers/update", payload, "c2")
            trap.perform_enqueued_jobs()
        self.assertEqual(partner.name, "Augusta Lovelace")
        self.assertEqual(partner.vat, "BE0477472701")

    def test_malformed_payload_is_a_clear_data_error(self):
        with trap_jobs() as trap:
            event, _created = self.deliver(
                "orders/create", {"id": 5, "line_items": [{"id": 1, "quantity": "x"}]}, "bad-1"
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("no numeric quantity", event.error_message)

    def reconcile(self):
        from odoo import fields

        today = fields.Date.today()
        report = self.env["retail.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": today, "date_to": today}
        )
        report.action_run()
        return report

    def test_reconciliation_finds_each_gap_and_reimport_fixes_it(self):
        paid = self.place()
        refunded = self.place([{"sku": "TOTE-NATURAL", "quantity": 1}])
        with trap_jobs() as trap:
            for order in (paid, refunded):
                self.deliver(
                    "orders/create", self.control.rest("orders", order["id"]), f"rec-{order['id']}"
                )
            trap.perform_enqueued_jobs()
        # Other tests of this class share the sandbox, and their imports were rolled back:
        # only the lines of this test's two orders matter here.
        mine = {paid["name"], refunded["name"]}

        def gaps(report):
            return {
                (line.kind, line.reference) for line in report.line_ids if line.reference in mine
            }

        clean = self.reconcile()
        self.assertEqual(gaps(clean), set())
        self.assertGreaterEqual(clean.checked_count, 2)

        # A refund Odoo never heard of, and an invoice cancelled by mistake in Odoo.
        self.control.refund_order(refunded["id"])
        self.sale_of(paid["id"]).invoice_ids.button_draft()
        self.sale_of(paid["id"]).invoice_ids.button_cancel()
        report = self.reconcile()
        self.assertEqual(
            gaps(report), {("refund_missing", refunded["name"]), ("invoice_missing", paid["name"])}
        )
        self.assertTrue(all(line.event_id.state == "failed" for line in report.line_ids))

        invoice_gap = report.line_ids.filtered(
            lambda line: line.kind == "invoice_missing" and line.reference == paid["name"]
        )
        self.assertTrue(invoice_gap.can_reimport)
        with trap_jobs() as trap:
            invoice_gap.action_reimport()
            trap.perform_enqueued_jobs()
        again = self.reconcile()
        self.assertNotIn(
            ("invoice_missing", paid["name"]),
            {(line.kind, line.reference) for line in again.line_ids},
        )

    def test_reconciliation_finds_an_amount_changed_in_shopify_after_import(self):
        order = self.place()
        with trap_jobs() as trap:
            self.deliver("orders/create", self.control.rest("orders", order["id"]), "amt-1")
            trap.perform_enqueued_jobs()
        sale = self.sale_of(order["id"])
        imported_total = sale.amount_total
        self.assertAlmostEqual(imported_total, float(order["total_price"]))

        def lines_of(report):
            return report.line_ids.filtered(lambda line: line.reference == order["name"])

        self.assertFalse(lines_of(self.reconcile()))
        # the merchant edits the order in Shopify (one shirt instead of two); Odoo never hears
        edited = self.control.edit_order(order["id"], 1, sku="TSHIRT-BLUE-M")
        # Shopify keeps total_price on an edit; the current total says what the order is now.
        self.assertLess(float(edited["current_total_price"]), imported_total)
        (line,) = lines_of(self.reconcile())
        self.assertEqual(
            (line.kind, line.expected, float(line.found), line.res_id),
            ("amount", edited["current_total_price"], imported_total, sale.id),
        )
        self.assertFalse(line.can_reimport, "a confirmed order's lines are fixed by hand")
        self.assertIn("Fix it by hand", line.event_id.error_message)

    def test_setup_checklist_follows_the_onboarding(self):
        backend = self.create_backend(name="Fresh shop")
        self.assertFalse(backend.setup_complete)
        self.assertIn("Click Test Connection", backend.setup_checklist)
        backend.action_shopify_test_connection()
        backend.invalidate_recordset()
        self.assertNotIn("Click Test Connection", backend.setup_checklist)
        self.assertIn("Click Import Locations", backend.setup_checklist)

    def test_catch_up_reads_orders_with_many_lines_within_the_cost_cap(self):
        skus = [f"TSHIRT-{color}-{size}" for color in ("BLUE", "WHITE") for size in "SML"]
        for sku in skus:
            if not self.env["product.product"].search([("default_code", "=", sku)]):
                self.env["product.product"].create(
                    {
                        "name": sku,
                        "default_code": sku,
                        "invoice_policy": "order",
                        "taxes_id": [(5, 0, 0)],
                    }
                )
        order = self.place([{"sku": sku, "quantity": 1} for sku in skus])
        with trap_jobs() as trap:
            self.backend._catch_up()
            trap.perform_enqueued_jobs()
        sale = self.sale_of(order["id"])
        products = sale.order_line.mapped("product_id.default_code")
        self.assertEqual(
            sorted(p for p in products if p in skus),
            sorted(skus),
            "all 6 lines, the 6th read from a second page",
        )
