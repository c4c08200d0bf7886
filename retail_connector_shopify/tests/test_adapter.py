import time

from odoo.tests import tagged

from odoo.addons.retail_connector.errors import AuthError, DataError, TransientError
from odoo.addons.retail_connector_shopify.adapter import ShopifyAdapter
from odoo.addons.retail_connector_shopify.graphql import admin
from odoo.addons.retail_connector_shopify.rate_budget import RateBudget

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyAdapter(ShopifyCase):
    """The adapter against the sandbox over real HTTP: session, auth, pages, budget, errors."""

    def test_site_comes_from_the_session_then_the_override(self):
        adapter = ShopifyAdapter(self.backend)
        self.assertEqual(adapter.graphql_url, self.sandbox.graphql_url("2026-04"))
        self.backend.shopify_api_base_url = False
        adapter = ShopifyAdapter(self.backend)
        self.assertEqual(
            adapter.graphql_url,
            "https://sandbox-retail.myshopify.com/admin/api/2026-04/graphql.json",
        )

    def test_shop_info_and_response_headers(self):
        adapter = ShopifyAdapter(self.backend)
        shop = adapter.shop_info()
        self.assertEqual(shop["name"], "Sandbox Retail")
        self.assertEqual(shop["myshopifyDomain"], "sandbox-retail.myshopify.com")
        self.assertEqual(adapter.last_headers.get("X-Shopify-API-Version"), "2026-04")
        self.assertIn("throttleStatus", adapter.last_extensions["cost"])
        self.assertIn("points", adapter.throttle_summary())

    def test_pagination_follows_cursors(self):
        for index in range(5):
            self.control.add_customer(email=f"page{index}@example.com", first_name="P")
        adapter = ShopifyAdapter(self.backend)
        customers = list(
            adapter.paginate(
                "query C($first: Int!, $after: String) { customers(first: $first, "
                "after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }",
                page_size=2,
            )
        )
        expected = len(self.control.state("customers"))
        self.assertGreaterEqual(expected, 6)
        self.assertEqual(len(customers), expected)
        self.assertEqual(len({c["id"] for c in customers}), expected)
        calls = self.control.counters()["operations"]["C"]["calls"]
        self.assertEqual(calls, (expected + 1) // 2)

    def test_client_credentials_token_is_obtained_once_and_reused(self):
        backend = self.create_backend(
            name="Client credentials shop",
            shopify_auth_method="client_credentials",
            shopify_access_token=False,
            shopify_client_id="sandbox-client-id",
            shopify_client_secret=self.sandbox.client_secret,
        )
        self.addCleanup(RateBudget.forget, backend.id)
        ShopifyAdapter(backend).shop_info()
        ShopifyAdapter(backend).shop_info()
        http = self.control.counters()["http"]
        self.assertEqual(http.get("POST /admin/oauth/access_token"), 1)
        self.assertEqual(self.outcomes("ShopInfo"), {"ok": 2})
        tokens = self.control.state("tokens")
        self.assertEqual(len(tokens), 2, "the static seed token plus one granted token")
        self.assertTrue(backend.shopify_token_expires_at)
        # A changed secret invalidates the cached token; a wrong one is an AuthError.
        backend.shopify_client_secret = "wrong"
        with self.assertRaises(AuthError):
            ShopifyAdapter(backend).shop_info()

    def test_throttling_is_absorbed_by_the_rate_budget(self):
        self.control.throttle(maximum_available=10, restore_rate=20, currently_available=10)
        self.backend.shopify_rate_reserve = 100  # capped to what a 10-point bucket allows
        adapter = ShopifyAdapter(self.backend)
        started = time.monotonic()
        for _index in range(15):
            adapter.execute(admin.SHOP_INFO)
        self.assertEqual(self.outcomes("ShopInfo"), {"ok": 15})
        budget = RateBudget.for_backend(self.backend.id)
        self.assertGreater(budget.waited_seconds, 0.5)
        self.assertGreater(time.monotonic() - started, 0.5)
        self.assertEqual(budget.last_status["maximumAvailable"], 10)

    def test_throttled_answer_is_retried_in_process(self):
        self.control.add_fault("throttled", count=1, operation="ShopInfo")
        shop = ShopifyAdapter(self.backend).shop_info()
        self.assertEqual(shop["name"], "Sandbox Retail")
        self.assertEqual(self.outcomes("ShopInfo").get("throttled"), 1)

    def test_rate_limit_and_server_errors_are_transient_with_retry_after(self):
        adapter = ShopifyAdapter(self.backend)
        self.control.add_fault("rate_limit", count=1, retry_after=30)
        with self.assertRaises(TransientError) as caught:
            adapter.shop_info()
        self.assertEqual(caught.exception.retry_after, 30.0, "a long Retry-After goes to the job")
        self.assertIn("429", str(caught.exception))
        self.control.add_fault("http_error", count=4, status=503)
        with self.assertRaises(TransientError) as caught:
            adapter.shop_info()
        self.assertIn("503", str(caught.exception))
        self.assertGreater(caught.exception.retry_after, 0)
        self.assertEqual(adapter.shop_info()["name"], "Sandbox Retail")

    def test_a_short_hiccup_of_a_read_is_ridden_out_in_process(self):
        adapter = ShopifyAdapter(self.backend)
        self.control.add_fault("rate_limit", count=1, retry_after=1, operation="ShopInfo")
        self.control.add_fault("http_error", count=1, status=502, operation="ShopInfo")
        calls_before = self.control.counters()["http"].get("POST /admin/api/*/graphql.json", 0)
        self.assertEqual(adapter.shop_info()["name"], "Sandbox Retail")
        self.assertEqual(self.control.faults(), [], "both faults were met and ridden out")
        calls = self.control.counters()["http"]["POST /admin/api/*/graphql.json"] - calls_before
        self.assertEqual(calls, 3, "a 429, a 502, then the answer")

    def test_connection_failure_is_transient(self):
        backend = self.create_backend(name="Unreachable", shopify_api_base_url="http://127.0.0.1:9")
        with self.assertRaises(TransientError) as caught:
            ShopifyAdapter(backend).shop_info()
        self.assertIn("connection failed", str(caught.exception))
        self.assertTrue(caught.exception.retry_after)

    def test_bad_token_is_auth_error_and_opens_the_circuit(self):
        backend = self.create_backend(name="Revoked shop", shopify_access_token="shpat_revoked")
        with self.assertRaises(AuthError) as caught:
            ShopifyAdapter(backend).shop_info()
        self.assertIn("401", str(caught.exception))
        outcome, error = backend._call_guarded(lambda: ShopifyAdapter(backend).shop_info())
        self.assertEqual(outcome, "auth")
        self.assertIsInstance(error, AuthError)
        self.assertEqual(backend.circuit_state, "open")
        self.assertIn("Invalid API key", backend.circuit_last_error)

    def test_forbidden_and_access_denied_are_auth_errors(self):
        self.control.add_fault("http_error", count=1, status=402)
        with self.assertRaises(AuthError):
            ShopifyAdapter(self.backend).shop_info()
        token = self.control.add_token(scopes=["read_products"])
        backend = self.create_backend(name="Narrow scopes", shopify_access_token=token)
        with self.assertRaises(AuthError) as caught:
            ShopifyAdapter(backend).execute("query O { orders(first: 1) { nodes { id } } }")
        self.assertIn("ACCESS_DENIED", str(caught.exception))

    def test_user_errors_are_data_errors_with_field_paths(self):
        adapter = ShopifyAdapter(self.backend)
        with self.assertRaises(DataError) as caught:
            adapter.create_webhook_subscription("orders/create", "not a url")
        message = str(caught.exception)
        self.assertIn("webhookSubscription.callbackUrl", message)
        self.assertIn("Address is invalid", message)
        self.assertEqual(len(caught.exception.details["user_errors"]), 1)

    def test_invalid_query_is_a_data_error(self):
        with self.assertRaises(DataError) as caught:
            ShopifyAdapter(self.backend).execute("query Bad { shop { nope } }")
        self.assertIn("nope", str(caught.exception))

    def test_missing_configuration_is_an_auth_error(self):
        backend = self.create_backend(name="No domain", shopify_shop_domain=False)
        with self.assertRaises(AuthError):
            ShopifyAdapter(backend)

    def test_bulk_query_returns_the_jsonl_rows(self):
        from odoo.addons.retail_connector_shopify.bulk import run_bulk_query

        rows = list(
            run_bulk_query(
                ShopifyAdapter(self.backend),
                "{ products { edges { node { id title variants { edges { node { id sku } } } }"
                " } } }",
                timeout=20,
                poll_interval=0.1,
            )
        )
        products = [row for row in rows if "__parentId" not in row]
        variants = [row for row in rows if "__parentId" in row]
        self.assertEqual(
            sorted(p["title"] for p in products),
            sorted(p["title"] for p in self.control.state("products")),
        )
        self.assertIn("TSHIRT-BLUE-M", {v["sku"] for v in variants})
        self.assertTrue({v["__parentId"] for v in variants} <= {p["id"] for p in products})
