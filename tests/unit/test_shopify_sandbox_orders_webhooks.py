"""Orders through their life cycle, and the webhooks they fire (HMAC, headers, retries,
duplicates, reordering)."""

import base64
import hashlib
import hmac

ORDER_QUERY = """query($id: ID!) { order(id: $id) {
  name displayFinancialStatus displayFulfillmentStatus currencyCode
  totalPriceSet { shopMoney { amount currencyCode } }
  subtotalPriceSet { shopMoney { amount } } totalTaxSet { shopMoney { amount } }
  totalDiscountsSet { shopMoney { amount } } discountCodes
  taxLines { title rate ratePercentage priceSet { shopMoney { amount } } }
  discountApplications(first: 5) { nodes { allocationMethod
    value { ... on PricingPercentageValue { percentage } }
    ... on DiscountCodeApplication { code } } }
  lineItems(first: 10) { nodes { id sku quantity
    originalUnitPriceSet { shopMoney { amount } }
    discountAllocations { allocatedAmountSet { shopMoney { amount } } } } }
  shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } } }
  customer { email }
  fulfillmentOrders(first: 5) { nodes { id status
    lineItems(first: 10) { nodes { id remainingQuantity lineItem { sku } } } } }
  transactions { kind amountSet { shopMoney { amount } } } } }"""


def _place(shopify_sandbox, **extra):
    return shopify_sandbox.control.place_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 2}, {"sku": "TOTE-NATURAL", "quantity": 1}],
        customer={"email": "jane.doe@example.com"}, tax_rate=0.2,
        discount={"code": "SAVE10", "percentage": 10},
        shipping={"title": "Standard", "price": "5.00"}, **extra)


def test_order_totals_taxes_discounts_in_graphql(shopify_sandbox, shopify_graphql):
    order = _place(shopify_sandbox)
    data = shopify_graphql(ORDER_QUERY, {"id": f"gid://shopify/Order/{order['id']}"}
                           ).json()["data"]["order"]
    # lines 2 × 19.90 + 24.00 = 63.80; 10 % off = 6.38; tax 20 % of 57.42 + 5.00 shipping
    assert data["subtotalPriceSet"]["shopMoney"]["amount"] == "57.42"
    assert data["totalDiscountsSet"]["shopMoney"]["amount"] == "6.38"
    assert data["totalTaxSet"]["shopMoney"]["amount"] == "12.48"
    assert data["totalPriceSet"]["shopMoney"] == {"amount": "74.90", "currencyCode": "EUR"}
    assert data["discountCodes"] == ["SAVE10"]
    assert data["discountApplications"]["nodes"][0] == {
        "allocationMethod": "ACROSS", "value": {"percentage": 10.0}, "code": "SAVE10"}
    assert data["taxLines"][0]["ratePercentage"] == 20.0
    assert data["displayFinancialStatus"] == "PAID"
    assert data["transactions"][0] == {"kind": "SALE",
                                       "amountSet": {"shopMoney": {"amount": "74.90"}}}
    allocations = [n["discountAllocations"][0]["allocatedAmountSet"]["shopMoney"]["amount"]
                   for n in data["lineItems"]["nodes"]]
    assert sorted(allocations) == ["2.40", "3.98"]
    assert data["customer"]["email"] == "jane.doe@example.com"


