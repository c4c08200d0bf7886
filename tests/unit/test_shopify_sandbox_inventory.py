"""inventorySetQuantities: batches of 250, compare-and-set, version drift, idempotency."""

import uuid

SET_QUANTITIES = """mutation($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { field message code } } }"""

SET_QUANTITIES_IDEMPOTENT = SET_QUANTITIES.replace(
    "inventorySetQuantities(input: $input)",
    "inventorySetQuantities(input: $input) @idempotent(key: $key)").replace(
    "($input: InventorySetQuantitiesInput!)", "($input: InventorySetQuantitiesInput!, "
                                              "$key: String!)")


def _create_items(shopify_graphql, shopify_sandbox, count):
    """Create ``count`` stocked variants via productSet; return their inventory item gids."""
    location = f"gid://shopify/Location/{shopify_sandbox.seeded['locations']['main']}"
    variants = [{"sku": f"BULK-{n:03d}", "price": "1.00",
                 "optionValues": [{"optionName": "Number", "name": str(n)}],
                 "inventoryQuantities": [{"locationId": location, "name": "available",
                                          "quantity": 1}]} for n in range(100)]
    items = []
    for batch in range(0, count, 100):
        body = shopify_graphql("""mutation($input: ProductSetInput!) { productSet(input: $input) {
            product { variants(first: 100) { nodes { inventoryItem { id } } } }
            userErrors { message } } }""", {"input": {
            "title": f"Bulk {batch}", "productOptions": [{"name": "Number", "values": [
                {"name": str(n)} for n in range(100)]}],
            "variants": [dict(v, sku=f"BULK-{batch}-{i}") for i, v in enumerate(variants)]}}
        ).json()["data"]["productSet"]
        assert body["userErrors"] == []
        items += [n["inventoryItem"]["id"] for n in body["product"]["variants"]["nodes"]]
    return items[:count], location


