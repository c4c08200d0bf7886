"""Values the sandbox answers are typed as Shopify's schema types them: each error-code enum
of its own, CountryCode as an enum (an unknown code is refused before the resolver runs)."""

import uuid

ADJUST = """mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta quantityAfterChange } }
    userErrors { field message code } } }"""

CUSTOMER_CREATE = """mutation($input: CustomerInput!) { customerCreate(input: $input) {
  customer { addressesV2(first: 5) { nodes { countryCodeV2 } } } userErrors { message } } }"""


def _adjust(shopify_graphql, version, name, item, location, delta=1):
    return shopify_graphql(ADJUST, {"key": str(uuid.uuid4()), "input": {
        "name": name, "reason": "correction", "changes": [
            {"inventoryItemId": item, "locationId": location, "delta": delta,
             "changeFromQuantity": None}]}}, version=version).json()


def test_adjust_answers_its_own_error_codes(shopify_graphql, shopify_sandbox):
    tote = shopify_sandbox.control.inventory_level("TOTE-NATURAL")
    item = f"gid://shopify/InventoryItem/{tote['item_id']}"
    other = f"gid://shopify/Location/{shopify_sandbox.seeded['locations']['store']}"
    bad_name = _adjust(shopify_graphql, "2026-07", "committed", item, other)
    assert "errors" not in bad_name
    codes = [e["code"] for e in bad_name["data"]["inventoryAdjustQuantities"]["userErrors"]]
    assert codes[0] == "INVALID_QUANTITY_NAME"
    unstocked = _adjust(shopify_graphql, "2026-07", "available", item, other)
    codes = [e["code"] for e in unstocked["data"]["inventoryAdjustQuantities"]["userErrors"]]
    assert codes == ["ITEM_NOT_STOCKED_AT_LOCATION"]
    stocked = _adjust(shopify_graphql, "2026-10", "available", item, other, delta=4)
    payload = stocked["data"]["inventoryAdjustQuantities"]
    assert payload["userErrors"] == []
    assert payload["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 4


def test_adjust_applies_two_changes_of_one_level_in_turn(shopify_graphql, shopify_sandbox):
    level = shopify_sandbox.control.inventory_level(
        "TSHIRT-BLUE-M", shopify_sandbox.seeded["locations"]["main"])
    change = {"inventoryItemId": f"gid://shopify/InventoryItem/{level['item_id']}",
              "locationId": f"gid://shopify/Location/{level['location_id']}",
              "changeFromQuantity": None}
    body = shopify_graphql(ADJUST, {"key": str(uuid.uuid4()), "input": {
        "name": "available", "reason": "correction",
        "changes": [dict(change, delta=2), dict(change, delta=-5)]}}).json()
    payload = body["data"]["inventoryAdjustQuantities"]
    assert payload["userErrors"] == []
    after = shopify_sandbox.control.inventory_level(
        "TSHIRT-BLUE-M", shopify_sandbox.seeded["locations"]["main"])
    assert after["quantities"]["available"] == level["quantities"]["available"] - 3


def test_country_code_is_shopifys_enum(shopify_graphql, shopify_sandbox):
    created = shopify_graphql(CUSTOMER_CREATE, {"input": {
        "email": "enum@example.com", "addresses": [{"city": "Lyon", "countryCode": "FR"}]}}
    ).json()["data"]["customerCreate"]
    assert created["userErrors"] == []
    assert created["customer"]["addressesV2"]["nodes"] == [{"countryCodeV2": "FR"}]
    refused = shopify_graphql(CUSTOMER_CREATE, {"input": {
        "email": "narnia@example.com", "addresses": [{"countryCode": "NARNIA"}]}}).json()
    assert "data" not in refused
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_VARIABLE"
