"""The sandbox over HTTPS (a bench-made CA) next to plain HTTP, and a second app on the store:
its own token, secret, webhook subscriptions and counters; product media and collections
(empty) and bulkOperation(id:) — what the peer race needs."""

import json
import time

import pytest
import requests

from tests.sandbox.shopify import ShopifySandbox, sign
from tests.sandbox.shopify.tls import make_certificates

SUBSCRIBE = """mutation Subscribe($topic: WebhookSubscriptionTopic!,
  $subscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription { id topic } userErrors { field message } } }"""
LIST = "query Subs { webhookSubscriptions(first: 50) { nodes { id topic " \
       "endpoint { ... on WebhookHttpEndpoint { callbackUrl } } } } }"


@pytest.fixture(scope="module")
def tls_sandbox(tmp_path_factory):
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    with ShopifySandbox(tls=certificates) as sandbox:
        yield sandbox, certificates


def _graphql(url, token, query, variables=None, **kwargs):
    response = requests.post(f"{url}/admin/api/2026-01/graphql.json",
                             json={"query": query, "variables": variables or {}},
                             headers={"X-Shopify-Access-Token": token}, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_https_serves_the_same_store_as_http_and_needs_the_ca(tls_sandbox):
    sandbox, certificates = tls_sandbox
    assert sandbox.https_base_url.startswith("https://127.0.0.1:")
    assert sandbox.tls_port != sandbox.port
    over_tls = _graphql(sandbox.https_base_url, sandbox.token, "{ shop { name } }",
                        verify=certificates["ca"])
    plain = _graphql(sandbox.base_url, sandbox.token, "{ shop { name } }")
    assert over_tls["data"] == plain["data"] == {"shop": {"name": "Sandbox Retail"}}
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{sandbox.https_base_url}/_sandbox/health", timeout=10)


def test_a_second_app_sees_and_is_signed_for_its_own_subscriptions(tls_sandbox):
    sandbox, certificates = tls_sandbox
    control = sandbox.control
    peer = control.add_app("peer", client_secret="peer-secret")
    assert peer["client_secret"] == "peer-secret"
    ours = _graphql(sandbox.base_url, sandbox.token, SUBSCRIBE, {
        "topic": "ORDERS_CREATE",
        "subscription": {"callbackUrl": "http://127.0.0.1:9/ours", "format": "JSON"}})
    theirs = _graphql(sandbox.https_base_url, peer["token"], SUBSCRIBE, {
        "topic": "ORDERS_CREATE",
        "subscription": {"callbackUrl": "http://127.0.0.1:9/theirs", "format": "JSON"}},
        verify=certificates["ca"])
    assert not ours["data"]["webhookSubscriptionCreate"]["userErrors"]
    assert not theirs["data"]["webhookSubscriptionCreate"]["userErrors"]
    listed = _graphql(sandbox.https_base_url, peer["token"], LIST, verify=certificates["ca"])
    urls = [n["endpoint"]["callbackUrl"] for n in listed["data"]["webhookSubscriptions"]["nodes"]]
    assert urls == ["http://127.0.0.1:9/theirs"]
    # one order: one delivery per app, each signed with its app's secret
    control.configure_webhooks(max_retries=0, timeout=0.5)
    control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1}])
    control.flush_webhooks()
    deliveries = [d for d in control.deliveries()["deliveries"] if d["topic"] == "orders/create"]
    assert sorted(d["url"] for d in deliveries) == ["http://127.0.0.1:9/ours",
                                                    "http://127.0.0.1:9/theirs"]
    store = sandbox.store
    for delivery in store_deliveries(sandbox):
        secret = "peer-secret" if delivery["url"].endswith("theirs") else sandbox.client_secret
        assert sandbox.webhooks.headers(delivery)["X-Shopify-Hmac-Sha256"] == \
            sign(secret, delivery["body"])
    assert json.loads(store_deliveries(sandbox)[0]["body"])["line_items"]
    counters = control.counters()
    assert counters["tokens"][peer["token"]]["Subscribe"]["calls"] == 1
    assert counters["tokens"][sandbox.token]["Subscribe"]["calls"] == 1
    assert store.token_app(peer["token"]) == "peer" and store.token_app(sandbox.token) is None


def store_deliveries(sandbox):
    return [d for d in sandbox.webhooks.deliveries if d["topic"] == "orders/create"]


