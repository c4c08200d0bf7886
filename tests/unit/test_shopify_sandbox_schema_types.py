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


SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field code } } }"""
ENUM_VALUES = """query($name: String!) { __type(name: $name) { enumValues { name } } }"""


def test_each_version_serves_its_own_schema(shopify_graphql, shopify_sandbox):
    """compareQuantity/ignoreCompareQuantity exist until 2026-01; ITEM_NOT_STOCKED_AT_LOCATION
    until 2026-07, as in Shopify's published schemas."""
    level = shopify_sandbox.control.inventory_level(
        "TSHIRT-BLUE-M", shopify_sandbox.seeded["locations"]["main"])
    entry = {"inventoryItemId": f"gid://shopify/InventoryItem/{level['item_id']}",
             "locationId": f"gid://shopify/Location/{level['location_id']}", "quantity": 7,
             "compareQuantity": level["quantities"]["available"]}
    answers = {}
    for version in ("2026-01", "2026-04", "2026-07", "2026-10"):
        answers[version] = shopify_graphql(SET_QUANTITIES, {"key": str(uuid.uuid4()), "input": {
            "name": "available", "reason": "correction", "quantities": [entry]}},
            version=version).json()
    assert answers["2026-01"]["data"]["inventorySetQuantities"]["userErrors"] == []
    for version in ("2026-04", "2026-07", "2026-10"):
        assert "data" not in answers[version], version
        error = answers[version]["errors"][0]
        assert error["extensions"]["code"] == "INVALID_VARIABLE"
        assert "compareQuantity" in error["message"]
    ignore = shopify_graphql(SET_QUANTITIES, {"key": str(uuid.uuid4()), "input": {
        "name": "available", "reason": "correction", "ignoreCompareQuantity": True,
        "quantities": [{**{k: v for k, v in entry.items() if k != "compareQuantity"},
                        "changeFromQuantity": None}]}},
        version="2026-04").json()
    assert "ignoreCompareQuantity" in ignore["errors"][0]["message"]
    for name in ("InventorySetQuantitiesUserErrorCode", "InventoryAdjustQuantitiesUserErrorCode"):
        values = {version: {v["name"] for v in shopify_graphql(
            ENUM_VALUES, {"name": name}, version=version).json()["data"]["__type"][
            "enumValues"]} for version in ("2026-07", "2026-10")}
        assert "ITEM_NOT_STOCKED_AT_LOCATION" in values["2026-07"], name
        assert "ITEM_NOT_STOCKED_AT_LOCATION" not in values["2026-10"], name