def test_batch_of_250_quantities_in_one_call(shopify_graphql, shopify_sandbox):
    items, location = _create_items(shopify_graphql, shopify_sandbox, 250)
    quantities = [{"inventoryItemId": item, "locationId": location, "quantity": 10 + n,
                   "compareQuantity": 1} for n, item in enumerate(items)]
    body = shopify_graphql(SET_QUANTITIES, {"input": {
        "name": "available", "reason": "correction",
        "referenceDocumentUri": "gid://odoo-connector/StockMove/1", "quantities": quantities}},
        version="2026-01").json()
    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    available = [c for c in payload["inventoryAdjustmentGroup"]["changes"]
                 if c["name"] == "available"]
    assert len(available) == 250
    assert available[-1]["quantityAfterChange"] == 259 and available[-1]["delta"] == 258
    too_many = shopify_graphql(SET_QUANTITIES, {"input": {
        "name": "available", "reason": "correction", "ignoreCompareQuantity": True,
        "quantities": quantities + quantities[:1]}}, version="2026-01").json()
    assert too_many["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


def _tshirt(shopify_sandbox):
    level = shopify_sandbox.control.inventory_level(
        "TSHIRT-BLUE-M", shopify_sandbox.seeded["locations"]["main"])
    return (f"gid://shopify/InventoryItem/{level['item_id']}",
            f"gid://shopify/Location/{level['location_id']}", level)


def test_compare_quantity_mismatch_is_rejected_and_changes_nothing(shopify_graphql,
                                                                    shopify_sandbox):
    item, location, level = _tshirt(shopify_sandbox)
    assert level["quantities"]["available"] == 25
    body = shopify_graphql(SET_QUANTITIES, {"input": {
        "name": "available", "reason": "correction", "quantities": [
            {"inventoryItemId": item, "locationId": location, "quantity": 3,
             "compareQuantity": 24}]}}, version="2026-01").json()
    payload = body["data"]["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"][0]["code"] == "COMPARE_QUANTITY_STALE"
    assert payload["userErrors"][0]["field"] == ["input", "quantities", "0", "compareQuantity"]
    missing = shopify_graphql(SET_QUANTITIES, {"input": {
        "name": "available", "reason": "correction", "quantities": [
            {"inventoryItemId": item, "locationId": location, "quantity": 3}]}},
        version="2026-01").json()["data"]["inventorySetQuantities"]
    assert missing["userErrors"][0]["code"] == "COMPARE_QUANTITY_REQUIRED"
    assert _tshirt(shopify_sandbox)[2]["quantities"]["available"] == 25


def test_2026_04_requires_change_from_quantity_and_idempotency_key(shopify_graphql,
                                                                    shopify_sandbox):
    item, location, _level = _tshirt(shopify_sandbox)
    entry = {"inventoryItemId": item, "locationId": location, "quantity": 30}
    variables = {"input": {"name": "available", "reason": "correction", "quantities": [entry]}}
    no_key = shopify_graphql(SET_QUANTITIES, variables).json()
    assert "@idempotent" in no_key["errors"][0]["message"]
    key = str(uuid.uuid4())
    no_change_from = shopify_graphql(SET_QUANTITIES_IDEMPOTENT, dict(variables, key=key)).json()
    assert no_change_from["data"]["inventorySetQuantities"]["userErrors"][0]["field"][-1] == \
        "changeFromQuantity"
    entry["changeFromQuantity"] = 99
    stale = shopify_graphql(SET_QUANTITIES_IDEMPOTENT, dict(variables, key=str(uuid.uuid4())))
    assert stale.json()["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == \
        "CHANGE_FROM_QUANTITY_STALE"
    entry["changeFromQuantity"] = 25
    key = str(uuid.uuid4())
    first = shopify_graphql(SET_QUANTITIES_IDEMPOTENT, dict(variables, key=key)).json()
    replay = shopify_graphql(SET_QUANTITIES_IDEMPOTENT, dict(variables, key=key)).json()
    assert first["data"] == replay["data"]
    assert first["data"]["inventorySetQuantities"]["userErrors"] == []
    assert _tshirt(shopify_sandbox)[2]["quantities"]["available"] == 30
    entry["quantity"] = 31
    mismatch = shopify_graphql(SET_QUANTITIES_IDEMPOTENT, dict(variables, key=key)).json()
    assert mismatch["data"]["inventorySetQuantities"]["userErrors"][0]["code"] == \
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


def test_unknown_item_and_unstocked_location(shopify_graphql, shopify_sandbox):
    _item, location, _ = _tshirt(shopify_sandbox)
    other = f"gid://shopify/Location/{shopify_sandbox.seeded['locations']['store']}"
    tote = shopify_sandbox.control.inventory_level("TOTE-NATURAL")
    body = shopify_graphql(SET_QUANTITIES, {"input": {
        "name": "available", "reason": "correction", "ignoreCompareQuantity": True,
        "quantities": [
            {"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": location,
             "quantity": 1},
            {"inventoryItemId": f"gid://shopify/InventoryItem/{tote['item_id']}",
             "locationId": other, "quantity": 1}]}}, version="2026-01").json()
    codes = [e["code"] for e in body["data"]["inventorySetQuantities"]["userErrors"]]
    assert codes == ["INVALID_INVENTORY_ITEM", "ITEM_NOT_STOCKED_AT_LOCATION"]


def test_inventory_levels_query_with_named_quantities(shopify_graphql, shopify_sandbox):
    item, _location, _ = _tshirt(shopify_sandbox)
    shopify_sandbox.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 2}])
    body = shopify_graphql("""query($id: ID!) { inventoryItem(id: $id) {
        inventoryLevels(first: 5) { nodes { id location { name }
          quantities(names: ["available", "committed", "on_hand"]) { name quantity } } } } }""",
                           {"id": item}).json()
    levels = {n["location"]["name"]: {q["name"]: q["quantity"] for q in n["quantities"]}
              for n in body["data"]["inventoryItem"]["inventoryLevels"]["nodes"]}
    assert levels["Main Warehouse"] == {"available": 23, "committed": 2, "on_hand": 25}
    assert "?inventory_item_id=" in body["data"]["inventoryItem"]["inventoryLevels"][
        "nodes"][0]["id"]
