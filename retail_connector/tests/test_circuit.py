from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine import circuit
from ..errors import AuthError, TransientError
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestCircuitBreaker(RetailCase):
    def test_pure_transitions(self):
        now = fields.Datetime.now()
        self.assertEqual(circuit.after_failure("closed", 0, 3, "transient"), ("closed", 1))
        self.assertEqual(circuit.after_failure("closed", 2, 3, "transient"), ("open", 3))
        self.assertEqual(circuit.after_failure("closed", 0, 3, "auth"), ("open", 1))
        self.assertEqual(circuit.after_failure("half_open", 0, 3, "transient"), ("open", 1))
        self.assertEqual(circuit.allows_call("open", now, 60, now)[:2], (False, "open"))
        self.assertEqual(
            circuit.allows_call("open", now - timedelta(seconds=61), 60, now),
            (True, "half_open", 0),
        )

    def test_consecutive_failures_open_then_probe_closes(self):
        backend = self.backend
        for _attempt in range(2):
            backend._circuit_record_failure(TransientError("HTTP 503"))
        self.assertEqual(backend.circuit_state, "closed")
        backend._circuit_record_failure(TransientError("HTTP 503"))
        self.assertEqual(backend.circuit_state, "open")
        self.assertEqual(backend.circuit_last_error, "HTTP 503")
        self.assertGreater(backend._circuit_check(), 0)

        # Jobs wait while the circuit is open: the event is postponed, not attempted.
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload())
            trap.perform_enqueued_jobs()
            self.assertEqual(event.state, "queued")
            self.assertEqual(event.attempts, 0)
            trap.assert_jobs_count(1)
            self.assertGreater(
                trap.enqueued_jobs[0].eta, fields.Datetime.now() + timedelta(seconds=30)
            )

            # After the cooldown the next call is a probe; its success closes the circuit.
            backend.circuit_opened_at = fields.Datetime.now() - timedelta(seconds=61)
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(backend.circuit_state, "closed")
        self.assertEqual(backend.circuit_failure_count, 0)
        self.assertTrue(backend.last_success_at)

    def test_half_open_failure_reopens(self):
        backend = self.backend
        backend.write(
            {
                "circuit_state": "open",
                "circuit_opened_at": fields.Datetime.now() - timedelta(seconds=120),
            }
        )
        self.assertEqual(backend._circuit_check(), 0)
        self.assertEqual(backend.circuit_state, "half_open")
        backend._circuit_record_failure(TransientError("still down"))
        self.assertEqual(backend.circuit_state, "open")
        self.assertGreater(backend._circuit_check(), 0)

    def test_auth_error_opens_at_once_and_posts_a_message(self):
        messages_before = len(self.backend.message_ids)
        outcome, error = self.backend._call_guarded(self._raise_auth)
        self.assertEqual(outcome, "auth")
        self.assertIsInstance(error, AuthError)
        self.assertEqual(self.backend.circuit_state, "open")
        self.assertGreater(len(self.backend.message_ids), messages_before)
        self.backend.action_circuit_reset()
        self.assertEqual(self.backend.circuit_state, "closed")

    def test_cron_probe_closes_when_channel_answers(self):
        self.backend.write(
            {
                "circuit_state": "open",
                "circuit_opened_at": fields.Datetime.now() - timedelta(seconds=120),
            }
        )
        self.env["retail.backend"]._cron_circuit_probe()
        self.assertEqual(self.backend.circuit_state, "closed")

    @staticmethod
    def _raise_auth():
        raise AuthError("401 Unauthorized: invalid access token")


