import random
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .. import compat
from ..engine import circuit
from ..errors import AuthError, TransientError
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestCircuitBreaker(RetailCase):
    def setUp(self):
        super().setUp()
        # The probe's claim and outcome are committed on cursors of their own: in test mode
        # they run on the test's transaction, which holds the uncommitted backend.
        compat.registry_test_mode(self)

    def test_pure_transitions(self):
        now = fields.Datetime.now()
        self.assertEqual(circuit.after_failure("closed", 0, 3, "transient"), ("closed", 1))
        self.assertEqual(circuit.after_failure("closed", 2, 3, "transient"), ("open", 3))
        self.assertEqual(circuit.after_failure("closed", 0, 3, "auth"), ("open", 1))
        self.assertEqual(circuit.after_failure("half_open", 0, 3, "transient"), ("open", 1))
        self.assertEqual(circuit.parked_wait("closed", None, 60, now), 0)
        self.assertEqual(circuit.parked_wait("open", now, 60, now), 60)
        self.assertEqual(circuit.parked_wait("open", now - timedelta(seconds=61), 60, now), 1)
        self.assertEqual(circuit.parked_wait("half_open", now, 60, now), 60)

    def test_jitter_only_adds_and_spreads(self):
        rng = random.Random(7)
        delays = [circuit.jittered(100, spread=0.2, rng=rng) for _i in range(50)]
        self.assertTrue(all(100 <= delay <= 120 for delay in delays), delays)
        self.assertGreater(len(set(delays)), 5, "retries of many workers do not coincide")
        self.assertEqual(circuit.jittered(0), 0)

    def _open(self):
        for _attempt in range(3):
            self.backend._circuit_record_failure(TransientError("HTTP 503"))
        self.assertEqual(self.backend.circuit_state, "open")

    def _jobs(self):
        return self.env["queue.job"].search(
            [("retail_backend_id", "=", self.backend.id)], order="id"
        )

    def test_open_circuit_parks_events_without_a_job_each(self):
        self._open()
        self.assertGreater(self.backend._circuit_check(), 0)
        self.assertEqual(len(self._jobs()), 1, "one resume job holds the place")
        events = self.env["retail.event"]
        for index in range(25):
            payload = self.customer_payload(external_id=f"C-{index}")
            events |= self.store(payload, key=f"e{index}")[0]
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertTrue(all(events.mapped("parked")))
        self.assertFalse(any(events.mapped("job_uuid")))
        self.assertEqual(len(self._jobs()), 1, "25 events waiting add no job")
        (resume,) = self._jobs()
        self.assertEqual(resume.method_name, "_circuit_resume")
        self.assertGreater(resume.eta, fields.Datetime.now() + timedelta(seconds=50))

        # A manual retry while the circuit is open leaves the event parked, without a job.
        events[:3].action_retry()
        self.assertEqual(len(self._jobs()), 1)

    def test_probe_closes_and_parked_events_flow_in_received_order(self):
        self._open()
        events = self.env["retail.event"]
        for index in range(5):
            payload = self.customer_payload(external_id=f"C-{index}")
            events |= self.store(payload, key=f"e{index}")[0]
        self.backend.circuit_opened_at = fields.Datetime.now() - timedelta(seconds=61)
        self.env.flush_all()
        with trap_jobs() as trap:
            self.env["retail.backend"]._cron_circuit_probe()
            self.assertEqual(self.backend.circuit_state, "closed")
            self.assertEqual(self.backend.circuit_failure_count, 0)
            # one drain job for the backend, not one job per released event
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].method_name, "_drain_events")
            self.assertEqual(trap.enqueued_jobs[0].recordset, self.backend)
            self.assertFalse(any(events.mapped("parked")))
            trap.perform_enqueued_jobs()
        events.invalidate_recordset()
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(
            events.sorted("started_ms").ids, sorted(events.ids), "imported in the order received"
        )
        self.assertTrue(self.backend.last_success_at)

    def test_probe_not_due_before_the_cooldown(self):
        self._open()
        self.env.flush_all()
        self.assertEqual(self.backend._circuit_probe_once(), "busy")
        self.assertEqual(self.backend.circuit_state, "open")
        with trap_jobs() as trap:
            self.env["retail.backend"]._cron_circuit_probe()
            trap.assert_jobs_count(0)
        self.assertEqual(self.backend.circuit_state, "open")

    def test_half_open_failure_reopens(self):
        backend = self.backend
        backend.write(
            {
                "circuit_state": "open",
                "circuit_opened_at": fields.Datetime.now() - timedelta(seconds=120),
            }
        )
        self.env.flush_all()
        self.assertTrue(backend._circuit_claim_probe())
        self.assertEqual(backend.circuit_state, "half_open")
        self.assertFalse(backend._circuit_claim_probe(), "the probe is taken")
        self.assertGreater(backend._circuit_check(), 0, "half-open lets no ordinary call go")
        backend._circuit_store_probe(TransientError("still down"))
        self.assertEqual(backend.circuit_state, "open")
        self.assertIn("still down", backend.circuit_last_error)
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
        self.env.flush_all()
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
        self.env.cr.execute("SELECT extract(epoch FROM clock_timestamp()) * 1000")
        now_ms = self.env.cr.fetchone()[0]
        for index, (state, duration, attempts) in enumerate(
            [("done", 100, 1), ("done", 300, 2), ("done", 200, 1), ("failed", 0, 3)]
        ):
            event, _created = self.store("{}", key=f"k{index}", topic="order")
            received = now_ms - 60000
            event.with_context(retail_event_internal=True).write(
                {
                    "state": state,
                    "attempts": attempts,
                    "received_ms": received,
                    "done_ms": received + duration if state == "done" else False,
                }
            )
        backend = self.backend
        backend.invalidate_recordset()
        self.assertEqual(backend.dashboard_orders_last_hour, 4)
        self.assertEqual(backend.dashboard_latency_p50, 200)
        self.assertAlmostEqual(backend.dashboard_latency_p95, 290, places=3)  # 200 + .9 × 100
        self.assertEqual(backend.dashboard_retried_today, 2)
        self.assertGreaterEqual(backend.dashboard_sync_lag, 59)
        self.assertTrue(backend.dashboard_needs_person, "a failed event needs a person")

    def test_sub_second_imports_show_their_milliseconds(self):
        events = self.env["retail.event"]
        with trap_jobs() as trap:
            for index in range(6):
                payload = self.customer_payload(
                    external_id=f"F-{index}", email=f"fast{index}@example.com"
                )
                events |= self.store(payload, key=f"fast-{index}")[0]
            trap.perform_enqueued_jobs()
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertTrue(all(events.mapped("received_ms")), "stamped by the database")
        self.assertTrue(all(e.received_ms <= e.started_ms <= e.done_ms for e in events))
        durations = sorted(e.done_ms - e.received_ms for e in events)
        self.assertGreater(durations[0], 0)
        self.assertEqual(events.mapped("duration_ms"), [round(d) for d in (
            e.done_ms - e.received_ms for e in events)])
        # The same percentiles, counted here from the rows (linear interpolation).
        expected_p50 = (durations[2] + durations[3]) / 2
        expected_p95 = durations[4] + 0.75 * (durations[5] - durations[4])
        backend = self.backend
        backend.invalidate_recordset()
        self.assertGreater(backend.dashboard_latency_p50, 0, "sub-second is not 0 ms")
        # shown to a tenth of a millisecond
        self.assertAlmostEqual(backend.dashboard_latency_p50, expected_p50, delta=0.051)
        self.assertAlmostEqual(backend.dashboard_latency_p95, expected_p95, delta=0.051)

    def test_smart_button_lookup_has_an_index(self):
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'retail_event' "
            "AND indexname = 'retail_event_res_idx'"
        )
        (definition,) = self.env.cr.fetchone()
        self.assertIn("(res_model, res_id)", definition)

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
