"""Contract of the sandbox's GraphQL endpoint: auth, versions, error shapes, pagination,
search filters, userErrors, access scopes — through ShopifyAPI and plain requests."""

import json
import urllib.error

import pytest
import requests
import shopify

PRODUCTS_PAGE = """
query Products($after: String) {
  products(first: 2, after: $after) {
    edges { cursor node { id title } }
    pageInfo { hasNextPage endCursor }
  }
}"""


@pytest.fixture
def shopify_library_session(shopify_sandbox):
    """A real ShopifyAPI session pointed at the sandbox the way the connector will do it."""
    session = shopify.Session("sandbox-retail.myshopify.com", "2026-04", shopify_sandbox.token)
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = shopify_sandbox.admin_url("2026-04")
    yield session
    shopify.ShopifyResource.clear_session()


def test_shopify_library_graphql_execute(shopify_library_session):
    raw = shopify.GraphQL().execute("{ shop { name currencyCode myshopifyDomain } }")
    body = json.loads(raw)
    assert body["data"]["shop"] == {"name": "Sandbox Retail", "currencyCode": "EUR",
                                    "myshopifyDomain": "sandbox-retail.myshopify.com"}
    assert body["extensions"]["cost"]["requestedQueryCost"] == 1


def test_shopify_library_bad_token_raises_401(shopify_sandbox):
    session = shopify.Session("sandbox-retail.myshopify.com", "2026-04", "shpat_wrong")
    shopify.ShopifyResource.activate_session(session)
    shopify.ShopifyResource.site = shopify_sandbox.admin_url("2026-04")
    try:
        with pytest.raises(urllib.error.HTTPError) as caught:
            shopify.GraphQL().execute("{ shop { name } }")
        assert caught.value.code == 401
    finally:
        shopify.ShopifyResource.clear_session()


def test_bad_token_body_and_version_header(shopify_sandbox):
    response = requests.post(shopify_sandbox.graphql_url("2026-04"),
                             json={"query": "{ shop { name } }"},
                             headers={"X-Shopify-Access-Token": "nope"}, timeout=5)
    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]
    assert response.headers["X-Shopify-API-Version"] == "2026-04"


def test_unsupported_version_falls_forward(shopify_graphql):
    response = shopify_graphql("{ shop { name } }", version="2025-01")
    assert response.status_code == 200
    assert response.headers["X-Shopify-API-Version"] == "2026-01"


def test_unknown_field_has_shopify_error_shape(shopify_graphql):
    body = shopify_graphql("{ shop { name planName } }").json()
    error = body["errors"][0]
    assert error["message"] == "Field 'planName' doesn't exist on type 'Shop'"
    assert error["extensions"] == {"code": "undefinedField", "typeName": "Shop",
                                   "fieldName": "planName"}
    assert error["locations"][0]["line"] == 1
    assert "data" not in body and "cost" in body["extensions"]


def test_bad_argument_and_missing_argument(shopify_graphql):
    bad = shopify_graphql("{ products(first: 1, colour: \"red\") { nodes { id } } }").json()
    assert bad["errors"][0]["extensions"]["code"] == "argumentNotAccepted"
    missing = shopify_graphql("{ order { id } }").json()
    assert missing["errors"][0]["extensions"]["code"] == "missingRequiredArguments"


def test_syntax_error_has_message_and_locations(shopify_graphql):
    body = shopify_graphql("{ shop { name }").json()
    assert body["errors"][0]["message"].startswith("syntax error")
    assert body["errors"][0]["locations"]


def test_cursor_pagination_walks_all_products(shopify_graphql):
    titles, after, pages = [], None, 0
    while True:
        page = shopify_graphql(PRODUCTS_PAGE, {"after": after}).json()["data"]["products"]
        titles += [edge["node"]["title"] for edge in page["edges"]]
        pages += 1
        assert page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 2
    assert titles == ["Classic T-Shirt", "Canvas Tote Bag", "Wool Beanie"]


def test_page_size_capped_at_250_and_first_required(shopify_graphql):
    too_big = shopify_graphql("{ products(first: 251) { nodes { id } } }").json()
    assert "250" in too_big["errors"][0]["message"]
    no_first = shopify_graphql("{ products { nodes { id } } }").json()
    assert no_first["errors"][0]["message"] == "you must provide one of first or last"


def test_variant_lookup_by_sku_and_money_as_strings(shopify_graphql):
    query = """{ productVariants(first: 1, query: "sku:TSHIRT-BLUE-M") { nodes {
        id sku price title selectedOptions { name value } product { title }
        inventoryItem { id sku unitCost { amount currencyCode } } } } }"""
    node = shopify_graphql(query).json()["data"]["productVariants"]["nodes"][0]
    assert node["sku"] == "TSHIRT-BLUE-M" and node["title"] == "Blue / M"
    assert node["price"] == "19.90"
    assert node["inventoryItem"]["unitCost"] == {"amount": "6.50", "currencyCode": "EUR"}
    assert node["id"].startswith("gid://shopify/ProductVariant/")
    assert int(node["id"].rsplit("/", 1)[1]) > 2 ** 53