def test_media_and_collections_are_empty_connections_and_bulk_operation_by_id(
        shopify_sandbox, shopify_graphql):
    """The store models no images or collections: Shopify's fields answer empty connections
    (the OCA peer's product import selects them); ``bulkOperation(id:)`` reads the app's own."""
    data = shopify_graphql("""{ products(first: 5) { nodes { sku: handle
        media(first: 5) { nodes { id alt mediaContentType ... on MediaImage { image { url } } }
                          pageInfo { hasNextPage } }
        collections(first: 5) { nodes { id } }
        variants(first: 5) { nodes { media(first: 5) { nodes { id } } } } } }
        collections(first: 5) { nodes { id title ruleSet { appliedDisjunctively } } } }""",
        version="2026-01").json()
    assert "errors" not in data, data
    products = data["data"]["products"]["nodes"]
    assert len(products) == 3
    assert all(p["media"] == {"nodes": [], "pageInfo": {"hasNextPage": False}} and
               p["collections"] == {"nodes": []} and
               all(v["media"] == {"nodes": []} for v in p["variants"]["nodes"])
               for p in products)
    assert data["data"]["collections"] == {"nodes": []}
    started = shopify_graphql('''mutation { bulkOperationRunQuery(query: """
        { products { edges { node { id media { edges { node { id } } } } } } }
        """) { bulkOperation { id } userErrors { message } } }''').json()
    operation_id = started["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"]
    query = "query($id: ID!) { bulkOperation(id: $id) { id status rootObjectCount } }"
    for _ in range(200):
        found = shopify_graphql(query, {"id": operation_id}).json()["data"]["bulkOperation"]
        if found["status"] == "COMPLETED":
            break
        time.sleep(0.02)
    assert found == {"id": operation_id, "status": "COMPLETED", "rootObjectCount": "3"}
    other = shopify_sandbox.store.add_app("other")["token"]
    assert shopify_graphql(query, {"id": operation_id}, token=other).json()["data"] == {
        "bulkOperation": None}


def test_current_app_installation_lists_the_tokens_scopes(shopify_sandbox, shopify_graphql):
    query = "{ currentAppInstallation { id accessScopes { handle } } }"
    limited = shopify_sandbox.store.add_token(scopes=["read_orders", "read_products"])
    answer = shopify_graphql(query, token=limited, version="2026-01").json()
    assert answer["data"]["currentAppInstallation"] == {
        "id": "gid://shopify/AppInstallation/1",
        "accessScopes": [{"handle": "read_orders"}, {"handle": "read_products"}]}
    other = shopify_sandbox.store.add_app("other")["token"]
    installation = shopify_graphql(query, token=other).json()["data"]["currentAppInstallation"]
    assert installation["id"] == "gid://shopify/AppInstallation/2"
    assert {"handle": "write_inventory"} in installation["accessScopes"]


def test_webhook_subscription_update_moves_the_apps_own_subscription_only(
        shopify_sandbox, shopify_graphql):
    update = """mutation($id: ID!, $s: WebhookSubscriptionInput!) {
        webhookSubscriptionUpdate(id: $id, webhookSubscription: $s) {
        webhookSubscription { id endpoint { ... on WebhookHttpEndpoint { callbackUrl } } }
        userErrors { field message } } }"""
    created = shopify_graphql(SUBSCRIBE, {"topic": "ORDERS_CREATE", "subscription": {
        "callbackUrl": "https://example.com/old"}}).json()
    subscription = created["data"]["webhookSubscriptionCreate"]["webhookSubscription"]["id"]
    other = shopify_sandbox.store.add_app("other")["token"]
    refused = shopify_graphql(update, {"id": subscription, "s": {
        "callbackUrl": "https://example.com/stolen"}}, token=other).json()
    assert refused["data"]["webhookSubscriptionUpdate"] == {"webhookSubscription": None,
        "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
    moved = shopify_graphql(update, {"id": subscription, "s": {
        "callbackUrl": "https://example.com/new"}}).json()["data"]["webhookSubscriptionUpdate"]
    assert moved["userErrors"] == []
    assert moved["webhookSubscription"]["endpoint"] == {"callbackUrl": "https://example.com/new"}
    with shopify_sandbox.store.lock:
        urls = {s["callback_url"] for s in shopify_sandbox.store.webhook_subscriptions.values()}
    assert "https://example.com/new" in urls and "https://example.com/old" not in urls