@tagged("post_install", "-at_install")
class TestAlerts(RetailCase):
    def _todos(self):
        return self.backend.activity_ids.mapped("summary")

    def test_circuit_opening_schedules_one_activity(self):
        self.backend._circuit_record_failure(AuthError("401"))
        self.backend.action_circuit_reset()
        self.backend._circuit_record_failure(AuthError("401 again"))
        self.assertEqual(self._todos(), ["[circuit] Generic test backend"])
        self.assertEqual(self.backend.activity_ids.user_id, self.backend.user_id)

    def test_failed_events_and_silence(self):
        self.backend.write({"alert_failed_threshold": 1, "alert_silence_minutes": 30})
        for index in range(2):
            event, _created = self.store("{}", key=f"bad-{index}", topic="nope")
            event._mark_failed("data", "broken")
        self.env["retail.backend"]._cron_health_alerts()
        self.assertEqual(self._todos(), ["[failed events] Generic test backend"])
        self.env["retail.event"].search([("backend_id", "=", self.backend.id)]).write(
            {"received_at": fields.Datetime.now() - timedelta(hours=2)}
        )
        self.backend.invalidate_recordset()
        self.env["retail.backend"]._cron_health_alerts()
        self.assertIn("[silence] Generic test backend", self._todos())
        self.assertEqual(len(self._todos()), 2)


@tagged("post_install", "-at_install")
class TestDashboard(RetailCase):
    def test_figures_come_from_known_events(self):
        now = fields.Datetime.now()
        for index, (state, duration, attempts) in enumerate(
            [("done", 100, 1), ("done", 300, 2), ("done", 200, 1), ("failed", 0, 3)]
        ):
            event, _created = self.store("{}", key=f"k{index}", topic="order")
            event.with_context(retail_event_internal=True).write(
                {
                    "state": state,
                    "attempts": attempts,
                    "received_at": now - timedelta(seconds=60),
                    "done_at": now - timedelta(seconds=60) + timedelta(milliseconds=duration)
                    if state == "done"
                    else False,
                }
            )
        backend = self.backend
        backend.invalidate_recordset()
        self.assertEqual(backend.dashboard_orders_last_hour, 4)
        self.assertEqual(backend.dashboard_latency_p50, 200)
        self.assertEqual(backend.dashboard_retried_today, 2)
        self.assertGreaterEqual(backend.dashboard_sync_lag, 59)
        self.assertTrue(backend.dashboard_needs_person, "a failed event needs a person")

    def test_stock_export_latency_comes_from_the_stock_jobs(self):
        now = fields.Datetime.now()
        for seconds in (0.4, 1.2, 0.8):
            self.backend._schedule_export("stock")
            job = self.env["queue.job"].search(
                [("retail_backend_id", "=", self.backend.id), ("state", "=", "pending")], limit=1
            )
            # As the runner would leave it (queue_job forbids writing these through the ORM).
            self.env.cr.execute(
                "UPDATE queue_job SET state = 'done', date_created = %s, date_done = %s "
                "WHERE id = %s",
                (now - timedelta(seconds=seconds), now, job.id),
            )
            job.invalidate_recordset()
        self.backend._schedule_export("products")  # another flow: not counted
        self.backend.invalidate_recordset()
        self.assertEqual(self.backend.dashboard_stock_latency_p50, 800)


@tagged("post_install", "-at_install")
class TestSetupChecklist(RetailCase):
    def test_checklist_says_what_is_missing(self):
        backend = self.backend
        self.assertTrue(backend.warehouse_id, "the company's warehouse by default")
        backend.warehouse_id = False
        self.assertFalse(backend.setup_complete)
        self.assertIn("Set the default warehouse", backend.setup_checklist)
        backend.warehouse_id = self.env["stock.warehouse"].search([], limit=1)
        self.env["retail.value.mapping"]._ensure_draft(backend, "tax", "VAT 7%")
        backend.invalidate_recordset()
        self.assertFalse(backend.setup_complete)
        self.assertIn("Complete the draft rows", backend.setup_checklist)
        self.assertNotIn("Set the default warehouse", backend.setup_checklist)
        backend.mapping_ids.tax_id = self.env["account.tax"].create({"name": "T7", "amount": 7})
        backend.invalidate_recordset()
        self.assertTrue(backend.setup_complete)
