import threading
import time
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..canonical import Customer
from ..engine.importers import PartnerImporter
from ..errors import RecordBusy
from .common import CommittedBackendMixin


@tagged("post_install", "-at_install")
class TestConcurrentImports(CommittedBackendMixin, TransactionCase):
    """Two database connections import the same external customer at the same time.

    These tests commit on their own cursors (a real second transaction is the point), and
    clean up what they committed.
    """

    def setUp(self):
        super().setUp()
        self.commit_backend({"name": "Concurrency backend", "backend_type": "generic"})
        self.customer = Customer(external_id="RACE-1", name="Racer", email="racer@example.com")

    def cleanup_committed(self, env):
        bindings = env["retail.partner.binding"].search([("backend_id", "=", self.backend_id)])
        partners = bindings.mapped("odoo_id")
        bindings.unlink()
        partners.unlink()
        super().cleanup_committed(env)

    def _importer(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return PartnerImporter(env["retail.backend"].browse(self.backend_id))

    def _count(self, model, domain):
        with self.registry.cursor() as cr:
            return api.Environment(cr, SUPERUSER_ID, {})[model].search_count(domain)

    def test_a_second_import_waits_for_the_first_then_starts_again(self):
        """Two drains importing orders of one customer: the second waits for the first's
        lock instead of failing at once, then starts again on a fresh snapshot (its attempt
        not spent) and finds the partner the first created."""
        with self.own_cursors(2) as (cr_a, cr_b):
            self._importer(cr_a).import_customer(self.customer)
            second = {}
            importer_b = self._importer(cr_b)  # made here: the test thread holds the registry

            def import_b():
                started = time.monotonic()
                try:
                    importer_b.import_customer(self.customer)
                except Exception as error:  # what the drain records, checked below
                    second["error"] = error
                second["waited"] = time.monotonic() - started

            thread = threading.Thread(target=import_b)
            thread.start()
            time.sleep(0.5)
            self.assertTrue(thread.is_alive(), "the second import waits for the lock")
            cr_a.commit()
            thread.join(timeout=30)
            self.assertGreaterEqual(second["waited"], 0.5)
            self.assertIsInstance(second.get("error"), RecordBusy)
            self.assertFalse(second["error"].spends_attempt)
            cr_b.rollback()  # as the drain does, then the retry on a new transaction:
            self._importer(cr_b).import_customer(self.customer)
            cr_b.commit()
        self.assertEqual(
            self._count("retail.partner.binding", [("backend_id", "=", self.backend_id)]), 1
        )
        self.assertEqual(self._count("res.partner", [("email", "=", "racer@example.com")]), 1)

    def test_unique_violation_becomes_a_retry(self):
        """Without the lock (another code path), the unique index is the safety net."""
        with self.own_cursors(2) as (cr_a, cr_b):
            env_b = api.Environment(cr_b, SUPERUSER_ID, {})
            backend_b = env_b["retail.backend"].browse(self.backend_id)
            partner_b = env_b["res.partner"].create({"name": "B side"})
            self._importer(cr_a).import_customer(self.customer)
            cr_a.commit()

            def bind_again():
                env_b["retail.partner.binding"].create(
                    {
                        "backend_id": self.backend_id,
                        "external_id": "RACE-1",
                        "odoo_id": partner_b.id,
                    }
                )

            with mute_logger("odoo.sql_db"):
                outcome, error = backend_b._call_guarded(bind_again)
            self.assertEqual(outcome, "transient")
            self.assertIn("Concurrent update", str(error))
            cr_b.rollback()


@tagged("post_install", "-at_install")
class TestHalfOpenProbeRace(CommittedBackendMixin, TransactionCase):
    """Two workers find the cooldown of an open circuit over at the same moment: exactly one
    of them probes the channel. Commits on its own cursors and cleans up."""

    def setUp(self):
        super().setUp()
        self.commit_backend({
            "name": "Probe race backend",
            "backend_type": "generic",
            "circuit_state": "open",
            "circuit_cooldown": 60,
            "circuit_opened_at": fields.Datetime.now() - timedelta(seconds=120),
        })

    def test_two_concurrent_callers_one_probe(self):
        # Environments are built here: building one takes the registry's lock, which the
        # test runner's thread holds. The cursors are rolled back when closed.
        with self.own_cursors(2) as cursors:
            backends = [
                api.Environment(cr, SUPERUSER_ID, {})["retail.backend"].browse(self.backend_id)
                for cr in cursors
            ]
            for backend in backends:
                self.assertEqual(backend.circuit_state, "open")  # read first, as a job would
            claims = self.at_once(lambda backend: backend._circuit_claim_probe(), backends)
        self.assertEqual(sorted(claims), [False, True], "exactly one caller holds the probe")
        self.assertEqual(self.read_backend("circuit_state"), "half_open")
        self.assertTrue(self.read_backend("circuit_probe_at"))

    def test_the_probe_closes_on_its_own_cursor(self):
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            backend_a = api.Environment(cr_a, SUPERUSER_ID, {})["retail.backend"].browse(
                self.backend_id
            )
            backend_b = api.Environment(cr_b, SUPERUSER_ID, {})["retail.backend"].browse(
                self.backend_id
            )
            self.assertEqual(backend_a.circuit_state, "open")
            self.assertEqual(backend_b.circuit_state, "open")
            self.assertEqual(backend_a._circuit_probe_once(), "closed")
            self.assertEqual(backend_b._circuit_probe_once(), "busy")
            cr_a.rollback()
            cr_b.rollback()
        self.assertEqual(self.read_backend("circuit_state"), "closed")
