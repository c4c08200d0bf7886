"""Property tests of the Shopify sandbox's order money, read back from its REST bodies (and
its GraphQL transactions): whatever order the generator draws, the figures Shopify would send
add up. ``SANDBOX_ORDER_EXAMPLES`` (env) sets how many orders each property draws."""

import os
from decimal import Decimal

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.shopify.order_generator import place_order_kwargs, refund_spec

EXAMPLES = int(os.environ.get("SANDBOX_ORDER_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                    derandomize=bool(os.environ.get("CI")),  # CI: same draw each run
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])
TRANSACTIONS = """query($id: ID!) { order(id: $id) {
  transactions { kind status gateway amountSet { shopMoney { amount } } parentTransaction { id } }
} }"""


def d(value):
    return Decimal(str(value))


@pytest.fixture(scope="module")
def sandbox(shopify_sandbox_server):
    shopify_sandbox_server.reset()
    shopify_sandbox_server.control.reset(seed=True)
    shopify_sandbox_server.webhooks.configure(backoff_factor=0.0005, max_retries=0,
                                              timeout=1.0)
    return shopify_sandbox_server


def transactions_of(sandbox, order_id):
    response = requests.post(sandbox.graphql_url("2026-04"), timeout=10, json={
        "query": TRANSACTIONS, "variables": {"id": f"gid://shopify/Order/{order_id}"}},
        headers={"X-Shopify-Access-Token": sandbox.token})
    return response.json()["data"]["order"]["transactions"]


