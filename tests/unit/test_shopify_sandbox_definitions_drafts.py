"""Metafield definitions and draft orders in the Shopify sandbox, over HTTP at 2026-01 (the
version the OCA peer connector sends): ``metafieldDefinition(id | identifier)``,
``metafieldDefinitions``, ``metafieldDefinitionCreate`` with its user errors (``TAKEN`` for a
duplicate), ``draftOrder(id)`` and the ``draftOrders`` connection with its pagination."""

import pytest

VERSION = "2026-01"
DEFINITION_FIELDS = """id name namespace key description ownerType pinnedPosition
  type { name category valueType supportsDefinitionMigrations supportedValidations { name type } }
  validations { name type value } access { admin storefront customerAccount }
  capabilities { adminFilterable { eligible enabled status }
                 smartCollectionCondition { eligible enabled } uniqueValues { eligible enabled } }
  constraints { key values(first: 5) { nodes { value } } }
  metafieldsCount metafields(first: 5) { nodes { id } } standardTemplate { id }
  useAsCollectionCondition validationStatus"""
CREATE = """mutation Create($definition: MetafieldDefinitionInput!) {
  metafieldDefinitionCreate(definition: $definition) {
    createdDefinition { %s }
    userErrors { code field message elementIndex } } }""".replace("%s", DEFINITION_FIELDS)
BY_IDENTIFIER = """query ByIdentifier($identifier: MetafieldDefinitionIdentifierInput!) {
  metafieldDefinition(identifier: $identifier) { id namespace key } }"""
PEER_DEFINITION = {"name": "Odoo Product ID", "namespace": "$app", "key": "odoo_product_id",
                   "type": "id", "ownerType": "PRODUCT"}
MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
DRAFTS_PAGE = """query Drafts($after: String, $query: String, $reverse: Boolean) {
  draftOrders(first: 2, after: $after, query: $query, reverse: $reverse) {
    nodes { id name status } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


@pytest.fixture
def graphql(shopify_graphql):
    def call(query, variables=None, token=None):
        response = shopify_graphql(query, variables, version=VERSION, token=token)
        assert response.status_code == 200, response.text
        return response.json()
    return call


def _create(graphql, token=None, **definition):
    body = graphql(CREATE, {"definition": definition}, token)
    assert "errors" not in body, body
    return body["data"]["metafieldDefinitionCreate"]


# -- metafield definitions ----------------------------------------------------------------------
def test_the_peers_definition_is_created_in_its_app_namespace_and_found_by_identifier(
        graphql, shopify_sandbox):
    identifier = {"ownerType": "PRODUCT", "namespace": "$app", "key": "odoo_product_id"}
    assert graphql(BY_IDENTIFIER, {"identifier": identifier})["data"] == {
        "metafieldDefinition": None}
    created = _create(graphql, **PEER_DEFINITION)
    assert created["userErrors"] == []
    definition = created["createdDefinition"]
    assert definition["id"].startswith("gid://shopify/MetafieldDefinition/")
    assert definition["namespace"] == "app--1"  # $app: the calling app's reserved namespace
    assert definition["ownerType"] == "PRODUCT" and definition["key"] == "odoo_product_id"
    assert definition["type"]["name"] == "id"
    assert definition["access"] == {"admin": "MERCHANT_READ", "storefront": "NONE",
                                    "customerAccount": "NONE"}
    assert definition["capabilities"]["uniqueValues"] == {"eligible": True, "enabled": True}
    assert definition["metafieldsCount"] == 0 and definition["metafields"]["nodes"] == []
    assert definition["pinnedPosition"] is None and definition["constraints"] is None
    assert definition["validationStatus"] == "ALL_VALID"
    found = graphql(BY_IDENTIFIER, {"identifier": identifier})["data"]["metafieldDefinition"]
    assert found == {"id": definition["id"], "namespace": "app--1", "key": "odoo_product_id"}
    resolved = dict(identifier, namespace="app--1")
    assert graphql(BY_IDENTIFIER, {"identifier": resolved})["data"]["metafieldDefinition"] == \
        found
    by_id = graphql("query($id: ID!) { metafieldDefinition(id: $id) { key } "
                    "node(id: $id) { ... on MetafieldDefinition { name } } }",
                    {"id": definition["id"]})["data"]
    assert by_id == {"metafieldDefinition": {"key": "odoo_product_id"},
                     "node": {"name": "Odoo Product ID"}}


def test_a_duplicate_definition_is_a_taken_user_error(graphql):
    assert _create(graphql, **PEER_DEFINITION)["userErrors"] == []
    again = _create(graphql, **PEER_DEFINITION)
    assert again == {"createdDefinition": None, "userErrors": [{
        "code": "TAKEN", "field": ["definition", "key"], "elementIndex": None,
        "message": "Key is in use for Product metafields on the 'app--1' namespace."}]}
    # the same key under another owner type or namespace is another definition
    assert _create(graphql, **dict(PEER_DEFINITION, ownerType="PRODUCTVARIANT"))[
        "userErrors"] == []
    assert _create(graphql, **dict(PEER_DEFINITION, namespace="custom"))["userErrors"] == []
    taken = _create(graphql, **dict(PEER_DEFINITION, namespace="custom"))["userErrors"]
    assert taken[0]["code"] == "TAKEN"
    assert taken[0]["message"] == ("Key is in use for Product metafields on the 'custom' "
                                   "namespace.")


def test_invalid_input_gives_user_errors_with_shopifys_codes(graphql):
    base = dict(PEER_DEFINITION, namespace="custom")
    cases = [
        (dict(base, key="k"), "TOO_SHORT", ["definition", "key"]),
        (dict(base, key="no spaces"), "INVALID_CHARACTER", ["definition", "key"]),
        (dict(base, name=" "), "BLANK", ["definition", "name"]),
        (dict(base, type="no_such_type"), "INCLUSION", ["definition", "type"]),
        (dict(base, access={"admin": "MERCHANT_READ"}), "ADMIN_ACCESS_INPUT_NOT_ALLOWED",
         ["definition", "access", "admin"]),
    ]
    for definition, code, field in cases:
        result = _create(graphql, **definition)
        assert result["createdDefinition"] is None, definition
        assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]


def test_an_apps_reserved_definitions_are_its_own(graphql, shopify_sandbox):
    peer = shopify_sandbox.control.add_app("peer")
    mine = _create(graphql, **PEER_DEFINITION)["createdDefinition"]
    theirs = _create(graphql, token=peer["token"], **PEER_DEFINITION)
    assert theirs["userErrors"] == []  # another app: another namespace, no TAKEN
    assert theirs["createdDefinition"]["namespace"] == "app--2" != mine["namespace"]
    identifier = {"ownerType": "PRODUCT", "namespace": "app--1", "key": "odoo_product_id"}
    assert graphql(BY_IDENTIFIER, {"identifier": identifier}, token=peer["token"])[
        "data"]["metafieldDefinition"] is None


def test_definitions_connection_filters_sorts_and_pages(graphql):
    for key, name, pin in (("gamma", "A gamma", False), ("alpha", "C alpha", True),
                           ("beta", "B beta", False)):
        assert _create(graphql, name=name, namespace="custom", key=key,
                       type="single_line_text_field", ownerType="PRODUCT", pin=pin,
                       validations=[{"name": "max", "value": "40"}])["userErrors"] == []
    assert _create(graphql, name="Size", namespace="custom", key="size",
                   type="number_integer", ownerType="CUSTOMER")["userErrors"] == []
    listing = """query($after: String, $sortKey: MetafieldDefinitionSortKeys,
                      $pinned: MetafieldDefinitionPinnedStatus, $key: String) {
      metafieldDefinitions(ownerType: PRODUCT, namespace: "custom", first: 2, after: $after,
                           sortKey: $sortKey, pinnedStatus: $pinned, key: $key) {
        nodes { key pinnedPosition validations { name type value } }
        pageInfo { hasNextPage endCursor } } }"""
    first = graphql(listing, {"sortKey": "NAME"})["data"]["metafieldDefinitions"]
    assert [n["key"] for n in first["nodes"]] == ["gamma", "beta"]
    assert first["nodes"][0]["validations"] == [{"name": "max", "type": "integer",
                                                 "value": "40"}]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = graphql(listing, {"sortKey": "NAME", "after": first["pageInfo"]["endCursor"]})[
        "data"]["metafieldDefinitions"]
    assert [n["key"] for n in rest["nodes"]] == ["alpha"]
    assert rest["pageInfo"]["hasNextPage"] is False
    pinned = graphql(listing, {"pinned": "PINNED"})["data"]["metafieldDefinitions"]["nodes"]
    assert [(n["key"], n["pinnedPosition"]) for n in pinned] == [("alpha", 1)]
    assert [n["key"] for n in graphql(listing, {"key": "beta"})["data"][
        "metafieldDefinitions"]["nodes"]] == ["beta"]
    missing = graphql("{ metafieldDefinitions(first: 5) { nodes { id } } }")
    assert missing["errors"][0]["extensions"]["code"] == "missingRequiredArguments"


def test_the_peers_documents_are_valid_and_answered(graphql):
    """The peer's two documents (ProductCustomIdDefinition, CreateProductCustomIdDefinition),
    as its 18.0.1.0.1.1 release sends them: the read finds nothing, the create works, the
    read finds it, a second create is TAKEN."""
    read = """query ProductCustomIdDefinition($identifier: MetafieldDefinitionIdentifierInput!) {
      metafieldDefinition(identifier: $identifier) { id } }"""
    create = """mutation CreateProductCustomIdDefinition($definition: MetafieldDefinitionInput!) {
      metafieldDefinitionCreate(definition: $definition) {
        createdDefinition { id } userErrors { code field message } } }"""
    identifier = {"ownerType": "PRODUCT", "namespace": "$app", "key": "odoo_product_id"}
    assert graphql(read, {"identifier": identifier})["data"] == {"metafieldDefinition": None}
    made = graphql(create, {"definition": PEER_DEFINITION})["data"]["metafieldDefinitionCreate"]
    assert made["userErrors"] == [] and made["createdDefinition"]["id"]
    assert graphql(read, {"identifier": identifier})["data"]["metafieldDefinition"] == \
        made["createdDefinition"]
    again = graphql(create, {"definition": PEER_DEFINITION})["data"][
        "metafieldDefinitionCreate"]
    assert [e["code"] for e in again["userErrors"]] == ["TAKEN"]


def test_product_set_upserts_by_custom_id_once_its_id_definition_exists(graphql):
    """The peer's export: ``productSet(identifier: {customId: {key, value}})`` in the app's
    namespace. Without an ``id`` definition it is refused; with one, the first call creates
    the product holding the value, the second updates that same product."""
    mutation = """mutation ProductSet($identifier: ProductSetIdentifiers,
                                    $input: ProductSetInput!) {
      productSet(identifier: $identifier, input: $input, synchronous: true) {
        product { id title } userErrors { code field message } } }"""
    custom_id = {"key": "odoo_product_id", "value": "db:1:42"}
    variables = {"identifier": {"customId": custom_id}, "input": {"title": "Mug"}}
    refused = graphql(mutation, variables)["data"]["productSet"]
    assert refused["product"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("NOT_FOUND", ["identifier", "customId"])]
    assert _create(graphql, **PEER_DEFINITION)["userErrors"] == []
    created = graphql(mutation, variables)["data"]["productSet"]
    assert created["userErrors"] == []
    updated = graphql(mutation, dict(variables, input={"title": "Big mug"}))["data"][
        "productSet"]
    assert updated["product"] == {"id": created["product"]["id"], "title": "Big mug"}
    other = graphql(mutation, {"identifier": {"customId": dict(custom_id, value="db:1:43")},
                               "input": {"title": "Cup"}})["data"]["productSet"]
    assert other["product"]["id"] != created["product"]["id"]
    counted = graphql("""{ metafieldDefinitions(ownerType: PRODUCT, first: 5) { nodes {
        metafieldsCount metafields(first: 5) { nodes { namespace key value ownerType } } } } }""")
    definition = counted["data"]["metafieldDefinitions"]["nodes"][0]
    assert definition["metafieldsCount"] == 2
    assert sorted(m["value"] for m in definition["metafields"]["nodes"]) == [
        "db:1:42", "db:1:43"]
    assert {m["namespace"] for m in definition["metafields"]["nodes"]} == {"app--1"}
    # Shopify's OptionSetInput.position / id, ProductSetInput.files and collections, as the
    # peer sends them (options in position order; files and collections are not modelled)
    shaped = graphql(mutation, {"identifier": {"customId": dict(custom_id, value="db:1:44")},
                                "input": {"title": "Tee", "files": [], "productOptions": [
                                    {"name": "Size", "position": 2, "values": [{"name": "S"}]},
                                    {"name": "Colour", "position": 1,
                                     "values": [{"name": "Red"}]}],
                                    "variants": [{"sku": "TEE-RS", "optionValues": [
                                        {"optionName": "Size", "name": "S"},
                                        {"optionName": "Colour", "name": "Red"}]}]}})
    assert "errors" not in shaped, shaped
    tee = shaped["data"]["productSet"]["product"]["id"]
    options = graphql("query($id: ID!) { product(id: $id) { options { name } } }",
                      {"id": tee})["data"]["product"]["options"]
    assert [o["name"] for o in options] == ["Colour", "Size"]
    both = graphql(mutation, {"identifier": {"customId": custom_id, "handle": "mug"},
                              "input": {"title": "Mug"}})
    assert both["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# -- draft orders -------------------------------------------------------------------------------
def test_an_empty_store_has_an_empty_draft_orders_connection(graphql):
    body = graphql(DRAFTS_PAGE)
    assert body["data"]["draftOrders"] == {"nodes": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "endCursor": None}}
    assert graphql("query($id: ID!) { draftOrder(id: $id) { id } }",
                   {"id": "gid://shopify/DraftOrder/1"})["data"] == {"draftOrder": None}


def test_draft_orders_page_by_cursor_filter_and_reverse(graphql, shopify_sandbox):
    control = shopify_sandbox.control
    for index in range(5):
        control.create_draft_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1}],
                                   tags=["phone"] if index % 2 else [],
                                   status="INVOICE_SENT" if index == 4 else "OPEN")
    names, after, pages = [], None, 0
    while True:
        page = graphql(DRAFTS_PAGE, {"after": after})["data"]["draftOrders"]
        pages += 1
        names += [n["name"] for n in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert (names, pages) == (["#D1", "#D2", "#D3", "#D4", "#D5"], 3)
    reversed_names = [n["name"] for n in graphql(DRAFTS_PAGE, {"reverse": True})["data"][
        "draftOrders"]["nodes"]]
    assert reversed_names == ["#D5", "#D4"]
    tagged = graphql(DRAFTS_PAGE, {"query": "tag:phone"})["data"]["draftOrders"]["nodes"]
    assert [n["name"] for n in tagged] == ["#D2", "#D4"]
    sent = graphql(DRAFTS_PAGE, {"query": "status:invoice_sent"})["data"]["draftOrders"]
    assert [(n["name"], n["status"]) for n in sent["nodes"]] == [("#D5", "INVOICE_SENT")]
    bad = graphql(DRAFTS_PAGE, {"query": "no_such_field:1"})
    assert bad["data"]["draftOrders"]["nodes"] == []
    assert bad["extensions"]["search"][0]["warnings"][0]["field"] == "no_such_field"


def test_a_draft_order_is_priced_from_its_lines_discounts_taxes_and_shipping(
        graphql, shopify_sandbox):
    draft = shopify_sandbox.control.create_draft_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 2,
          "applied_discount": {"value_type": "percentage", "value": 10, "title": "Ten"}},
         {"title": "Engraving", "price": "5.00", "quantity": 1,
          "properties": [{"name": "text", "value": "Hi"}]}],
        customer={"email": "drafts@example.com"}, tax_lines=[{"title": "VAT", "rate": 0.2}],
        shipping={"title": "Standard", "price": "4.90"},
        applied_discount={"value_type": "fixed_amount", "value": "3.00", "title": "Three"},
        note="by phone", tags=["phone"])
    query = """query ShopifyDraftOrder($id: ID!) { draftOrder(id: $id) {
      id name status note2 tags taxesIncluded currencyCode customer { email } order { id }
      appliedDiscount { title value valueType amountSet { %(m)s } }
      subtotalPriceSet { %(m)s } lineItemsSubtotalPrice { %(m)s } totalDiscountsSet { %(m)s }
      totalShippingPriceSet { %(m)s } totalTaxSet { %(m)s } totalPriceSet { %(m)s }
      totalQuantityOfLineItems taxLines { title rate priceSet { %(m)s } }
      lineItems(first: 10) { nodes { name sku quantity custom variant { id }
        originalUnitPriceSet { %(m)s } discountedTotalSet { %(m)s }
        approximateDiscountedUnitPriceSet { %(m)s } customAttributes { key value }
        appliedDiscount { title valueType amountSet { %(m)s } }
        taxLines { title rate priceSet { %(m)s } } } }
      shippingLine { title originalPriceSet { %(m)s } taxLines { priceSet { %(m)s } } } } }
    """.replace("%(m)s", MONEY)
    body = graphql(query, {"id": draft["admin_graphql_api_id"]})
    assert "errors" not in body, body
    result = body["data"]["draftOrder"]

    def amount(bag):
        assert bag["shopMoney"] == bag["presentmentMoney"]
        assert bag["shopMoney"]["currencyCode"] == "EUR"
        return bag["shopMoney"]["amount"]

    assert (result["name"], result["status"], result["note2"], result["tags"]) == (
        "#D1", "OPEN", "by phone", ["phone"])
    assert result["customer"] == {"email": "drafts@example.com"} and result["order"] is None
    shirt, engraving = result["lineItems"]["nodes"]
    # 2 x 19.90 = 39.80, less 10 % (3.98) on the line: 35.82; the draft's 3.00 is spread
    # over the lines in proportion but left out of each line's discounted total
    assert amount(shirt["discountedTotalSet"]) == "35.82"
    assert amount(shirt["approximateDiscountedUnitPriceSet"]) == "17.91"
    assert (shirt["appliedDiscount"]["valueType"], amount(
        shirt["appliedDiscount"]["amountSet"])) == ("PERCENTAGE", "3.98")
    assert (engraving["custom"], engraving["variant"], engraving["sku"]) == (True, None, None)
    assert engraving["customAttributes"] == [{"key": "text", "value": "Hi"}]
    assert amount(result["lineItemsSubtotalPrice"]) == "40.82"
    assert amount(result["subtotalPriceSet"]) == "37.82"
    assert amount(result["appliedDiscount"]["amountSet"]) == "3.00"
    assert amount(result["totalDiscountsSet"]) == "6.98"
    assert amount(result["totalShippingPriceSet"]) == "4.90"
    line_taxes = [amount(t["priceSet"]) for n in (shirt, engraving) for t in n["taxLines"]]
    shipping_tax = amount(result["shippingLine"]["taxLines"][0]["priceSet"])
    assert shipping_tax == "0.98"
    total_tax = sum(float(x) for x in [*line_taxes, shipping_tax])
    assert amount(result["totalTaxSet"]) == f"{total_tax:.2f}"
    assert amount(result["totalPriceSet"]) == f"{37.82 + 4.90 + total_tax:.2f}"
    assert result["totalQuantityOfLineItems"] == 3


def test_draft_orders_need_the_read_draft_orders_scope(graphql, shopify_sandbox):
    token = shopify_sandbox.control.add_token(scopes="read_orders")
    body = graphql(DRAFTS_PAGE, token=token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_draft_orders" in body["errors"][0]["message"]


def test_the_peers_draft_order_queries_cost_more_than_shopify_allows(graphql):
    """The peer selects ``lineItems(first: 250)`` per draft order: over the single query
    maximum of 1,000 points for one draft, and far over for ``draftOrders(first: 100)``."""
    fields = ("id lineItems(first: 250) { nodes { id sku variant { id } product { id } "
              f"originalUnitPriceSet {{ {MONEY} }} discountedTotalSet {{ {MONEY} }} }} }}")
    one = graphql(f"query($id: ID!) {{ draftOrder(id: $id) {{ {fields} }} }}",
                  {"id": "gid://shopify/DraftOrder/1"})
    assert one["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    many = graphql(f"{{ draftOrders(first: 100) {{ nodes {{ {fields} }} }} }}")
    assert many["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
