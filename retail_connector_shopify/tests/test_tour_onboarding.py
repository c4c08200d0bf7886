from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.job import Job

from .common import SANDBOX_SHOP, ShopifySandboxMixin


@tagged("post_install", "-at_install")
class TestOnboardingTour(ShopifySandboxMixin, HttpCase):
    """A browser walks a new Shopify backend's onboarding against the sandbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        # Stand-ins for what differs from production: Shopify is the local sandbox, and the
        # public URL that webhooks are registered to is this test server.
        cls.env["ir.default"].set("retail.backend", "shopify_api_base_url", cls.sandbox.base_url)
        cls.env["ir.default"].set("retail.backend", "shopify_rate_reserve", 0)

    def test_onboarding_walks_the_checklist_against_the_sandbox(self):
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1}], customer={"email": "tour@example.com"}
        )
        self.start_tour(
            "/odoo/action-retail_connector.action_retail_backend",
            "retail_connector_shopify_onboarding",
            login="admin",
        )
        backend = self.env["retail.backend"].search([("name", "=", "Tour Shop")])
        self.assertEqual(len(backend), 1)
        self.assertEqual(backend.shopify_shop_domain, SANDBOX_SHOP)
        self.assertEqual(backend.shopify_shop_name, "Sandbox Retail")
        locations = backend.mapping_ids.filtered(lambda m: m.kind == "location")
        self.assertEqual(
            sorted(locations.mapped("external_label")), ["Main Warehouse", "Paris Store"]
        )
        self.assertEqual(locations.location_id, self.env.ref("stock.stock_location_stock"))
        self.assertTrue(all(locations.mapped("is_complete")))
        # The sandbox holds the subscriptions of the topics the flows need, to this Odoo.
        callbacks = {
            s["callback_url"] for s in self.control.state("webhook_subscriptions")
        }
        self.assertEqual(callbacks, {f"{self.base_url()}/retail/shopify/webhook/{backend.id}"})
        self.assertFalse(backend.setup_complete, "the first import is still queued")
        # The runner's part: the queued catch-up job imports the store's orders.
        jobs = self.env["queue.job"].search(
            [("retail_backend_id", "=", backend.id), ("method_name", "=", "_run_catch_up")]
        )
        self.assertEqual(len(jobs), 1)
        Job.load(self.env, jobs.uuid).perform()
        backend.invalidate_recordset()
        self.assertTrue(backend.setup_complete, backend.setup_checklist)
        self.assertTrue(
            self.env["retail.event"].search_count(
                [("backend_id", "=", backend.id), ("topic", "=", "orders/updated")]
            )
        )