def check_order(order, transactions):
    """Every invariant of one order's REST body (and its transactions)."""
    goods = [li for li in order["line_items"] if "tip" not in li]
    gross = sum((d(li["price"]) * li["quantity"] for li in goods), Decimal(0))
    line_disc = sum((d(a["amount"]) for li in goods for a in li["discount_allocations"]),
                    Decimal(0))
    ship = sum((d(s["price"]) for s in order["shipping_lines"]), Decimal(0))
    ship_disc = sum((d(a["amount"]) for s in order["shipping_lines"]
                     for a in s["discount_allocations"]), Decimal(0))
    tax = d(order["total_tax"])
    tip = d(order["total_tip_received"])
    assert gross == d(order["total_line_items_price"])
    assert gross - line_disc == d(order["subtotal_price"])
    assert line_disc + ship_disc == d(order["total_discounts"])
    excluded = Decimal(0) if order["taxes_included"] else tax
    assert gross - line_disc + ship - ship_disc + excluded + tip == d(order["total_price"])
    for line in order["line_items"]:
        allocated = sum((d(a["amount"]) for a in line["discount_allocations"]), Decimal(0))
        assert allocated == d(line["total_discount"])
        assert 0 <= allocated <= d(line["price"]) * line["quantity"]
        assert all(d(a["amount"]) > 0 for a in line["discount_allocations"])
        if line["gift_card"] or "tip" in line:
            assert line["tax_lines"] == [] and line["discount_allocations"] == []
    for shipping in order["shipping_lines"]:
        assert d(shipping["discounted_price"]) == d(shipping["price"]) - sum(
            (d(a["amount"]) for a in shipping["discount_allocations"]), Decimal(0))
        assert d(shipping["discounted_price"]) >= 0
    by_key = {}
    for holder in order["line_items"] + order["shipping_lines"]:
        net = (d(holder["price"]) * holder.get("quantity", 1)) - sum(
            (d(a["amount"]) for a in holder["discount_allocations"]), Decimal(0))
        rates = sum((d(t["rate"]) for t in holder["tax_lines"]), Decimal(0))
        for tax_line in holder["tax_lines"]:
            exact = net * d(tax_line["rate"]) / ((1 + rates) if order["taxes_included"] else 1)
            assert abs(d(tax_line["price"]) - exact) <= Decimal("0.005"), (holder, tax_line)
            key = (tax_line["title"], tax_line["rate"])
            by_key[key] = by_key.get(key, Decimal(0)) + d(tax_line["price"])
    assert by_key == {
        (t["title"], t["rate"]): d(t["price"]) for t in order["tax_lines"]}
    assert sum(by_key.values(), Decimal(0)) == tax
    applications = order["discount_applications"]
    for holder in order["line_items"] + order["shipping_lines"]:
        for allocation in holder["discount_allocations"]:
            application = applications[allocation["discount_application_index"]]
            target = "shipping_line" if holder in order["shipping_lines"] else "line_item"
            assert application["target_type"] == target
    paid = sum((d(t["amountSet"]["shopMoney"]["amount"]) for t in transactions
                if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"), Decimal(0))
    refunded = sum((d(t["amountSet"]["shopMoney"]["amount"]) for t in transactions
                    if t["kind"] == "REFUND" and t["status"] == "SUCCESS"), Decimal(0))
    if order["financial_status"] in ("paid", "partially_refunded", "refunded"):
        assert paid == d(order["total_price"])
    assert d(order["current_total_price"]) == d(order["total_price"]) - refunded
    assert d(order["total_outstanding"]) == d(order["current_total_price"]) - (paid - refunded)
    for refund in order["refunds"]:
        check_refund(refund, order["taxes_included"])


def check_refund(refund, included):
    lines = sum((d(r["subtotal"]) + (0 if included else d(r["total_tax"]))
                 for r in refund["refund_line_items"]), Decimal(0))
    shipping = sum((d(s["subtotal_amount_set"]["shop_money"]["amount"])
                    + (0 if included else d(s["tax_amount_set"]["shop_money"]["amount"]))
                    for s in refund["refund_shipping_lines"]), Decimal(0))
    adjustments = sum((d(a["amount"]) + d(a["tax_amount"]) for a in refund["order_adjustments"]),
                      Decimal(0))
    paid_back = sum((d(t["amount"]) for t in refund["transactions"]
                     if t["status"] == "success"), Decimal(0))
    assert paid_back == lines + shipping - adjustments
    assert all(t["kind"] == "refund" and t["parent_id"] for t in refund["transactions"])
    gateways = [t["gateway"] for t in refund["transactions"]]
    assert len(gateways) == len(set(gateways)), "one refund transaction per gateway"


@SETTINGS
@given(kwargs=place_order_kwargs())
def test_placed_orders_add_up(sandbox, kwargs):
    order = sandbox.control.place_order(**kwargs)
    body = sandbox.control.rest("orders", order["id"])
    assert body["financial_status"] == "paid"
    check_order(body, transactions_of(sandbox, order["id"]))


@SETTINGS
@given(kwargs=place_order_kwargs(), data=st.data())
def test_refunds_add_up(sandbox, kwargs, data):
    order = sandbox.control.place_order(**kwargs)
    body = sandbox.control.rest("orders", order["id"])
    for _ in range(data.draw(st.integers(1, 2))):
        spec = data.draw(refund_spec(body))
        fee = spec.pop("restocking_fee")
        if not spec["line_items"] and not spec.get("shipping"):
            continue
        calculated = sandbox.control.calculate_refund(order["id"], spec["line_items"],
                                                      spec.get("shipping"))
        if fee and d(calculated["amount"]) > d(fee):
            spec["amount"] = str(d(calculated["amount"]) - d(fee))
        refund = sandbox.control.refund_order(order["id"], **spec)
        rest = sandbox.control.rest("refunds", refund["id"])
        check_refund(rest, body["taxes_included"])
        if spec.get("amount"):
            assert sum(d(a["amount"]) for a in rest["order_adjustments"]) == d(fee)
        before = {li["id"]: li["current_quantity"] for li in body["line_items"]}
        body = sandbox.control.rest("orders", order["id"])
        refunded_units = {r["line_item_id"]: r["quantity"] for r in rest["refund_line_items"]}
        for line in body["line_items"]:
            assert line["current_quantity"] == before[line["id"]] - refunded_units.get(
                line["id"], 0)
    check_order(body, transactions_of(sandbox, order["id"]))
    if any(r["transactions"] for r in body["refunds"]):
        assert body["financial_status"] in ("partially_refunded", "refunded")
