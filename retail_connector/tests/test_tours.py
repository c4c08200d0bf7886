import json

from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..engine.intake import store_event
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestTours(HttpCase):
    """Browser tours (Chromium): what an operator clicks through in the UI."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["retail.backend"].create(
            {"name": "Tour backend", "backend_type": "generic"}
        )
        payload = json.loads(RetailCase.customer_payload(external_id="TOUR-1", country="XX"))
        with trap_jobs() as trap:
            cls.event, _created = store_event(
                cls.backend, "customer", payload, "tour-1", external_id="TOUR-1"
            )
            trap.perform_enqueued_jobs()

    def test_ignore_a_failed_event(self):
        self.assertEqual(self.event.state, "failed")
        self.start_tour(
            "/odoo/action-retail_connector.action_retail_event",
            "retail_connector_ignore_failed_event",
            login="admin",
        )
        self.assertEqual(self.event.state, "ignored")

    def test_dashboard_leads_to_the_exceptions_and_retry(self):
        drains = [
            ("retail_backend_id", "=", self.backend.id), ("method_name", "=", "_drain_events")
        ]
        jobs_before = self.env["queue.job"].search_count(drains)
        self.start_tour(
            "/odoo/action-retail_connector.action_retail_dashboard",
            "retail_connector_dashboard",
            login="admin",
        )
        self.assertEqual(self.event.state, "queued")
        self.assertEqual(self.event.attempts, 0, "a retry starts the attempts again")
        jobs = self.env["queue.job"].search_count(drains)
        self.assertEqual(jobs, jobs_before + 1)