def test_orders_updated_at_filter_and_fulfillment_and_refund(shopify_sandbox, shopify_graphql):
    order = _place(shopify_sandbox, financial_status="pending")
    gid = f"gid://shopify/Order/{order['id']}"
    listed = shopify_graphql('{ orders(first: 5, query: "updated_at:>=\'2020-01-01T00:00:00Z\' '
                             'financial_status:pending") { nodes { id } } }').json()
    assert [n["id"] for n in listed["data"]["orders"]["nodes"]] == [gid]
    paid = shopify_graphql("""mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) {
        order { displayFinancialStatus } userErrors { message } } }""", {"id": gid}).json()
    assert paid["data"]["orderMarkAsPaid"]["order"]["displayFinancialStatus"] == "PAID"
    fulfillment_order = shopify_graphql(ORDER_QUERY, {"id": gid}).json()["data"]["order"][
        "fulfillmentOrders"]["nodes"][0]
    line = fulfillment_order["lineItems"]["nodes"][0]
    created = shopify_graphql("""mutation($f: FulfillmentInput!) { fulfillmentCreate(
        fulfillment: $f) { fulfillment { status trackingInfo { number } }
        userErrors { field message } } }""", {"f": {
        "trackingInfo": {"company": "DHL", "number": "TRACK1"},
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": fulfillment_order["id"],
            "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 2}]}]}}).json()
    assert created["data"]["fulfillmentCreate"]["fulfillment"] == {
        "status": "SUCCESS", "trackingInfo": [{"number": "TRACK1"}]}
    status = shopify_graphql(ORDER_QUERY, {"id": gid}).json()["data"]["order"]
    assert status["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    too_many = shopify_graphql("""mutation($f: FulfillmentInput!) { fulfillmentCreate(
        fulfillment: $f) { fulfillment { id } userErrors { field message } } }""", {"f": {
        "lineItemsByFulfillmentOrder": [{
            "fulfillmentOrderId": fulfillment_order["id"],
            "fulfillmentOrderLineItems": [{"id": line["id"], "quantity": 1}]}]}}).json()
    assert too_many["data"]["fulfillmentCreate"]["userErrors"]
    refund = shopify_graphql("""mutation($input: RefundInput!) { refundCreate(input: $input) {
        refund { totalRefundedSet { shopMoney { amount } } } order { displayFinancialStatus }
        userErrors { field message } } }""", {"input": {
        "orderId": gid, "refundLineItems": [{
            "lineItemId": status["lineItems"]["nodes"][1]["id"], "quantity": 1,
            "restockType": "CANCEL"}]}}).json()["data"]["refundCreate"]
    # tote 24.00 − 2.40 discount, + 20 % tax
    assert refund["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "25.92"
    assert refund["order"]["displayFinancialStatus"] == "PARTIALLY_REFUNDED"
    tote = shopify_sandbox.control.inventory_level("TOTE-NATURAL")
    assert tote["quantities"]["available"] == 40 and tote["quantities"]["committed"] == 0


def _subscribe(shopify_sandbox, receiver, *topics):
    for topic in topics:
        shopify_sandbox.control.subscribe(topic, receiver["url"])


def test_webhook_delivered_with_valid_hmac_and_headers(shopify_sandbox, shopify_graphql,
                                                       shopify_webhook_receiver):
    created = shopify_graphql("""mutation($url: URL!) { webhookSubscriptionCreate(
        topic: ORDERS_CREATE, webhookSubscription: {callbackUrl: $url, format: JSON}) {
        webhookSubscription { id topic endpoint { ... on WebhookHttpEndpoint { callbackUrl } } }
        userErrors { message } } }""", {"url": shopify_webhook_receiver["url"]}).json()
    subscription = created["data"]["webhookSubscriptionCreate"]["webhookSubscription"]
    assert subscription["topic"] == "ORDERS_CREATE"
    order = _place(shopify_sandbox)
    assert shopify_sandbox.control.flush_webhooks()["done"]
    [request] = shopify_webhook_receiver["requests"]
    headers, body = request["headers"], request["body"]
    expected = base64.b64encode(hmac.new(shopify_sandbox.client_secret.encode(), body,
                                         hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["X-Shopify-Hmac-Sha256"], expected)
    assert headers["X-Shopify-Topic"] == "orders/create"
    assert headers["X-Shopify-Shop-Domain"] == "sandbox-retail.myshopify.com"
    assert headers["X-Shopify-API-Version"] == "2026-04"
    for name in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
        assert headers[name]
    payload = shopify_webhook_receiver["json"](request)
    assert payload["id"] == order["id"] and isinstance(payload["id"], int)
    assert payload["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert payload["total_price"] == "74.90" and payload["financial_status"] == "paid"
    assert payload["line_items"][0]["sku"] == "TSHIRT-BLUE-M"
    assert payload["total_price_set"]["shop_money"] == {"amount": "74.90",
                                                        "currency_code": "EUR"}


def test_webhook_retried_after_500(shopify_sandbox, shopify_webhook_receiver):
    _subscribe(shopify_sandbox, shopify_webhook_receiver, "orders/paid")
    shopify_webhook_receiver["fail_next"] = 2
    _place(shopify_sandbox)
    assert shopify_sandbox.control.flush_webhooks()["done"]
    statuses = [r["status"] for r in shopify_webhook_receiver["requests"]]
    assert statuses == [500, 500, 200]
    ids = {r["headers"]["X-Shopify-Webhook-Id"] for r in shopify_webhook_receiver["requests"]}
    bodies = {r["body"] for r in shopify_webhook_receiver["requests"]}
    assert len(ids) == 1 and len(bodies) == 1
    [delivery] = shopify_sandbox.control.deliveries()["deliveries"]
    assert delivery["state"] == "delivered" and len(delivery["attempts"]) == 3


def test_webhook_gives_up_after_max_retries(shopify_sandbox, shopify_webhook_receiver):
    shopify_sandbox.control.configure_webhooks(max_retries=2)
    _subscribe(shopify_sandbox, shopify_webhook_receiver, "customers/create")
    shopify_webhook_receiver["fail_next"] = 10
    shopify_sandbox.control.add_customer(email="new@example.com", first_name="New")
    assert shopify_sandbox.control.flush_webhooks()["done"]
    [delivery] = shopify_sandbox.control.deliveries()["deliveries"]
    assert delivery["state"] == "failed" and len(delivery["attempts"]) == 3


def test_duplicate_and_reordered_deliveries(shopify_sandbox, shopify_webhook_receiver):
    _subscribe(shopify_sandbox, shopify_webhook_receiver, "inventory_levels/update")
    shopify_sandbox.control.add_fault("webhook_duplicate", count=1)
    shopify_sandbox.control.set_inventory("TOTE-NATURAL", 7)
    assert shopify_sandbox.control.flush_webhooks()["done"]
    first, second = shopify_webhook_receiver["requests"]
    assert first["headers"]["X-Shopify-Webhook-Id"] == second["headers"]["X-Shopify-Webhook-Id"]
    shopify_webhook_receiver["requests"].clear()
    shopify_sandbox.control.add_fault("webhook_reorder", count=3)
    for quantity in (1, 2, 3):
        shopify_sandbox.control.set_inventory("TOTE-NATURAL", quantity)
    assert shopify_sandbox.control.flush_webhooks()["done"]
    received = [shopify_webhook_receiver["json"](r)["available"]
                for r in shopify_webhook_receiver["requests"]]
    assert received == [3, 2, 1]


def test_refund_and_cancel_webhooks(shopify_sandbox, shopify_webhook_receiver):
    _subscribe(shopify_sandbox, shopify_webhook_receiver, "refunds/create", "orders/cancelled")
    order = _place(shopify_sandbox)
    shopify_sandbox.control.cancel_order(order["id"], reason="CUSTOMER", refund=True)
    assert shopify_sandbox.control.flush_webhooks()["done"]
    by_topic = {r["headers"]["X-Shopify-Topic"]: shopify_webhook_receiver["json"](r)
                for r in shopify_webhook_receiver["requests"]}
    assert by_topic["refunds/create"]["order_id"] == order["id"]
    assert by_topic["refunds/create"]["transactions"][0]["kind"] == "refund"
    assert by_topic["orders/cancelled"]["cancel_reason"] == "customer"
    assert by_topic["orders/cancelled"]["financial_status"] == "refunded"
    level = shopify_sandbox.control.inventory_level("TSHIRT-BLUE-M",
                                                    shopify_sandbox.seeded["locations"]["main"])
    assert level["quantities"] == dict(level["quantities"], available=25, committed=0)
