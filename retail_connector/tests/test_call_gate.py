from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import RetailCase


@tagged("post_install", "-at_install")
class TestCallGate(RetailCase):
    """The checks before a channel call (``retail.backend._call_gate``), as each job reports
    them: archived backend, then circuit not closed (parked), then quota pause (postponed)."""

    def setUp(self):
        super().setUp()
        with trap_jobs():
            self.event = self.store(self.customer_payload(), key="gate-1")[0]

    def open_circuit(self):
        self.backend.write({"circuit_state": "open", "circuit_opened_at": fields.Datetime.now()})

    def test_an_archived_backend_stops_before_the_circuit_is_asked(self):
        self.open_circuit()
        self.backend.active = False
        with trap_jobs() as trap:
            self.assertEqual(
                self.event._process_job(),
                "backend Generic test backend is archived: event left queued",
            )
            self.assertEqual(
                self.backend._export_flow("stock"),
                "backend Generic test backend is archived: nothing exported",
            )
            trap.assert_jobs_count(0)
        self.assertFalse(self.event.parked)

    def test_an_open_circuit_parks_and_the_resume_job_holds_the_place(self):
        self.open_circuit()
        with trap_jobs() as trap:
            self.assertEqual(
                self.event._process_job(), "circuit open: event parked until the circuit closes"
            )
            self.assertEqual(
                self.backend._export_flow("stock"),
                "circuit open: export parked until the circuit closes",
            )
            self.assertEqual({job.method_name for job in trap.enqueued_jobs}, {"_circuit_resume"})
        self.assertTrue(self.event.parked)
        self.assertEqual(self.event.attempts, 0)

    def test_a_quota_pause_postpones_each_job(self):
        self.backend.paused_until = fields.Datetime.now() + timedelta(seconds=600)
        with trap_jobs() as trap:
            self.assertRegex(self.event._process_job(), r"^paused: postponed by \d+(\.\d+)?s$")
            self.assertTrue(self.event.next_retry_at)
            self.assertRegex(
                self.backend._export_flow("stock"),
                r"^paused: export postponed by \d+(\.\d+)?s$",
            )
            self.assertIn("_export_flow", {job.method_name for job in trap.enqueued_jobs})
            self.event.next_retry_at = False  # due again: the drain takes it, and stops
            self.assertRegex(
                self.backend._drain_events(), r"^paused: drain postponed by \d+(\.\d+)?s: no event$"
            )
        self.assertEqual(self.event.state, "queued")
        self.assertEqual(self.event.attempts, 0)
