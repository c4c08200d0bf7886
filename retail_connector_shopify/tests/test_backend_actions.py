from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.retail_connector_shopify import const

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyBackendActions(ShopifyCase):
    """The buttons of the Shopify page, against the sandbox."""

    def test_api_version_is_validated(self):
        with self.assertRaises(ValidationError):
            self.backend.shopify_api_version = "2026-4"
        with self.assertRaises(ValidationError):
            self.backend.shopify_api_version = "latest"
        with self.assertRaises(ValidationError):
            self.backend.shopify_api_version = "2025-01"  # well formed, out of the table
        self.backend.shopify_api_version = "2026-07"

    def test_form_warns_when_the_version_leaves_the_support_window(self):
        from datetime import date

        from odoo.addons.retail_connector_shopify import api_versions

        self.backend.shopify_api_version = api_versions.DEFAULT_API_VERSION
        expected = api_versions.support_warning(api_versions.DEFAULT_API_VERSION)
        self.assertEqual(self.backend.shopify_api_version_warning or "", expected)
        oldest = api_versions.supported_versions()[0]
        end = api_versions.end_of_support(oldest)
        self.assertIn("left Shopify's 12-month support window",
                      api_versions.support_warning(oldest, today=end))
        self.assertFalse(api_versions.support_warning(
            oldest, today=date(end.year - 1, end.month, end.day)))

    def test_defaults(self):
        backend = self.env["retail.backend"].create({"name": "Defaults", "backend_type": "shopify"})
        self.assertEqual(backend.shopify_api_version, const.DEFAULT_API_VERSION)
        self.assertEqual(backend.shopify_auth_method, "token")
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        self.assertEqual(backend.shopify_public_base_url, base)
        self.assertEqual(
            backend.shopify_webhook_url, f"{base}/retail/shopify/webhook/{backend.id}"
        )

    def test_test_connection_fills_shop_info_and_closes_the_circuit(self):
        self.backend.write({"circuit_state": "open", "circuit_failure_count": 3})
        self.backend.action_shopify_test_connection()
        self.assertEqual(self.backend.shopify_shop_name, "Sandbox Retail")
        self.assertEqual(self.backend.shopify_plan, "Basic")
        self.assertEqual(self.backend.shopify_currency, "EUR")
        self.assertTrue(self.backend.shopify_checked_at)
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertTrue(self.backend.shopify_throttle_status)

    def test_test_connection_with_client_credentials_reports_scopes(self):
        backend = self.create_backend(
            name="Dev Dashboard app",
            shopify_auth_method="client_credentials",
            shopify_client_id="sandbox-client-id",
            shopify_client_secret=self.sandbox.client_secret,
        )
        backend.action_shopify_test_connection()
        self.assertEqual(backend.shopify_shop_name, "Sandbox Retail")
        self.assertIn("read_orders", backend.shopify_scopes)

    def test_test_connection_failure_is_a_readable_user_error(self):
        backend = self.create_backend(name="Bad token", shopify_access_token="shpat_nope")
        with self.assertRaisesRegex(UserError, "Invalid API key"):
            backend.action_shopify_test_connection()

    def test_import_locations_creates_draft_mappings_once(self):
        self.backend.action_shopify_import_locations()
        mappings = self.env["retail.value.mapping"].search(
            [("backend_id", "=", self.backend.id), ("kind", "=", "location")]
        )
        expected = {
            str(loc["id"]): loc["name"] for loc in self.control.state("locations")
        }
        self.assertEqual(len(mappings), 2)
        self.assertEqual({m.external_value: m.external_label for m in mappings}, expected)
        self.assertFalse(any(mappings.mapped("is_complete")))
        self.backend.action_shopify_import_locations()
        self.assertEqual(
            self.env["retail.value.mapping"].search_count(
                [("backend_id", "=", self.backend.id), ("kind", "=", "location")]
            ),
            2,
        )

    def test_register_webhooks_is_idempotent_and_health_lists_them(self):
        self.backend.shopify_public_base_url = "https://odoo.example.com/"
        url = f"https://odoo.example.com/retail/shopify/webhook/{self.backend.id}"
        self.backend.action_shopify_register_webhooks()
        subscriptions = self.control.state("webhook_subscriptions")
        self.assertEqual(len(subscriptions), len(const.WEBHOOK_TOPICS))
        self.assertEqual({s["callback_url"] for s in subscriptions}, {url})
        self.backend.action_shopify_register_webhooks()
        self.assertEqual(len(self.control.state("webhook_subscriptions")), 8)
        self.backend.shopify_webhook_report = False
        self.backend.action_shopify_webhook_health()
        report = self.backend.shopify_webhook_report
        for topic in const.WEBHOOK_TOPICS:
            self.assertIn(f"OK {topic} → {url}", report)
        self.assertIn("All needed topics registered", report)
        # The public URL moves: the stale subscriptions are replaced, not duplicated.
        self.backend.shopify_public_base_url = "https://erp.example.com"
        self.backend.action_shopify_register_webhooks()
        callbacks = {s["callback_url"] for s in self.control.state("webhook_subscriptions")}
        self.assertEqual(
            callbacks, {f"https://erp.example.com/retail/shopify/webhook/{self.backend.id}"}
        )
        self.assertEqual(len(self.control.state("webhook_subscriptions")), 8)

    def test_webhook_health_reports_missing_topics(self):
        self.control.subscribe("orders/create", "https://elsewhere.example.com/hook")
        self.backend.action_shopify_webhook_health()
        report = self.backend.shopify_webhook_report
        self.assertIn("-- orders/create → https://elsewhere.example.com/hook", report)
        self.assertIn("Missing: orders/create, orders/updated", report)

    def test_circuit_probe_calls_the_shop(self):
        self.backend.write({"circuit_state": "open"})
        self.backend.action_circuit_probe()
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertEqual(self.outcomes("ShopInfo"), {"ok": 1})
        self.backend.shopify_access_token = "shpat_revoked"
        self.backend.action_circuit_probe()
        self.assertEqual(self.backend.circuit_state, "open")

    def test_binding_external_url_links_to_the_shopify_admin(self):
        partner = self.env["res.partner"].create({"name": "Jane"})
        binding = self.env["retail.partner.binding"].create(
            {
                "backend_id": self.backend.id,
                "external_id": "gid://shopify/Customer/42",
                "odoo_id": partner.id,
            }
        )
        self.assertEqual(
            binding.external_url, "https://admin.shopify.com/store/sandbox-retail/customers/42"
        )

    def test_ownership_defaults(self):
        owned = self.env["retail.ownership.rule"]._channel_owned_fields(self.backend, "customer")
        self.assertEqual(owned, {"name", "email", "phone"})

    def test_shopify_secrets_need_the_manager_group(self):
        user = new_test_user(
            self.env, "shopify_user", groups="base.group_user,retail_connector.group_retail_user"
        )
        manager = new_test_user(
            self.env,
            "shopify_manager",
            groups="base.group_user,retail_connector.group_retail_manager",
        )
        as_user = self.backend.with_user(user)
        self.assertEqual(as_user.shopify_shop_domain, "sandbox-retail.myshopify.com")
        for secret in ("shopify_access_token", "shopify_client_secret", "shopify_client_id"):
            with self.assertRaises(AccessError):
                as_user.read([secret])
        with self.assertRaisesRegex(AccessError, "reserved to the group .* Manager"):
            as_user.action_shopify_register_webhooks()
        self.assertFalse(self.control.state("webhook_subscriptions"))
        self.assertEqual(
            self.backend.with_user(manager).shopify_access_token, self.sandbox.token
        )