def test_updated_at_filter_sees_only_later_changes(shopify_sandbox, shopify_graphql):
    query = '{ products(first: 10, query: "updated_at:>\'%s\'") { nodes { title updatedAt } } }'
    stamp = shopify_graphql("{ products(first: 10) { nodes { updatedAt } } }").json()
    latest = max(n["updatedAt"] for n in stamp["data"]["products"]["nodes"])
    product_id = shopify_sandbox.seeded["products"]["Wool Beanie"]
    import time

    time.sleep(1.1)
    shopify_sandbox.control.update_product(product_id, title="Wool Beanie v2")
    nodes = shopify_graphql(query % latest).json()["data"]["products"]["nodes"]
    assert [n["title"] for n in nodes] == ["Wool Beanie v2"]


def test_malformed_filter_returns_empty_with_search_warning(shopify_graphql):
    body = shopify_graphql('{ products(first: 5, query: "colour:red") { nodes { id } } }').json()
    assert body["data"]["products"]["nodes"] == []
    assert body["extensions"]["search"][0]["warnings"][0]["field"] == "colour"


def test_user_errors_on_mutation(shopify_graphql):
    mutation = """mutation { productCreate(product: {title: ""}) {
        product { id } userErrors { field message } } }"""
    payload = shopify_graphql(mutation).json()["data"]["productCreate"]
    assert payload["product"] is None
    assert payload["userErrors"] == [{"field": ["title"], "message": "Title can't be blank"}]


def test_product_create_and_variants_bulk_create(shopify_graphql, shopify_sandbox):
    created = shopify_graphql("""mutation { productCreate(product: {title: "Scarf",
        productOptions: [{name: "Color", values: [{name: "Red"}]}]}) {
        product { id variants(first: 5) { nodes { id title } } } userErrors { field } } }"""
                              ).json()["data"]["productCreate"]
    product_id = created["product"]["id"]
    assert created["product"]["variants"]["nodes"][0]["title"] == "Red"
    location = shopify_sandbox.seeded["locations"]["main"]
    payload = shopify_graphql("""mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
        productVariantsBulkCreate(productId: $id, variants: $variants,
                                  strategy: REMOVE_STANDALONE_VARIANT) {
          productVariants { sku inventoryQuantity } userErrors { field message code } } }""",
                              {"id": product_id, "variants": [{
                                  "price": "12.00", "optionValues": [
                                      {"optionName": "Color", "name": "Green"}],
                                  "inventoryItem": {"sku": "SCARF-GREEN"},
                                  "inventoryQuantities": [{
                                      "availableQuantity": 7,
                                      "locationId": f"gid://shopify/Location/{location}"}]}]}
                              ).json()["data"]["productVariantsBulkCreate"]
    assert payload["userErrors"] == []
    assert payload["productVariants"] == [{"sku": "SCARF-GREEN", "inventoryQuantity": 7}]


def test_product_set_replaces_variants(shopify_graphql, shopify_sandbox):
    product_id = shopify_sandbox.seeded["products"]["Wool Beanie"]
    payload = shopify_graphql("""mutation($input: ProductSetInput!) { productSet(input: $input) {
        product { title variants(first: 10) { nodes { sku price } } }
        userErrors { field message code } } }""", {"input": {
        "id": f"gid://shopify/Product/{product_id}", "title": "Beanie",
        "variants": [{"sku": "BEANIE-GREY", "price": "16.00",
                      "optionValues": [{"optionName": "Color", "name": "Grey"}]}]}}
    ).json()["data"]["productSet"]
    assert payload["userErrors"] == []
    assert payload["product"]["variants"]["nodes"] == [{"sku": "BEANIE-GREY", "price": "16.00"}]


def test_missing_scope_is_access_denied(shopify_sandbox, shopify_graphql):
    token = shopify_sandbox.control.add_token(scopes=["read_products"])
    body = shopify_graphql("{ orders(first: 1) { nodes { id } } }", token=token).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert "read_orders" in body["errors"][0]["message"]
    ok = shopify_graphql("{ products(first: 1) { nodes { id } } }", token=token).json()
    assert len(ok["data"]["products"]["nodes"]) == 1


def test_node_lookup_and_customers(shopify_graphql, shopify_sandbox):
    customer_id = shopify_sandbox.seeded["customers"]["jane.doe@example.com"]
    body = shopify_graphql("""query($id: ID!) { node(id: $id) { id ... on Customer {
        email firstName defaultAddress { city countryCodeV2 } } } }""",
                           {"id": f"gid://shopify/Customer/{customer_id}"}).json()
    assert body["data"]["node"]["email"] == "jane.doe@example.com"
    assert body["data"]["node"]["defaultAddress"] == {"city": "Paris", "countryCodeV2": "FR"}
