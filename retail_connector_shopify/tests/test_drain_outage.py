"""Shopify answering 503 while the drain imports webhook orders, on committed cursors as in
production: the failures count towards the circuit, which opens at its threshold."""

import itertools
import json

from odoo.tests import TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from .common import CommittedShopifyMixin

_SEQUENCE = itertools.count(1)


@tagged("post_install", "-at_install")
class TestDrainOutageCommitted(CommittedShopifyMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = self.committed_env(cr, tracking_disable=True)
            backend = self.create_committed_backend(env, f"Drain outage {next(_SEQUENCE)}")
            self.backend_id, self.threshold = backend.id, backend.circuit_threshold
        self.archive_at_end()

    def store_paid_order(self, index):
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1}],
            customer={"email": f"down{index}@example.com", "first_name": "Down",
                      "last_name": str(index)},
        )
        self.control.mark_paid(order["id"])
        payload = self.control.rest("orders", order["id"])
        with self.registry.cursor() as cr:
            env = self.committed_env(cr)
            with trap_jobs():
                event, _created = store_event(
                    env["retail.backend"].browse(self.backend_id), "orders/create",
                    json.dumps(payload), f"down-{self.backend_id}-{index}",
                    external_id=str(payload["id"]))
            return event.id

    def read_backend(self, *names):
        with self.registry.cursor() as cr:
            backend = self.committed_env(cr)["retail.backend"].browse(self.backend_id)
            return [backend[name] for name in names]

    def test_failed_calls_in_the_drain_open_the_circuit(self):
        event_ids = [self.store_paid_order(index) for index in range(self.threshold + 2)]
        self.control.add_fault("http_error", status=503)

        def drain(env):
            with trap_jobs():
                backend = env["retail.backend"].browse(self.backend_id)
                return backend._as_integration_user()._drain_events()  # as its job runs

        report = self.on_own_cursor(drain)
        state, count, error = self.read_backend(
            "circuit_state", "circuit_failure_count", "circuit_last_error")
        self.assertEqual((state, count), ("open", self.threshold), (report, error))
        with self.registry.cursor() as cr:
            events = self.committed_env(cr)["retail.event"].browse(event_ids)
            self.assertEqual(sum(events.mapped("attempts")), self.threshold,
                             "the events after the opening were parked, not tried")
