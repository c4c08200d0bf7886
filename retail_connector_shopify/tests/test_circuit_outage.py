"""Shopify down for several cooldowns while webhooks keep coming: the events wait parked,
one job holds their place, and one drain job imports them in the order received once Shopify
answers."""

import json
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.retail_connector import compat
from odoo.addons.retail_connector.engine.intake import store_event

from .common import ShopifyCase

COOLDOWNS = 4
EVENTS_PER_COOLDOWN = 8


@tagged("post_install", "-at_install")
class TestShopifyOutage(ShopifyCase):
    def setUp(self):
        super().setUp()
        # The probe claims and records on cursors of its own: in test mode they share the
        # test's transaction, which holds the uncommitted backend.
        compat.registry_test_mode(self)
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1}],
            customer={"email": "first@example.com", "first_name": "Ada", "last_name": "First"},
        )
        customer_id = self.control.rest("orders", order["id"])["customer"]["id"]
        self.template = self.control.rest("customers", customer_id)

    def customer_event(self, index):
        payload = dict(
            self.template,
            id=9_000_000 + index,
            email=f"parked{index}@example.com",
            first_name="Parked",
            last_name=f"Customer {index}",
            admin_graphql_api_id=f"gid://shopify/Customer/{9_000_000 + index}",
        )
        event, _created = store_event(
            self.backend, "customers/create", json.dumps(payload), f"outage-{index}",
            external_id=str(payload["id"]),
        )
        return event

    def jobs(self, **domain):
        search = [("retail_backend_id", "=", self.backend.id)]
        search += [(name, "=", value) for name, value in domain.items()]
        return self.env["queue.job"].search(search, order="id")

    def run_job(self, record):
        """Run one stored job as the job runner would (started, performed, then done, or
        postponed as the same job when it raises ``RetryableJobError``)."""
        job = Job.load(self.env, record.uuid)
        job.set_started()
        job.store()
        try:
            job.perform()
        except RetryableJobError as error:
            job.postpone(result=str(error), seconds=error.seconds)
            job.set_pending(reset_retry=False)
            job.store()
            return str(error)
        job.set_done(result=job.result)
        job.store()
        return job.result

    def cooldown_passes(self):
        self.backend.circuit_opened_at = fields.Datetime.now() - timedelta(
            seconds=self.backend.circuit_cooldown + 1
        )
        self.env.flush_all()

    def test_outage_parks_events_and_they_flow_in_order_after_it(self):
        backend = self.backend
        self.control.add_fault("http_error", status=503)
        while backend.circuit_state != "open":
            backend.action_circuit_probe()  # three real failed calls open the circuit
        before = self.jobs()
        events = self.env["retail.event"]
        for cooldown in range(COOLDOWNS):
            for index in range(EVENTS_PER_COOLDOWN):
                events |= self.customer_event(cooldown * EVENTS_PER_COOLDOWN + index)
            self.cooldown_passes()
            (resume,) = self.jobs(state="pending", method_name="_circuit_resume")
            self.assertEqual(self.run_job(resume), "probe: open", "Shopify still answers 503")
            self.assertEqual(backend.circuit_state, "open")
        created = self.jobs() - before
        backlog = COOLDOWNS * EVENTS_PER_COOLDOWN
        # The resume job enqueued when the circuit opened holds the place for the whole
        # outage, whatever the backlog and the cooldowns: it postpones itself (the old ways:
        # one job per event and cooldown, 32 + 3 × 32 here; then one resume job per cooldown).
        self.assertFalse(created, created.mapped("name"))
        self.assertEqual(len(self.jobs(method_name="_circuit_resume")), 1)
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertTrue(all(events.mapped("parked")))
        self.assertEqual(set(events.mapped("attempts")), {0}, "no call was attempted")

        self.control.clear_faults()
        self.cooldown_passes()
        (resume,) = self.jobs(state="pending", method_name="_circuit_resume")
        self.assertEqual(self.run_job(resume), "probe: closed")
        self.assertEqual(backend.circuit_state, "closed")
        # One drain job takes the whole backlog, in the order received.
        (drain,) = self.jobs(state="pending", method_name="_drain_events")
        self.assertFalse(self.jobs(state="pending", method_name="_process_job"))
        self.assertIn(f"{backlog} done", self.run_job(drain))
        events.invalidate_recordset()
        self.assertEqual(
            events.sorted("started_ms").ids, sorted(events.ids), "imported in the order received"
        )
        self.assertEqual(set(events.mapped("state")), {"done"})
        partners = self.env["retail.partner.binding"].search(
            [("backend_id", "=", backend.id), ("external_id", "like", "9000%")]
        )
        self.assertEqual(len(partners), backlog, "every parked customer imported once")

    def test_paid_orders_failing_in_the_drain_open_the_circuit(self):
        """Webhook orders whose call step meets a Shopify answering 503 count towards the
        circuit, whichever drain imports them: at the threshold it opens and the rest wait
        parked, their attempts unspent."""
        backend = self.backend
        events = self.env["retail.event"]
        for index in range(backend.circuit_threshold + 2):
            order = self.control.place_order(
                [{"sku": "TSHIRT-BLUE-M", "quantity": 1}],
                customer={"email": f"down{index}@example.com", "first_name": "Down",
                          "last_name": str(index)},
            )
            self.control.mark_paid(order["id"])
            payload = self.control.rest("orders", order["id"])
            event, _created = store_event(backend, "orders/create", json.dumps(payload),
                                          f"down-{index}", external_id=str(payload["id"]))
            events |= event
        self.control.add_fault("http_error", status=503)
        backend._drain_events()
        events.invalidate_recordset()
        self.assertEqual(backend.circuit_state, "open", backend.circuit_last_error)
        self.assertEqual(backend.circuit_failure_count, backend.circuit_threshold)
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertEqual(sum(events.mapped("attempts")), backend.circuit_threshold,
                         "the events after the opening were parked, not tried")

