"""A Shopify sandbox per test class and a backend pointing at it."""

from odoo.tests import TransactionCase

from odoo.addons.retail_connector_shopify.rate_budget import RateBudget

SANDBOX_SHOP = "sandbox-retail.myshopify.com"


class ShopifySandboxMixin:
    """``cls.sandbox`` (started once per class) and ``cls.backend`` bound to it."""

    @classmethod
    def start_sandbox(cls):
        from tests.sandbox.shopify import ShopifySandbox

        cls.sandbox = ShopifySandbox().start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.control = cls.sandbox.control
        cls.backend = cls.create_backend()

    @classmethod
    def create_backend(cls, name="Sandbox shop", **values):
        return cls.env["retail.backend"].create(
            {
                "name": name,
                "backend_type": "shopify",
                "shopify_shop_domain": SANDBOX_SHOP,
                "shopify_api_version": "2026-04",
                "shopify_api_base_url": cls.sandbox.base_url,
                "shopify_access_token": cls.sandbox.token,
                "shopify_rate_reserve": 0,
                "webhook_secret": cls.sandbox.client_secret,
                "circuit_threshold": 3,
                **values,
            }
        )

    def setUp(self):
        super().setUp()
        self.control.clear_faults()
        self.clear_subscriptions()
        self.control.reset_counters()
        self.addCleanup(self.control.clear_faults)
        self.addCleanup(
            self.control.throttle,
            maximum_available=2000.0,
            restore_rate=100.0,
            currently_available=2000.0,
        )
        self.addCleanup(RateBudget.forget, self.backend.id)

    def clear_subscriptions(self):
        """Delete the sandbox's webhook subscriptions (tests of a class share the sandbox)."""
        from odoo.addons.retail_connector_shopify.adapter import ShopifyAdapter

        adapter = ShopifyAdapter(self.backend)
        for subscription in adapter.webhook_subscriptions():
            adapter.delete_webhook_subscription(subscription["id"])

    def outcomes(self, operation):
        """The sandbox's outcome counts of one GraphQL operation, e.g. ``{"ok": 3}``."""
        return self.control.counters()["operations"].get(operation, {}).get("outcomes", {})


class ShopifyCase(ShopifySandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.start_sandbox()
