"""The sandbox over HTTPS (a bench-made CA) next to plain HTTP, and a second app on the store:
its own token, secret, webhook subscriptions and counters (the peer race's needs)."""

import json

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
