from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from ..engine.intake import poll_into_inbox
from .common import CommittedBackendMixin

RECORDS = [(f"C-{n}", f"2026-01-01T10:0{n}:00Z", {"n": n}) for n in range(1, 6)]


@tagged("post_install", "-at_install")
class TestPollCommitted(CommittedBackendMixin, TransactionCase):
    """The catch-up poll, on a cursor of its own as in a job: nothing of Odoo held open while
    the channel answers (claim, commit, call, record). These tests commit on their own
    cursors and clean up what they committed."""

    def setUp(self):
        super().setUp()
        self.commit_backend({"name": "Poll backend", "backend_type": "generic"})

    def committed(self, model, field, domain=(), link="backend_id"):
        """``field`` of the committed records of ``model`` of the backend."""
        with self.registry.cursor() as cr:
            records = api.Environment(cr, SUPERUSER_ID, {})[model].search(
                [(link, "=", self.backend_id), *domain])
            return [record[field] for record in records]

    def checkpoint_at(self):
        found = self.committed("retail.checkpoint", "last_sync_at", [("flow", "=", "customers")])
        return str(found[0]) if found and found[0] else None

    def stored_ids(self):
        return sorted(self.committed("retail.event", "external_id"))

    def poll(self, fetch, batch):
        with self.registry.cursor() as cr:
            backend = api.Environment(cr, SUPERUSER_ID, {})["retail.backend"].browse(
                self.backend_id)
            calls = []

            def call(yielded):
                """What the poll holds when it reads the channel again: the job's own
                transaction wrote nothing (no transaction id), and the records of every
                full batch are committed with the checkpoint, seen from another
                connection."""
                cr.execute("SELECT txid_current_if_assigned()")
                calls.append((yielded, cr.fetchone()[0], self.stored_ids(), self.checkpoint_at()))

            count = poll_into_inbox(backend, "customers", "customer",
                                    lambda since: fetch(since, call), batch=batch)
            return count, calls

    def test_the_poll_stores_each_batch_before_reading_on(self):
        def fetch(since, call):
            for index, record in enumerate(RECORDS):
                call(index)
                yield record

        count, calls = self.poll(fetch, batch=2)
        self.assertEqual(count, 5)
        ids = [record[0] for record in RECORDS]
        at = [None, None, "2026-01-01 10:02:00", "2026-01-01 10:02:00", "2026-01-01 10:04:00"]
        self.assertEqual(
            calls, [(n, None, sorted(ids[: n - n % 2]), at[n]) for n in range(5)])
        self.assertEqual(self.stored_ids(), sorted(ids))
        self.assertGreater(self.checkpoint_at(), "2026-01-01 10:05:00",
                           "a run read to its end advances to the time it started")
        drains = self.committed("queue.job", "state", [("method_name", "=", "_drain_events")],
                                link="retail_backend_id")
        self.assertEqual(drains, ["pending"], "one drain for every batch's events")

    def test_an_error_keeps_the_batches_stored_before_it(self):
        def fetch(since, call):
            yield from RECORDS[:3]
            call(3)
            raise ValueError("the channel answered something unreadable")

        with self.assertRaises(ValueError):
            self.poll(fetch, batch=2)
        self.assertEqual(self.stored_ids(), ["C-1", "C-2"])
        self.assertEqual(self.checkpoint_at(), "2026-01-01 10:02:00")

    def test_the_checkpoint_never_moves_back(self):
        def fetch(since, call):
            for index, record in enumerate(RECORDS):
                call(index)
                yield record

        self.poll(fetch, batch=2)
        first = self.checkpoint_at()
        # a second run reads the same records (its overlap window) and stores none again
        _count, calls = self.poll(fetch, batch=2)
        self.assertEqual({call[3] for call in calls}, {first})
        self.assertGreaterEqual(self.checkpoint_at(), first)
        self.assertEqual(len(self.stored_ids()), 5, "each version stored once")
