"""Order fields Shopify's Admin GraphQL has and the OCA peer's order query reads (issue 15),
each served from the sandbox's own order state, and the one field no version has
(``Order.orderNumber``) refused in Shopify's words.

Values are derived from what the order holds: its number is its name without ``#``, the
current shipping price is the discounted shipping less what refunds took back, a line's unit
price after all discounts is its total less every allocation over its quantity.
"""

from decimal import Decimal

ORDER = """query($id: ID!) { order(id: $id) {
  name number sourceName sourceIdentifier retailLocation { id name }
  totalCashRoundingAdjustment { paymentSet { shopMoney { amount currencyCode } }
                                refundSet { shopMoney { amount } } }
  currentShippingPriceSet { shopMoney { amount } presentmentMoney { amount } }
  risk { assessments { riskLevel } recommendation }
  returns(first: 10) { nodes { id } }
  lineItems(first: 10) { nodes { quantity isGiftCard product { isGiftCard }
    originalUnitPriceSet { shopMoney { amount } }
    discountedUnitPriceAfterAllDiscountsSet { shopMoney { amount } }
    discountAllocations { allocatedAmountSet { shopMoney { amount } }
      discountApplication { __typename
        ... on AutomaticDiscountApplication { title targetType } } } } }
  shippingLines(first: 5) { nodes { discountedPriceSet { shopMoney { amount } }
                                    currentDiscountedPriceSet { shopMoney { amount } } } }
  transactions(first: 10) { gateway formattedGateway }
} }"""


def d(value):
    return Decimal(str(value))


def order_data(shopify_graphql, order, version="2026-01"):
    body = shopify_graphql(ORDER, {"id": order["admin_graphql_api_id"]}, version=version).json()
    assert "errors" not in body, body
    return body["data"]["order"]


def test_order_fields_come_from_the_orders_own_state(shopify_sandbox, shopify_graphql):
    order = shopify_sandbox.control.place_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 3, "price": "10.00"},
         {"gift_card": True, "title": "Gift Card", "price": "25.00"}],
        customer={"email": "fields@example.com"},
        discounts=[{"title": "Spring", "automatic": True, "amount": "1.00"}],
        shipping={"title": "Standard", "price": "6.00"}, tax_rate=0.2,
        payments=[{"gateway": "shopify_payments"}])
    data = order_data(shopify_graphql, order)
    assert data["number"] == int(data["name"].lstrip("#"))
    assert (data["sourceName"], data["sourceIdentifier"]) == ("web", None)
    assert data["retailLocation"] is None  # a web order has no retail location
    cash = data["totalCashRoundingAdjustment"]
    assert cash["paymentSet"]["shopMoney"]["amount"] == "0.00"
    assert cash["refundSet"]["shopMoney"]["amount"] == "0.00"
    assert data["risk"] == {"assessments": [], "recommendation": "NONE"}
    assert data["returns"] == {"nodes": []}
    shirt, gift = data["lineItems"]["nodes"]
    assert (shirt["isGiftCard"], shirt["product"]["isGiftCard"]) == (False, False)
    assert gift["isGiftCard"] is True
    allocated = sum(d(a["allocatedAmountSet"]["shopMoney"]["amount"])
                    for a in shirt["discountAllocations"])
    assert allocated > 0
    after_all = (d(shirt["originalUnitPriceSet"]["shopMoney"]["amount"]) * shirt["quantity"]
                 - allocated) / shirt["quantity"]
    assert d(shirt["discountedUnitPriceAfterAllDiscountsSet"]["shopMoney"]["amount"]) == \
        after_all.quantize(Decimal("0.01"))
    applications = {a["discountApplication"]["__typename"] for line in (shirt, gift)
                    for a in line["discountAllocations"]}
    assert applications == {"AutomaticDiscountApplication"}
    (ship,) = data["shippingLines"]["nodes"]
    assert ship["currentDiscountedPriceSet"] == ship["discountedPriceSet"]
    assert data["currentShippingPriceSet"]["shopMoney"]["amount"] == "6.00"
    assert [(t["gateway"], t["formattedGateway"]) for t in data["transactions"]] == [
        ("shopify_payments", "Shopify Payments")]


def test_current_shipping_follows_a_shipping_refund(shopify_sandbox, shopify_graphql):
    control = shopify_sandbox.control
    order = control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1, "price": "10.00"}],
                                customer={"email": "ship@example.com"},
                                shipping={"title": "Standard", "price": "6.00"})
    control.refund_order(order["id"], [], shipping={"amount": "2.50"})
    data = order_data(shopify_graphql, order)
    (ship,) = data["shippingLines"]["nodes"]
    assert ship["discountedPriceSet"]["shopMoney"]["amount"] == "6.00"
    assert ship["currentDiscountedPriceSet"]["shopMoney"]["amount"] == "3.50"
    assert data["currentShippingPriceSet"]["shopMoney"]["amount"] == "3.50"


