import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..canonical import Customer
from ..engine.importers import PartnerImporter
from ..errors import TransientError


@tagged("post_install", "-at_install")
class TestConcurrentImports(TransactionCase):
    """Two database connections import the same external customer at the same time.

    These tests commit on their own cursors (a real second transaction is the point), and
    clean up what they committed.
    """

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.backend_id = (
                env["retail.backend"]
                .create({"name": "Concurrency backend", "backend_type": "generic"})
                .id
            )
        self.addCleanup(self._cleanup)
        self.customer = Customer(external_id="RACE-1", name="Racer", email="racer@example.com")

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            bindings = env["retail.partner.binding"].search([("backend_id", "=", self.backend_id)])
            partners = bindings.mapped("odoo_id")
            bindings.unlink()
            partners.unlink()
            env["retail.backend"].browse(self.backend_id).unlink()

    def _importer(self, cr):
        env = api.Environment(cr, SUPERUSER_ID, {})
        return PartnerImporter(env["retail.backend"].browse(self.backend_id))

    def _count(self, model, domain):
        with self.registry.cursor() as cr:
            return api.Environment(cr, SUPERUSER_ID, {})[model].search_count(domain)

    def test_two_cursors_create_one_binding(self):
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
            self._importer(cr_a).import_customer(self.customer)
            with self.assertRaises(TransientError):
                self._importer(cr_b).import_customer(self.customer)
            cr_a.commit()
            cr_b.rollback()
            self._importer(cr_b).import_customer(self.customer)
            cr_b.commit()
        finally:
            cr_a.close()
            cr_b.close()
        self.assertEqual(
            self._count("retail.partner.binding", [("backend_id", "=", self.backend_id)]), 1
        )
        self.assertEqual(self._count("res.partner", [("email", "=", "racer@example.com")]), 1)

    def test_unique_violation_becomes_a_retry(self):
        """Without the lock (another code path), the unique index is the safety net."""
        cr_a, cr_b = self.registry.cursor(), self.registry.cursor()
        try:
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
        finally:
            cr_a.close()
            cr_b.close()


@tagged("post_install", "-at_install")
class TestHalfOpenProbeRace(TransactionCase):
    """Two workers find the cooldown of an open circuit over at the same moment: exactly one
    of them probes the channel. Commits on its own cursors and cleans up."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.backend_id = (
                env["retail.backend"]
                .create(
                    {
                        "name": "Probe race backend",
                        "backend_type": "generic",
                        "circuit_state": "open",
                        "circuit_cooldown": 60,
                        "circuit_opened_at": fields.Datetime.now() - timedelta(seconds=120),
                    }
                )
                .id
            )
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["queue.job"].search([("retail_backend_id", "=", self.backend_id)]).unlink()
            env["retail.backend"].browse(self.backend_id).unlink()

    def _read(self, field):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["retail.backend"].browse(self.backend_id)[field]

    def test_two_concurrent_callers_one_probe(self):
        barrier = threading.Barrier(2)
        # Environments are built here: building one takes the registry's lock, which the
        # test runner's thread holds.
        cursors = [self.registry.cursor(), self.registry.cursor()]
        backends = [
            api.Environment(cr, SUPERUSER_ID, {})["retail.backend"].browse(self.backend_id)
            for cr in cursors
        ]
        for backend in backends:
            self.assertEqual(backend.circuit_state, "open")  # read first, as a job would

        def caller(backend):
            barrier.wait(timeout=30)
            return backend._circuit_claim_probe()

        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                claims = list(pool.map(caller, backends))
        finally:
            for cr in cursors:
                cr.rollback()
                cr.close()
        self.assertEqual(sorted(claims), [False, True], "exactly one caller holds the probe")
        self.assertEqual(self._read("circuit_state"), "half_open")
        self.assertTrue(self._read("circuit_probe_at"))

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
        self.assertEqual(self._read("circuit_state"), "closed")
