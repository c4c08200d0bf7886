from odoo.tests import tagged

from .common import RetailCase


@tagged("post_install", "-at_install")
class TestConnectorJobs(RetailCase):
    """Jobs carry their backend and flow, so the dashboard's graph and pivot can group them."""

    def test_import_and_export_jobs_carry_backend_and_flow(self):
        event, _created = self.store(self.customer_payload(), key="job-1")
        other, _created = self.store(self.customer_payload("C-2"), key="job-2", topic="order")
        self.backend._schedule_export("products")
        Job = self.env["queue.job"]
        jobs = Job.search([("retail_backend_id", "=", self.backend.id)])
        # both events wait for the backend's one drain job; they have no job of their own
        self.assertEqual(sorted(jobs.mapped("retail_flow")), ["drain events", "export products"])
        self.assertFalse(event.job_uuid or other.job_uuid)
        # a retry after a delay: the backend's retry drain, due then
        other._enqueue(delay=30)
        self.assertFalse(other.job_uuid)
        retry = Job.search([("identity_key", "=", f"retail-drain-{self.backend.id}-retry")])
        self.assertEqual((retry.retail_backend_id, retry.eta), (self.backend, other.next_retry_at))
        # _read_group: the public read_group is deprecated in Odoo 19.
        groups = Job._read_group(
            [("retail_backend_id", "=", self.backend.id)],
            ["retail_backend_id", "retail_flow"],
            ["__count", "exec_time:sum"],
        )
        self.assertEqual(
            {flow: count for _backend, flow, count, _time in groups},
            {"drain events": 2, "export products": 1},
        )

    def test_jobs_action_opens_graph_and_pivot_of_one_backend(self):
        action = self.backend.action_open_jobs()
        self.assertEqual(action["res_model"], "queue.job")
        self.assertEqual(action["domain"], [("retail_backend_id", "=", self.backend.id)])
        modes = [mode for _view, mode in action["views"]]
        self.assertEqual(modes[:2], ["graph", "pivot"])
        views = self.env["queue.job"].get_views(action["views"])
        self.assertIn("retail_flow", views["views"]["pivot"]["arch"])
        self.assertIn("date_created", views["views"]["graph"]["arch"])
