import json
import threading
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine import locks
from ..engine.locks import lock_key
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestEventFlow(RetailCase):
    def test_import_creates_partner_and_binding(self):
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload())
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempts, 1)
        partner = self.env["res.partner"].browse(event.res_id)
        self.assertEqual(event.res_model, "res.partner")
        self.assertEqual(partner.email, "ada@example.com")
        self.assertEqual(partner.country_id.code, "GB")
        binding = partner.retail_binding_ids
        self.assertEqual((binding.backend_id, binding.external_id), (self.backend, "C-1"))

    def test_data_error_fails_then_edit_and_retry_succeeds(self):
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload(country="XX"))
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.error_kind, "data")
        self.assertIn("Unknown country code 'XX'", event.error_message)
        partners = self.env["res.partner"].search([("email", "=", "ada@example.com")])
        self.assertFalse(partners, "nothing may be half-created by a failed event")

        fixed = json.loads(event.payload)
        fixed["default_address"]["country_code"] = "FR"
        event.payload = json.dumps(fixed)
        self.assertIn('"XX"', event.original_payload)
        with trap_jobs() as trap:
            event.action_retry()
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertFalse(event.error_message)
        self.assertEqual(self.env["res.partner"].browse(event.res_id).country_id.code, "FR")

    def test_ignore_and_replay(self):
        with trap_jobs() as trap:
            bad, _created = self.store(self.customer_payload(country="XX"), key="bad")
            good, _created = self.store(self.customer_payload(external_id="C-2"), key="good")
            trap.perform_enqueued_jobs()
        (bad | good).action_ignore()
        self.assertEqual(bad.state, "ignored")
        self.assertEqual(good.state, "done", "a done event stays done when ignored")
        with trap_jobs() as trap:
            bad._process_job()
            trap.assert_jobs_count(0)
        self.assertEqual(bad.state, "ignored")
        with trap_jobs() as trap:
            good.action_replay()
            trap.perform_enqueued_jobs()
        self.assertEqual(good.state, "done")
        self.assertEqual(good.attempts, 1)

    def test_malformed_payload_is_a_data_error(self):
        with trap_jobs() as trap:
            event, _created = self.store('{"external_id": "C-9", "colour": 1}')
            broken, _created = self.store("{not json", key="broken")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("colour", event.error_message)
        self.assertEqual(broken.state, "failed")
        self.assertIn("not valid JSON", broken.error_message)

    def test_unknown_topic_fails_with_actionable_message(self):
        with trap_jobs() as trap:
            event, _created = self.store("{}", topic="orders/create")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("No importer for topic 'orders/create'", event.error_message)

    def test_missing_mapping_creates_a_draft_to_complete(self):
        from ..errors import DataError

        Mapping = self.env["retail.value.mapping"]
        with self.assertRaises(DataError) as caught:
            Mapping._resolve(self.backend, "tax", "VAT 20%")
        event, _created = self.store("{}", key="needs-tax")
        event._mark_failed("data", str(caught.exception), caught.exception.missing_mapping)
        self.assertIn("No tax mapping for 'VAT 20%'", event.error_message)
        draft = event.mapping_id
        self.assertEqual(
            (draft.kind, draft.external_value, draft.is_complete), ("tax", "VAT 20%", False)
        )
        tax = self.env["account.tax"].create({"name": "VAT 20", "amount": 20})
        draft.tax_id = tax
        self.assertEqual(Mapping._resolve(self.backend, "tax", "VAT 20%"), draft)


@tagged("post_install", "-at_install")
class TestTransientRetry(RetailCase):
    """A lock held by another transaction past the import's wait is a real transient
    failure."""

    def _hold_import_lock(self, external_id, wait_ms=200):
        """Hold the import lock of ``external_id`` on another cursor; an import waits
        ``wait_ms`` for it (short by default: most holders here never let go)."""
        patcher = patch.object(locks, "LOCK_WAIT_MS", wait_ms)
        patcher.start()
        self.addCleanup(patcher.stop)
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            (lock_key(self.backend.id, "res.partner", external_id),),
        )
        return cr

    def test_transient_failure_is_retried_after_the_delay_asked(self):
        other = self._hold_import_lock("C-1")
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload())
            trap.perform_enqueued_jobs()
            self.assertEqual(event.state, "queued")
            self.assertEqual(event.error_kind, "transient")
            self.assertIn("Another import", event.error_message)
            self.assertEqual(event.attempts, 1)
            trap.assert_jobs_count(1)
            retry = trap.enqueued_jobs[0]
            delay = (retry.eta - event.started_at).total_seconds()
            self.assertGreaterEqual(delay, 1)
            self.assertLessEqual(delay, 5, "the lock asked for a 2 s retry, not the 10 s backoff")
            self.assertEqual(
                self.backend.circuit_failure_count, 0, "a lock says nothing about the channel"
            )
            self.assertEqual(retry.method_name, "_drain_events", "the backend's retry drain")
            self.assertEqual(event.next_retry_at, retry.eta)
            other.rollback()
            event.next_retry_at = fields.Datetime.now()  # as the clock would: the retry is due
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempts, 2)
        self.assertEqual(self.backend.circuit_failure_count, 0)

    def test_an_import_that_waited_for_another_starts_again_without_spending_an_attempt(self):
        other = self._hold_import_lock("C-1", wait_ms=10000)
        release = threading.Timer(0.3, other.rollback)  # the other import ends meanwhile
        release.start()
        self.addCleanup(release.cancel)
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload())
            trap.perform_enqueued_jobs()
            self.assertEqual(event.state, "queued")
            self.assertEqual(event.attempts, 0, "waiting for another import is no failure")
            self.assertIn("ended meanwhile", event.error_message)
            (retry,) = trap.enqueued_jobs
            self.assertLessEqual((retry.eta - event.started_at).total_seconds(), 3)
            event.next_retry_at = fields.Datetime.now()  # as the clock would: the retry is due
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.attempts, 1)
        self.assertEqual(self.backend.circuit_failure_count, 0)

    def test_gives_up_after_max_attempts(self):
        self.backend.max_attempts = 1
        self._hold_import_lock("C-1")
        with trap_jobs() as trap:
            event, _created = self.store(self.customer_payload())
            trap.perform_enqueued_jobs()
            trap.assert_jobs_count(0)
        self.assertEqual(event.state, "failed")
        self.assertIn("Gave up after 1 attempts", event.error_message)
