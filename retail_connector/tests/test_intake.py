from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine.intake import hmac_matches, poll_into_inbox
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestIntake(RetailCase):
    def test_duplicate_intake_stores_one_event_and_one_job(self):
        payload = self.customer_payload()
        with trap_jobs() as trap:
            first, created_first = self.store(payload, key="webhook-1")
            again, created_again = self.store(payload, key="webhook-1")
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].method_name, "_process_job")
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
            trap.assert_jobs_count(2)
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