def test_point_of_sale_order_names_its_retail_location(shopify_sandbox, shopify_graphql):
    order = shopify_sandbox.control.place_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 1}], customer={"email": "pos@example.com"},
        source_name="pos")
    data = order_data(shopify_graphql, order)
    location = shopify_sandbox.store.locations[order["location_id"]]
    assert data["sourceName"] == "pos"
    assert data["retailLocation"]["name"] == location["name"]


def test_order_number_field_does_not_exist_in_any_version(shopify_sandbox, shopify_graphql):
    order = shopify_sandbox.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1}],
                                                customer={"email": "nr@example.com"})
    for version in ("2026-01", "2026-04"):
        body = shopify_graphql("query($id: ID!) { order(id: $id) { id orderNumber } }",
                               {"id": order["admin_graphql_api_id"]}, version=version).json()
        assert "data" not in body
        (error,) = body["errors"]
        assert error["message"] == "Field 'orderNumber' doesn't exist on type 'Order'"
        assert error["extensions"] == {"code": "undefinedField", "typeName": "Order",
                                       "fieldName": "orderNumber"}


def test_inventory_level_is_active_only_from_2026_04(shopify_sandbox, shopify_graphql):
    variant = next(iter(shopify_sandbox.store.variants.values()))
    item = f"gid://shopify/InventoryItem/{variant['inventory_item_id']}"
    location = f"gid://shopify/Location/{next(iter(shopify_sandbox.store.locations))}"
    query = """query($item: ID!, $location: ID!) { inventoryItem(id: $item) {
      inventoryLevel(locationId: $location, includeInactive: true) { isActive
        quantities(names: ["available"]) { quantity } } } }"""
    variables = {"item": item, "location": location}
    newer = shopify_graphql(query, variables, version="2026-04").json()
    assert newer["data"]["inventoryItem"]["inventoryLevel"]["isActive"] is True
    older = shopify_graphql(query, variables, version="2026-01").json()
    assert "data" not in older
    messages = sorted(e["message"] for e in older["errors"])
    assert "Field 'isActive' doesn't exist on type 'InventoryLevel'" in messages
    assert any("includeInactive" in m for m in messages), messages


LINE_DISCOUNTS = """query($id: ID!) { order(id: $id) { lineItems(first: 10) { nodes {
  quantity originalTotalSet { shopMoney { amount } }
  discountedTotalSet { shopMoney { amount } }
  withCodes: discountedTotalSet(withCodeDiscounts: true) { shopMoney { amount } }
  discountedUnitPriceSet { shopMoney { amount } }
  discountAllocations { allocatedAmountSet { shopMoney { amount } }
    discountApplication { __typename targetSelection } } } } } }"""


def test_discounted_line_prices_leave_out_order_level_and_code_discounts(
        shopify_sandbox, shopify_graphql):
    """Shopify: a line's discountedTotalSet and discountedUnitPriceSet include line-level
    discounts only, not order-level ones (targeting ALL lines), and code-based ones only
    with ``withCodeDiscounts: true`` (the total; never the unit price)."""
    order = shopify_sandbox.control.place_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 2, "price": "10.00",
          "discounts": [{"amount": "1.00", "title": "Manager"}]},
         {"sku": "TSHIRT-BLUE-S", "quantity": 3, "price": "20.00",
          "discounts": [{"amount": "2.00", "code": "LINE2"}]}],
        customer={"email": "line-discounts@example.com"},
        discounts=[{"amount": "3.00", "title": "Order promo"}],
        payments=[{"gateway": "shopify_payments"}])
    body = shopify_graphql(LINE_DISCOUNTS, {"id": order["admin_graphql_api_id"]},
                           version="2026-04").json()
    assert "errors" not in body, body
    kinds = set()
    for line in body["data"]["order"]["lineItems"]["nodes"]:
        line_level = code_level = Decimal(0)
        for allocation in line["discountAllocations"]:
            application = allocation["discountApplication"]
            amount = d(allocation["allocatedAmountSet"]["shopMoney"]["amount"])
            if application["targetSelection"] == "ALL":
                kinds.add("order")
            elif application["__typename"] == "DiscountCodeApplication":
                kinds.add("code")
                code_level += amount
            else:
                kinds.add("line")
                line_level += amount
        original = d(line["originalTotalSet"]["shopMoney"]["amount"])
        assert d(line["discountedTotalSet"]["shopMoney"]["amount"]) == original - line_level
        assert d(line["withCodes"]["shopMoney"]["amount"]) == original - line_level - code_level
        unit = (original - line_level) / line["quantity"]
        assert d(line["discountedUnitPriceSet"]["shopMoney"]["amount"]) == unit.quantize(
            Decimal("0.01"))
    assert kinds == {"order", "code", "line"}, kinds
