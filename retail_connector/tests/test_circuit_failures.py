import threading
from concurrent.futures import ThreadPoolExecutor

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from .. import compat
from ..errors import TransientError


@tagged("post_install", "-at_install")
class TestConcurrentFailures(TransactionCase):
    """Two jobs (one per worker) fail at the same moment: both failures count, so the circuit
    opens at its threshold and not after twice as many failures (each a job enqueued more).
    Commits on its own cursors and cleans up."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.backend_id = (
                env["retail.backend"]
                .create({"name": "Failure race backend", "backend_type": "generic",
                         "circuit_threshold": 2, "circuit_cooldown": 60})
                .id
            )
            # Jobs run as the user who enqueued them, in superuser mode: one without any
            # connector group here, so that the counting cursor must keep that mode.
            self.user_id = env["res.users"].create({
                "name": "Circuit race job user", "login": "circuit-race-job-user",
                compat.USER_GROUPS: [(6, 0, [env.ref("base.group_user").id])],
            }).id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["queue.job"].search([("retail_backend_id", "=", self.backend_id)]).unlink()
            env["mail.message"].search(
                [("model", "=", "retail.backend"), ("res_id", "=", self.backend_id)]).unlink()
            env["retail.backend"].browse(self.backend_id).unlink()
            env["res.users"].browse(self.user_id).unlink()

    def _read(self, field):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["retail.backend"].browse(self.backend_id)[field]

    def test_two_failures_at_once_count_two_and_open_once(self):
        barrier = threading.Barrier(2)
        cursors = [self.registry.cursor(), self.registry.cursor(), self.registry.cursor()]
        backends = [
            api.Environment(cr, self.user_id, {}, su=True)["retail.backend"].browse(
                self.backend_id)
            for cr in cursors
        ]
        for backend in backends:  # read first, as a job would: all saw no failure yet
            self.assertEqual(backend.circuit_failure_count, 0)
        late = backends.pop()  # a third job, parking its event after the opening

        def fail(backend):
            barrier.wait(timeout=30)
            backend._circuit_record_failure(TransientError("Shopify: HTTP 503"))
            return backend.circuit_state, backend.circuit_failure_count

        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                seen = sorted(pool.map(fail, backends), key=lambda pair: pair[1])
            # its snapshot predates the opening: the resume job is found on a fresh cursor
            self.assertFalse(late._circuit_schedule_resume())
            for cr in cursors:
                cr.commit()
        finally:
            for cr in cursors:
                cr.close()
        # Each job sees what it committed: the second failure opened the circuit.
        self.assertEqual(seen, [("closed", 1), ("open", 2)])
        self.assertEqual(self._read("circuit_failure_count"), 2)
        self.assertEqual(self._read("circuit_state"), "open")
        self.assertTrue(self._read("circuit_opened_at"))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            opened = env["mail.message"].search_count(
                [("model", "=", "retail.backend"), ("res_id", "=", self.backend_id),
                 ("body", "ilike", "opened")])
            resume = env["queue.job"].search_count(
                [("retail_backend_id", "=", self.backend_id),
                 ("method_name", "=", "_circuit_resume")])
        self.assertEqual((opened, resume), (1, 1))
