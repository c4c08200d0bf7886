from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.job import Job
from odoo.addons.retail_connector_shopify import const
from odoo.addons.retail_connector_shopify.rate_budget import RateBudget

from .common import SANDBOX_SHOP, ShopifySandboxMixin


@tagged("post_install", "-at_install")
class TestOnboardingTour(ShopifySandboxMixin, HttpCase):
    """A browser walks a new Shopify backend's onboarding against the sandbox."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        # What differs from production: Shopify is the local sandbox. The administrator's
        # default of the Advanced base URL points new backends at it (the tour checks the
        # form shows it). The public Odoo URL defaults to web.base.url: this test server.
        cls.env["ir.default"].set("retail.backend", "shopify_api_base_url", cls.sandbox.base_url)
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock = warehouse.lot_stock_id
        cls.boutique = cls.env["stock.location"].create(
            {"name": "Paris Boutique", "location_id": warehouse.view_location_id.id}
        )

    def test_onboarding_walks_the_checklist_against_the_sandbox(self):
        self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1}], customer={"email": "tour@example.com"}
        )
        self.start_tour("/odoo", "retail_connector_shopify_onboarding", login="admin")

        backend = self.env["retail.backend"].search([("name", "=", "Tour Shop")])
        self.assertEqual(len(backend), 1)
        self.addCleanup(RateBudget.forget, backend.id)
        self.assertEqual(backend.backend_type, "shopify")
        self.assertEqual(backend.shopify_shop_domain, SANDBOX_SHOP)
        self.assertEqual(backend.shopify_api_base_url, self.sandbox.base_url)
        self.assertEqual(backend.shopify_shop_name, "Sandbox Retail")
        self.assertTrue(backend.shopify_checked_at)
        # One complete mapping row per Shopify location, to the location picked in the list.
        locations = backend.mapping_ids.filtered(lambda m: m.kind == "location")
        by_id = {str(loc["id"]): loc["name"] for loc in self.control.state("locations")}
        self.assertEqual({m.external_value: m.external_label for m in locations}, by_id)
        self.assertEqual(
            {m.external_label: m.location_id for m in locations},
            {"Main Warehouse": self.stock, "Paris Store": self.boutique},
        )
        self.assertTrue(all(backend.mapping_ids.mapped("is_complete")))
        # The sandbox holds one subscription per topic the flows need, to this Odoo.
        subscriptions = self.control.state("webhook_subscriptions")
        self.assertEqual(
            sorted(s["topic"] for s in subscriptions), sorted(const.WEBHOOK_TOPICS.values())
        )
        self.assertEqual(
            {s["callback_url"] for s in subscriptions},
            {f"{self.base_url()}/retail/shopify/webhook/{backend.id}"},
        )
        # The first import is queued for the job runner; nothing ran yet.
        self.assertFalse(backend.setup_complete, "the first import is still queued")
        jobs = self.env["queue.job"].search(
            [("retail_backend_id", "=", backend.id), ("method_name", "=", "_run_catch_up")]
        )
        self.assertEqual(jobs.mapped("state"), ["pending"])

        # The runner's part: run the queued job as the job runner does.
        job = Job.load(self.env, jobs.uuid)
        job.set_started()
        job.store()
        result = job.perform()
        job.set_done(result=result)
        job.store()
        jobs.invalidate_recordset()
        self.assertEqual(jobs.state, "done")
        backend.invalidate_recordset()
        self.assertTrue(backend.setup_complete, backend.setup_checklist)
        # The store's orders are in the inbox.
        polled = self.env["retail.event"].search(
            [("backend_id", "=", backend.id), ("topic", "=", "orders/updated")]
        )
        self.assertEqual(
            set(polled.mapped("external_id")),
            {str(order["id"]) for order in self.control.state("orders")},
        )

        # The administrator opens the backend again: the checklist is gone.
        self.start_tour("/odoo", "retail_connector_shopify_onboarding_done", login="admin")
