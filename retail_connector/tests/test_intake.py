import json

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine.intake import hmac_matches, poll_into_inbox, store_event
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestIntake(RetailCase):
    def test_duplicate_intake_stores_one_event_and_one_job(self):
        payload = self.customer_payload()
        with trap_jobs() as trap:
            first, created_first = self.store(payload, key="webhook-1")
            again, created_again = self.store(payload, key="webhook-1")
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].method_name, "_drain_events")
            self.assertEqual(trap.enqueued_jobs[0].recordset, self.backend)
        self.assertTrue(created_first)
        self.assertFalse(created_again)
        self.assertEqual(first, again)
        self.assertEqual(first.state, "queued")
        events = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 1)

    def test_hmac_accepts_either_secret_and_refuses_tampering(self):
        import base64
        import hashlib
        import hmac

        body = b'{"id": 1}'
        signature = base64.b64encode(hmac.new(b"old", body, hashlib.sha256).digest()).decode()
        self.assertTrue(hmac_matches(body, signature, ("new", "old")))
        self.assertFalse(hmac_matches(body + b" ", signature, ("new", "old")))
        self.assertFalse(hmac_matches(body, signature, ("new", None)))
        self.assertFalse(hmac_matches(body, "", ("old",)))

    def test_poll_stores_each_version_once_and_advances_checkpoint(self):
        records = [
            ("C-1", "2026-01-01T10:00:00Z", {"n": 1}),
            ("C-2", "2026-01-01T10:05:00Z", {"n": 2}),
        ]
        seen_since = []

        def fetch(since):
            seen_since.append(since)
            return records

        with trap_jobs() as trap:
            self.assertEqual(poll_into_inbox(self.backend, "customers", "customer", fetch), 2)
            self.assertEqual(poll_into_inbox(self.backend, "customers", "customer", fetch), 2)
            trap.assert_jobs_count(1)  # the backend's drain, for both new events
        checkpoint = self.env["retail.checkpoint"]._for(self.backend, "customers")
        self.assertTrue(checkpoint.last_sync_at)
        self.assertIsNone(seen_since[0])
        self.assertLess(seen_since[1], checkpoint.last_sync_at)
        events = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(sorted(events.mapped("external_id")), ["C-1", "C-2"])

    def test_a_poll_interrupted_by_the_channel_keeps_what_it_read(self):
        from ..errors import TransientError

        def fetch(since):
            yield "C-1", "2026-01-01T10:00:00Z", {"n": 1}
            yield "C-2", "2026-01-01T10:05:00Z", {"n": 2}
            raise TransientError("HTTP 503 from the channel")

        with trap_jobs():
            self.assertEqual(poll_into_inbox(self.backend, "customers", "customer", fetch), 2)
        checkpoint = self.env["retail.checkpoint"]._for(self.backend, "customers")
        self.assertEqual(str(checkpoint.last_sync_at), "2026-01-01 10:05:00")
        events = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(events), 2)

        def failing(since):
            raise TransientError("HTTP 503 from the channel")
            yield  # pragma: no cover - a generator that fails at once

        with self.assertRaises(TransientError):
            poll_into_inbox(self.backend, "customers", "customer", failing)

    def test_stored_row_is_the_one_the_orm_would_create(self):
        other_company = self.env["res.company"].create({"name": "Other retail company"})
        other = self.env["retail.backend"].create(
            {"name": "Other company backend", "backend_type": "generic",
             "company_id": other_company.id}
        )
        with trap_jobs():
            event, created = self.store(self.customer_payload(), key="row-1")
            twin, twin_created = store_event(other, "customer", "{}", "row-1")
        self.assertTrue(created and twin_created, "the key is unique per backend, not overall")
        self.assertNotEqual(event, twin)
        self.assertEqual(twin.company_id, other_company, "the company of its backend")
        self.assertEqual((event.company_id, event.backend_type), (self.env.company, "generic"))
        self.assertEqual(
            (event.direction, event.topic, event.external_id), ("in", "customer", "row-1")
        )
        self.assertEqual((event.state, event.attempts, event.duration_ms), ("queued", 0, 0))
        self.assertFalse(event.parked or event.job_uuid)
        self.assertEqual(event.create_uid, self.env.user)
        self.assertTrue(event.received_at and event.create_date)
        self.assertGreater(event.received_ms, 0, "the database's clock, the column's default")
        self.assertEqual(json.loads(event.payload)["external_id"], "C-1")
        self.assertEqual(event.display_name, "Generic test backend customer row-1")
        # the ORM sees it as one of its own: found by its key, and still unique by it
        found = self.env["retail.event"].search([("idempotency_key", "=", "row-1"),
                                                 ("backend_id", "=", self.backend.id)])
        self.assertEqual(found, event)
        again, created_again = self.store("{}", key="row-1")
        self.assertEqual((again, created_again), (event, False))
        self.assertEqual(json.loads(again.payload)["external_id"], "C-1", "the first one kept")

    def test_a_burst_of_deliveries_adds_one_job_row(self):
        Job = self.env["queue.job"]
        drains = [
            ("retail_backend_id", "=", self.backend.id), ("method_name", "=", "_drain_events")
        ]
        events = self.env["retail.event"]
        for index in range(30):
            events |= self.store(self.customer_payload(f"B-{index}"), key=f"burst-{index}")[0]
        self.assertEqual(Job.search_count(drains), 1, "a pending drain absorbs the others")
        self.assertEqual(Job.search_count([("retail_backend_id", "=", self.backend.id)]), 1)
        self.assertEqual(set(events.mapped("state")), {"queued"})
        self.assertFalse(any(events.mapped("job_uuid")))
