"""An event job holds no row while it waits on Shopify (claim, commit, call, record).

The first test commits on cursors of its own (a second, real transaction is the point) and
archives its backend at the end; the second runs in the test's transaction.
"""

import itertools
import json
import threading

from odoo import SUPERUSER_ID
from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from .common import LOCK_TIMEOUT, CommittedShopifyMixin, ShopifyCase

_SEQUENCE = itertools.count(1)


@tagged("post_install", "-at_install")
class TestImportJobHoldsNoLock(CommittedShopifyMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        sku = f"NOLOCK-IN-{next(_SEQUENCE)}"
        self.control.seed({"products": [{"title": sku, "variants": [
            {"sku": sku, "price": "12.00"}]}]})
        with self.registry.cursor() as cr:
            env = self.committed_env(cr, tracking_disable=True)
            euro = env.ref("base.EUR")
            self.euro_was_active = euro.active
            euro.active = True  # the sandbox shop's currency
            backend = self.create_committed_backend(env, f"No-lock imports {sku}")
            bank = env["account.journal"].search(
                [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1)
            env["retail.value.mapping"].create({
                "backend_id": backend.id, "kind": "gateway", "external_value": "manual",
                "journal_id": bank.id, "payment_workflow": "invoice_pay"})
            env["product.product"].create({
                "name": sku, "default_code": sku, "is_storable": True,
                "invoice_policy": "order", "taxes_id": [(5, 0, 0)]})
            self.backend_id, self.sku = backend.id, sku
        self.archive_at_end()

    def archive_committed(self, env):
        super().archive_committed(env)
        if not self.euro_was_active:
            env.ref("base.EUR").active = False

    def store(self, topic, order_id, key):
        """Store the sandbox's REST body of the order as a webhook would (committed)."""
        payload = self.control.rest("orders", order_id)
        with self.registry.cursor() as cr:
            env = self.committed_env(cr)
            with trap_jobs():
                event, _created = store_event(
                    env["retail.backend"].browse(self.backend_id), topic, json.dumps(payload),
                    f"{key}-{order_id}", external_id=str(order_id))
            return event.id

    def run_job(self, event_id):
        """The event's job on its own cursor, committed like queue_job's runner does."""

        def job(env):
            with trap_jobs():
                return env["retail.event"].browse(event_id)._process_job()

        return self.on_own_cursor(job)

    def read(self, query, params):
        with self.registry.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone()

    def _person_edits(self, event_id, sale_id, job_done):
        """Once the job is in its call step (the sandbox took the latency rule), a person
        assigns the event and edits the order: neither may wait on the job. Returns what
        the person saw."""
        self.wait_for_held_call()
        edits = {"asked": not self.control.faults()}
        if not edits["asked"]:
            return edits
        with self.registry.cursor() as cr:
            cr.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            env = self.committed_env(cr, tracking_disable=True)
            env["retail.event"].browse(event_id).write({"user_id": SUPERUSER_ID})
            env["sale.order"].browse(sale_id).write({"client_order_ref": "PHONED-IN"})
            cr.execute("SELECT id FROM retail_event WHERE id = %s FOR UPDATE NOWAIT",
                       (event_id,))
            cr.execute("SELECT id FROM sale_order WHERE id = %s FOR UPDATE NOWAIT",
                       (sale_id,))
        edits["while_waiting"] = not job_done.is_set()
        return edits

    def test_rows_of_an_import_waiting_on_shopify_are_not_locked(self):
        order = self.control.place_order(
            [{"sku": self.sku, "quantity": 1}], financial_status="pending",
            customer={"email": f"{self.sku.lower()}@example.com", "first_name": "No",
                      "last_name": "Lock"})
        first = self.store("orders/create", order["id"], "create")
        self.assertIn("done", self.run_job(first))
        sale_id = self.read(
            "SELECT odoo_id FROM retail_order_binding WHERE backend_id = %s "
            "AND external_id = %s", (self.backend_id, str(order["id"])))[0]
        self.control.mark_paid(order["id"])
        paid = self.store("orders/paid", order["id"], "paid")
        self.hold_call("OrderTransactions")
        # The job runs in this thread and the person in another: a side thread must not need
        # the registries' lock, which the thread running the tests holds on Odoo 19 (the
        # job's post-commit hooks, e.g. the partner's rank, look the registry up).
        job_done = threading.Event()
        with self.aside(self._person_edits, paid, sale_id, job_done) as person:
            try:
                report = self.run_job(paid)
            finally:
                job_done.set()
        edits = person["result"]
        self.assertTrue(edits.get("asked"), "the job never asked Shopify")
        self.assertTrue(edits.get("while_waiting"), "the edits ran after the job, not during")
        self.assertIn("done", report)
        state, attempts, user_id = self.read(
            "SELECT state, attempts, user_id FROM retail_event WHERE id = %s", (paid,))
        self.assertEqual((state, attempts, user_id), ("done", 1, SUPERUSER_ID))
        reference, invoice_status = self.read(
            "SELECT client_order_ref, invoice_status FROM sale_order WHERE id = %s",
            (sale_id,))
        self.assertEqual(reference, "PHONED-IN", "the person's edit is kept")
        self.assertEqual(invoice_status, "invoiced", "the paid order was booked after the call")


@tagged("post_install", "-at_install")
class TestShipmentRerun(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        cls.shirt = cls.env["product.product"].create({
            "name": "Rerun shirt", "default_code": "TSHIRT-BLUE-M", "is_storable": True,
            "invoice_policy": "order", "taxes_id": [(5, 0, 0)]})
        bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1)
        cls.env["retail.value.mapping"].create({
            "backend_id": cls.backend.id, "kind": "gateway", "external_value": "manual",
            "journal_id": bank.id, "payment_workflow": "invoice_pay"})
        cls.env["stock.quant"]._update_available_quantity(
            cls.shirt, cls.env.ref("stock.stock_location_stock"), 20)

    def shipped_delivery(self):
        """An imported order whose delivery is validated: its shipment event, not run."""
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 2}], financial_status="pending",
            customer={"email": "rerun@example.com", "first_name": "Re", "last_name": "Run"})
        with trap_jobs() as trap:
            event, _created = store_event(
                self.backend, "orders/create", json.dumps(self.control.rest("orders", order["id"])),
                f"rerun-{order['id']}", external_id=str(order["id"]))
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        binding = self.env["retail.order.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", str(order["id"]))])
        delivery = binding.odoo_id.picking_ids
        delivery.action_assign()
        delivery.move_ids.write({"quantity": 2, "picked": True})
        with trap_jobs():
            delivery._action_done()
        shipment = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "shipment"),
             ("res_id", "=", delivery.id)])
        self.assertEqual(len(shipment), 1)
        return order, delivery, shipment

    def fulfillments_of(self, order_id):
        return [f for f in self.control.state("fulfillments")
                if str(f.get("order_id")) == str(order_id)]

    def test_a_crash_between_the_fulfilment_and_its_record_does_not_ship_twice(self):
        order, delivery, shipment = self.shipped_delivery()
        # the call step runs, then the worker dies before the record transaction
        done = self.backend._shopify_shipment_call(shipment)
        self.assertTrue(done["fulfillment_id"])
        self.assertEqual(len(self.fulfillments_of(order["id"])), 1)
        self.assertTrue(shipment.pending_call, "the call was noted before it was sent")
        self.assertFalse(delivery.retail_binding_ids)
        # the rerun adopts what Shopify made instead of sending it again
        with trap_jobs():
            shipment._process_job()
        self.assertEqual(shipment.state, "done", shipment.error_message)
        self.assertEqual(len(self.fulfillments_of(order["id"])), 1)
        self.assertEqual(self.outcomes("FulfillmentCreate"), {"ok": 1})
        self.assertEqual(delivery.retail_binding_ids.external_id, str(done["fulfillment_id"]))
        self.assertFalse(shipment.pending_call)

    def test_a_call_that_never_reached_shopify_is_sent_on_the_rerun(self):
        order, delivery, shipment = self.shipped_delivery()
        self.control.add_fault("http_error", count=1, operation="FulfillmentCreate", status=503)
        with trap_jobs():
            shipment._process_job()
        self.assertEqual(shipment.error_kind, "transient")
        self.assertTrue(shipment.pending_call)
        self.assertEqual(self.fulfillments_of(order["id"]), [])
        with trap_jobs():
            shipment._process_job()
        self.assertEqual(shipment.state, "done", shipment.error_message)
        self.assertEqual(len(self.fulfillments_of(order["id"])), 1)
        self.assertTrue(delivery.retail_binding_ids)
