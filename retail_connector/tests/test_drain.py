from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine.locks import lock_key
from ..errors import TransientError
from ..models.retail_backend_drain import SCHEDULED
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestDrain(RetailCase):
    """One drain job per backend imports its queued events, each on its own."""

    def store_many(self, countries):
        events = self.env["retail.event"]
        for index, country in enumerate(countries):
            payload = self.customer_payload(
                f"D-{index}", email=f"drain{index}@example.com", country=country
            )
            events |= self.store(payload, key=f"drain-{index}")[0]
        return events

    def test_events_are_imported_in_order_and_a_failure_blocks_no_other(self):
        with trap_jobs() as trap:
            events = self.store_many(["GB", "XX", "FR", "XX", "DE"])
            trap.assert_jobs_count(1)
            (drain,) = trap.enqueued_jobs
            trap.perform_enqueued_jobs()
            trap.assert_jobs_count(0)  # nothing left over, no job per event
        self.assertEqual(drain.result, "inbox drained: 3 done, 2 failed")
        self.assertEqual(events.mapped("state"), ["done", "failed", "done", "failed", "done"])
        self.assertIn("Unknown country code 'XX'", events[1].error_message)
        self.assertEqual(events.sorted("started_ms").ids, events.ids, "in the order received")
        self.assertEqual(set(events.mapped("attempts")), {1})

    def test_retries_wait_for_one_retry_drain_brought_forward_when_needed(self):
        Job = self.env["queue.job"]
        retry_drains = [("identity_key", "=", f"retail-drain-{self.backend.id}-retry")]
        events = self.store_many(["GB", "FR", "DE"])
        events[0]._enqueue(delay=120)
        events[1]._enqueue(delay=300)
        (retry,) = Job.search(retry_drains)
        self.assertEqual(retry.eta, events[0].next_retry_at, "a later retry adds no job")
        events[2]._enqueue(delay=10)
        self.assertEqual(Job.search(retry_drains), retry, "still one retry drain")
        self.assertEqual(retry.eta, events[2].next_retry_at, "brought forward to the earliest")
        self.assertFalse(any(events.mapped("job_uuid")))
        # the drain takes only the events that are due
        events[2].next_retry_at = fields.Datetime.now()
        with trap_jobs():
            self.assertEqual(self.backend._drain_events(), "inbox drained: 1 done")
        self.assertEqual(events.mapped("state"), ["queued", "queued", "done"])

    def test_open_circuit_parks_the_queue_and_runs_nothing(self):
        with trap_jobs() as trap:
            events = self.store_many(["GB", "FR", "DE"])
            for _attempt in range(3):
                self.backend._circuit_record_failure(TransientError("HTTP 503"))
            self.assertEqual(self.backend.circuit_state, "open")
            trap.enqueued_jobs.clear()
            report = self.backend._drain_events()
            self.assertEqual(report, "circuit open: 3 event(s) parked: no event")
            self.assertEqual(
                [job.method_name for job in trap.enqueued_jobs], ["_circuit_resume"],
                "the resume job holds their place; no drain, no job per event",
            )
            self.assertEqual(set(events.mapped("attempts")), {0}, "no call was attempted")
            self.assertTrue(all(events.mapped("parked")))
            # more webhooks while it is open: parked at once, no job
            later = self.store(self.customer_payload("D-9"), key="drain-9")[0]
            self.assertTrue(later.parked)
            self.assertEqual(len(trap.enqueued_jobs), 1)

    def test_an_event_another_drain_holds_is_left_to_it(self):
        with trap_jobs():
            events = self.store_many(["GB", "FR"])
        other = self.registry.cursor()  # another drain, importing the first event
        self.addCleanup(other.close)
        self.addCleanup(other.execute, "SELECT pg_advisory_unlock_all()")
        key = lock_key(self.backend.id, "retail.event.drain", events[0].id)
        other.execute("SELECT pg_advisory_lock(%s)", (key,))
        with trap_jobs():
            self.assertEqual(self.backend._drain_events(), "inbox drained: 1 done, 1 skipped")
        self.assertEqual(events.mapped("state"), ["queued", "done"])

    def test_the_cron_hands_stranded_events_to_a_new_drain(self):
        with trap_jobs() as trap:
            events = self.store_many(["GB"])
            trap.enqueued_jobs.clear()  # as if the drain died with its transaction
            # the cron runs in a transaction of its own, which has scheduled nothing yet
            self.env.cr.precommit.data.pop(SCHEDULED, None)
            self.env["retail.backend"]._cron_drain_stranded()
            trap.assert_jobs_count(0)  # fresh events: left to the drain scheduled with them
            events.write({"received_at": fields.Datetime.now() - timedelta(minutes=5)})
            self.env["retail.backend"]._cron_drain_stranded()
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(events.state, "done")
