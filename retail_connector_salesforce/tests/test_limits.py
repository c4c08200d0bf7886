"""Salesforce limits against the sandbox: the daily limit pauses, the concurrent one retries,
several records matching an external id is a data error naming them."""

from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.retail_connector.engine.intake import store_event
from odoo.addons.retail_connector.errors import DataError, QuotaExceeded, TransientError

from .common import SalesforceFlowMixin


@tagged("post_install", "-at_install")
class TestSalesforceLimits(SalesforceFlowMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def account_event(self, name):
        account = self.control.create_record("Account", {"Name": name, "BillingCountry": "US"})
        event, _created = store_event(self.backend, "account", {"Id": account["Id"]},
                                      f"limit-{account['Id']}", external_id=account["Id"],
                                      enqueue=False)
        return account, event

    def end_pause(self):
        """The pause's time has come (what waiting for it would do)."""
        self.backend.paused_until = fields.Datetime.now() - timedelta(seconds=1)

    def test_jobs_postponed_by_a_pause_come_back_spread_not_in_one_second(self):
        self.backend.write({"paused_until": fields.Datetime.now() + timedelta(seconds=600),
                            "paused_reason": "TotalRequests Limit exceeded."})
        waits = {self.backend._pause_check() for _job in range(20)}
        self.assertTrue(all(595 <= wait <= 721 for wait in waits), waits)
        self.assertGreater(len(waits), 1, "every postponed job would come due at once")

    def test_daily_limit_pauses_the_backend_and_no_event_fails(self):
        account, event = self.account_event("Limited Co")
        self.control.faults(exhaust_limits=True)
        report = event._process_job()
        self.assertIn("paused", report)
        self.assertTrue(self.backend.paused_until)
        self.assertIn("TotalRequests Limit exceeded", self.backend.paused_reason)
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertEqual(self.backend.circuit_failure_count, 0)
        activity = self.backend.activity_ids.filtered(lambda a: a.summary.startswith("[quota]"))
        self.assertEqual(len(activity), 1)
        # Longer than the retry schedule: the limit stays exhausted over more tries than
        # max_attempts; each end of pause asks /limits, which is refused: the pause goes on.
        for _try in range(self.backend.max_attempts + 2):
            self.end_pause()
            report = event._process_job()
            self.assertIn("paused: postponed", report)
            self.assertEqual((event.state, event.attempts), ("queued", 0))
            self.assertGreater(self.backend.paused_until, fields.Datetime.now())
        self.assertEqual(self.counter("GET limits"), 0)  # refused before reaching /limits
        self.assertGreaterEqual(self.counter("limit_exceeded"), self.backend.max_attempts + 3)
        self.assertEqual(len(self.backend.activity_ids.filtered(
            lambda a: a.summary.startswith("[quota]"))), 1)
        # The sandbox lifts the limit: the next end of pause resumes, the event is imported.
        self.control.settings(api_used=0)
        self.end_pause()
        report = event._process_job()
        self.assertEqual(event.state, "done", report)
        self.assertFalse(self.backend.paused_until)
        self.assertEqual(self.counter("GET limits"), 1)
        self.assertEqual(event.attempts, 1)
        self.assertEqual(event.res_model, "res.partner")
        self.assertEqual(self.env["res.partner"].browse(event.res_id).name, "Limited Co")
        self.assertEqual(self.sandbox_account(account["Id"])["Odoo_Id__c"], str(event.res_id))

    def test_daily_limit_from_the_adapter_is_a_quota_error(self):
        self.control.faults(exhaust_limits=True)
        with self.assertRaises(QuotaExceeded) as caught:
            self.adapter().limits()
        self.assertFalse(caught.exception.circuit)
        self.assertFalse(caught.exception.spends_attempt)
        self.assertEqual(caught.exception.details["error_code"], "REQUEST_LIMIT_EXCEEDED")

    def test_concurrent_limit_retries_in_seconds_without_opening_the_circuit(self):
        _account, event = self.account_event("Busy Co")
        self.control.faults(concurrent_limit_next=1)
        with self.assertRaises(TransientError) as caught:
            self.adapter().limits()
        self.assertFalse(isinstance(caught.exception, QuotaExceeded))
        self.assertFalse(caught.exception.circuit)
        self.assertLessEqual(caught.exception.retry_after, 10)
        self.control.faults(concurrent_limit_next=self.backend.circuit_threshold + 1)
        for _try in range(self.backend.circuit_threshold + 1):
            report = event._process_job()
            self.assertIn("transient failure, retry in", report)
            # 10 s asked, plus at most 20 % of retry jitter (whole seconds).
            self.assertLessEqual(event.next_retry_at - fields.Datetime.now(),
                                 timedelta(seconds=13))
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertFalse(self.backend.paused_until)
        self.assertEqual(event._process_job()[:4], "done")

    def test_several_records_matching_an_external_id_is_a_data_error_listing_them(self):
        self.control.add_field("Account", "Legacy_Id__c", external_id=True, unique=False)
        first = self.control.create_record("Account", {"Name": "Twin A", "Legacy_Id__c": "L-1"})
        second = self.control.create_record("Account", {"Name": "Twin B", "Legacy_Id__c": "L-1"})
        adapter = self.adapter()
        for call in (
            lambda: adapter.get_by_external_id("Account", "Legacy_Id__c", "L-1"),
            lambda: adapter.upsert("Account", "Legacy_Id__c", "L-1", {"Name": "Twin"}),
        ):
            with self.assertRaises(DataError) as caught:
                call()
            error = caught.exception
            self.assertEqual(error.details["status"], 300)
            self.assertIn(first["Id"], str(error))
            self.assertIn(second["Id"], str(error))
            self.assertEqual(len(error.details["matches"]), 2)
        self.assertEqual(self.control.record("Account", first["Id"])["Name"], "Twin A")
