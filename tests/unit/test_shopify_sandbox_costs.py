"""Cost-based throttling: cost extension, requested vs actual, THROTTLED, MAX_COST_EXCEEDED."""

from graphql import parse

from tests.sandbox.shopify.costs import CostBucket, CostCalculator
from tests.sandbox.shopify.graphql_api import build_admin_schema

NESTED = "{ products(first: 10) { nodes { id variants(first: 20) { nodes { sku } } } } }"


def test_cost_rules_walk_the_query():
    schema = build_admin_schema()
    document = parse(NESTED)
    calculator = CostCalculator(schema, document)
    # connection 2 + 10 × (product 1 + variants connection (2 + 20 × 1))
    assert calculator.operation_cost(document.definitions[0]) == 2 + 10 * (1 + 2 + 20)
    mutation = parse("mutation { a: productCreate(product: {title: \"x\"}) { product { id } } }")
    assert CostCalculator(schema, mutation).operation_cost(mutation.definitions[0]) == 10


def test_cost_extension_refunds_to_actual(shopify_graphql):
    body = shopify_graphql(NESTED).json()
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 232
    # 3 products returned with 6 + 1 + 2 variants: far below the requested price
    assert cost["actualQueryCost"] < cost["requestedQueryCost"]
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == 2000.0 and status["restoreRate"] == 100.0
    assert status["currentlyAvailable"] <= 2000.0 - cost["actualQueryCost"] + 1


def test_variables_drive_requested_cost(shopify_graphql):
    query = "query($n: Int) { products(first: $n) { nodes { id } } }"
    body = shopify_graphql(query, {"n": 50}).json()
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2 + 50


def test_throttled_after_draining_bucket(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.throttle(maximum_available=50, restore_rate=1,
                                     currently_available=50)
    mutation = """mutation Drain { webhookSubscriptionDelete(
        id: "gid://shopify/WebhookSubscription/1") { userErrors { message } } }"""
    outcomes = [shopify_graphql(mutation).json() for _ in range(6)]
    assert all("data" in body for body in outcomes[:5])
    assert outcomes[4]["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 10
    throttled = outcomes[5]
    assert "data" not in throttled
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert throttled["errors"][0]["message"] == "Throttled"
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 10
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    counters = shopify_sandbox.control.counters()["operations"]["Drain"]
    assert counters["outcomes"]["throttled"] == 1 and counters["calls"] == 6


def test_single_query_max_cost(shopify_graphql):
    query = "{ products(first: 250) { nodes { id variants(first: 5) { nodes { id } } } } }"
    body = shopify_graphql(query).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["message"].startswith("Query cost is 2002, which exceeds the single query max "
                                       "cost limit (1000).")
    assert body["extensions"]["cost"]["requestedQueryCost"] == 2002


def test_bucket_restores_over_time():
    bucket = CostBucket(maximum_available=100, restore_rate=1000)
    assert bucket.try_debit(100)
    assert not bucket.try_debit(50)
    import time

    time.sleep(0.06)
    assert bucket.try_debit(50)
