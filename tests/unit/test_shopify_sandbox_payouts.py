"""Shopify Payments in the sandbox: payouts and balance transactions over GraphQL, through
the ShopifyAPI library, filtered, paged, priced and scope-checked like Shopify's."""

import json
from decimal import Decimal

import pytest
import shopify

from tests.sandbox.shopify.client import SandboxControlError

PAYOUTS = """
query Payouts($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after, query: $query) {
      nodes { id legacyResourceId issuedAt status net { amount currencyCode } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""

TRANSACTIONS = """
query PayoutTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query) {
      nodes { id type transactionDate
        net { amount currencyCode } amount { amount currencyCode } fee { amount }
        associatedPayout { id status } associatedOrder { id name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


@pytest.fixture
def shopify_session(shopify_sandbox):
    session = shopify.Session("sandbox-retail.myshopify.com", "2026-04", shopify_sandbox.token)
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = shopify_sandbox.admin_url("2026-04")
    yield shopify.GraphQL()
    shopify.ShopifyResource.clear_session()


def _run(client, document, **variables):
    return json.loads(client.execute(document, variables=variables))


def _paid_order(control, sku, quantity):
    return control.place_order([{"sku": sku, "quantity": quantity}],
                               customer={"email": f"{sku.lower()}@example.com"}, tax_rate=0.2)


def test_no_account_before_the_first_payout(shopify_session):
    body = _run(shopify_session, PAYOUTS, first=5)
    assert body["data"] == {"shopifyPaymentsAccount": None}


def test_payout_settles_charges_refunds_adjustments(shopify_sandbox, shopify_session):
    control = shopify_sandbox.control
    first = _paid_order(control, "TSHIRT-BLUE-M", 2)
    second = _paid_order(control, "TOTE-NATURAL", 1)
    refund = control.refund_order(second["id"], line_items=[
        {"sku": "TOTE-NATURAL", "quantity": 1, "restock_type": "NO_RESTOCK"}])
    payout = control.create_payout(fee_rate=0.029, fee_fixed=0.30,
                                   adjustments=[{"amount": "-4.50", "reason": "chargeback"}])

    listed = _run(shopify_session, PAYOUTS, first=5, query="status:PAID")
    nodes = listed["data"]["shopifyPaymentsAccount"]["payouts"]["nodes"]
    assert [n["legacyResourceId"] for n in nodes] == [str(payout["id"])]
    assert nodes[0]["status"] == "PAID"
    assert _run(shopify_session, PAYOUTS, first=5, query="status:SCHEDULED")[
        "data"]["shopifyPaymentsAccount"]["payouts"]["nodes"] == []

    rows, after = [], None
    while True:  # two a page, so the cursor is exercised
        page = _run(shopify_session, TRANSACTIONS, first=2, after=after,
                    query=f"payments_transfer_id:{payout['id']}")
        connection = page["data"]["shopifyPaymentsAccount"]["balanceTransactions"]
        rows += connection["nodes"]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert sorted(r["type"] for r in rows) == ["ADJUSTMENT", "CHARGE", "CHARGE", "REFUND"]
    by_order = {r["associatedOrder"]["name"]: r for r in rows
                if r["type"] == "CHARGE"}
    for order in (first, second):
        charge = by_order[order["name"]]
        total = Decimal(order["total_price"])
        fee = (total * Decimal("0.029") + Decimal("0.30")).quantize(Decimal("0.01"))
        assert Decimal(charge["amount"]["amount"]) == total
        assert Decimal(charge["fee"]["amount"]) == fee
        assert Decimal(charge["net"]["amount"]) == total - fee
        assert charge["associatedOrder"]["id"] == f"gid://shopify/Order/{order['id']}"
    refunded = next(r for r in rows if r["type"] == "REFUND")
    assert Decimal(refunded["amount"]["amount"]) == -Decimal(refund["total_refunded"])
    assert all(r["associatedPayout"] == {"id": f"gid://shopify/ShopifyPaymentsPayout/"
                                         f"{payout['id']}", "status": "PAID"} for r in rows)
    assert Decimal(nodes[0]["net"]["amount"]) == sum(Decimal(r["net"]["amount"]) for r in rows)
    assert nodes[0]["net"]["currencyCode"] == "EUR"

    # Everything is settled now: a second payout has nothing but its adjustment.
    again = control.create_payout(adjustments=[{"amount": "1.00"}])
    assert [t["type"] for t in again["balance_transactions"]] == ["ADJUSTMENT"]


def test_payouts_cost_and_scope(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.create_payout(adjustments=[{"amount": "10.00"}])
    body = shopify_graphql(PAYOUTS, {"first": 10}).json()
    # account 1 + connection 2 + 10 × (payout 1 + net 1)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 23
    assert body["extensions"]["cost"]["actualQueryCost"] == 5
    token = shopify_sandbox.control.add_token(scopes="read_orders")
    denied = shopify_graphql(PAYOUTS, {"first": 1}, token=token).json()
    assert denied["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_shopify_payments_payouts" in denied["errors"][0]["message"]


def test_bad_payout_requests_create_nothing(shopify_sandbox):
    control = shopify_sandbox.control
    _paid_order(control, "TSHIRT-BLUE-M", 1)
    for kwargs, message in (({"order_ids": [42]}, "does not exist"),
                            ({"adjustments": [{"amount": "abc"}]}, "decimal amount"),
                            ({"status": "LOST"}, "Unknown payout status")):
        with pytest.raises(SandboxControlError, match=message):
            control.create_payout(**kwargs)
    assert control.state("payouts") == []
    assert control.state("balance_transactions") == []
    assert len(control.create_payout()["balance_transactions"]) == 1
