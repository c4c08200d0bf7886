from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from .. import compat
from ..errors import TransientError
from .common import CommittedBackendMixin


@tagged("post_install", "-at_install")
class TestConcurrentFailures(CommittedBackendMixin, TransactionCase):
    """Two jobs (one per worker) fail at the same moment: both failures count, so the circuit
    opens at its threshold and not after twice as many failures (each a job enqueued more).
    Commits on its own cursors and cleans up."""

    def setUp(self):
        super().setUp()
        self.commit_backend(
            {"name": "Failure race backend", "backend_type": "generic",
             "circuit_threshold": 2, "circuit_cooldown": 60},
            prepare=self._create_job_user,
        )

    def _create_job_user(self, env):
        # Jobs run as the user who enqueued them, in superuser mode: one without any
        # connector group here, so that the counting cursor must keep that mode.
        self.user_id = env["res.users"].create({
            "name": "Circuit race job user", "login": "circuit-race-job-user",
            compat.USER_GROUPS: [(6, 0, [env.ref("base.group_user").id])],
        }).id

    def cleanup_committed(self, env):
        env["mail.message"].search(
            [("model", "=", "retail.backend"), ("res_id", "=", self.backend_id)]).unlink()
        super().cleanup_committed(env)
        env["res.users"].browse(self.user_id).unlink()

    def test_two_failures_at_once_count_two_and_open_once(self):
        with self.own_cursors(3) as cursors:
            backends = [
                api.Environment(cr, self.user_id, {}, su=True)["retail.backend"].browse(
                    self.backend_id)
                for cr in cursors
            ]
            for backend in backends:  # read first, as a job would: all saw no failure yet
                self.assertEqual(backend.circuit_failure_count, 0)
            late = backends.pop()  # a third job, parking its event after the opening

            def fail(backend):
                backend._circuit_record_failure(TransientError("Shopify: HTTP 503"))
                return backend.circuit_state, backend.circuit_failure_count

            seen = sorted(self.at_once(fail, backends), key=lambda pair: pair[1])
            # its snapshot predates the opening: the resume job is found on a fresh cursor
            self.assertFalse(late._circuit_schedule_resume())
            for cr in cursors:
                cr.commit()
        # Each job sees what it committed: the second failure opened the circuit.
        self.assertEqual(seen, [("closed", 1), ("open", 2)])
        self.assertEqual(self.read_backend("circuit_failure_count"), 2)
        self.assertEqual(self.read_backend("circuit_state"), "open")
        self.assertTrue(self.read_backend("circuit_opened_at"))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            opened = env["mail.message"].search_count(
                [("model", "=", "retail.backend"), ("res_id", "=", self.backend_id),
                 ("body", "ilike", "opened")])
            resume = env["queue.job"].search_count(
                [("retail_backend_id", "=", self.backend_id),
                 ("method_name", "=", "_circuit_resume")])
        self.assertEqual((opened, resume), (1, 1))
