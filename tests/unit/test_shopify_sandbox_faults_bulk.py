"""Token endpoint, fault injection (5xx, 429, latency, timeouts, THROTTLED storms) and bulk
operations (JSONL with __parentId, staged upload + bulk mutation)."""

import json
import time

import requests

SHOP = "{ shop { name } }"


def test_client_credentials_token_endpoint(shopify_sandbox, shopify_graphql):
    url = f"{shopify_sandbox.base_url}/admin/oauth/access_token"
    granted = requests.post(url, data={
        "grant_type": "client_credentials", "client_id": "sandbox-client-id",
        "client_secret": shopify_sandbox.client_secret}, timeout=5)
    assert granted.status_code == 200
    body = granted.json()
    assert body["access_token"].startswith("shpat_") and body["expires_in"] == 86399
    assert "read_orders" in body["scope"].split(",")
    assert shopify_graphql(SHOP, token=body["access_token"]).status_code == 200
    as_json = requests.post(url, json={"grant_type": "client_credentials",
                                       "client_id": "sandbox-client-id",
                                       "client_secret": "wrong"}, timeout=5)
    assert as_json.status_code == 401 and as_json.json()["error"] == "invalid_client"


def test_http_5xx_for_next_calls_then_recovers(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.add_fault("http_error", count=2, status=502)
    statuses = [shopify_graphql(SHOP).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_429_with_retry_after(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.add_fault("rate_limit", count=1, retry_after=1.5)
    limited = shopify_graphql(SHOP)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1.5"
    assert "Exceeded 2 calls per second" in limited.json()["errors"]


def test_fault_limited_to_one_operation(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.add_fault("throttled", count=None, operation="Orders")
    storm = shopify_graphql("query Orders { orders(first: 1) { nodes { id } } }").json()
    assert storm["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert shopify_graphql(SHOP).json()["data"]["shop"]["name"] == "Sandbox Retail"
    shopify_sandbox.control.clear_faults()
    assert "data" in shopify_graphql("query Orders { orders(first: 1) { nodes { id } } }").json()


def test_latency_and_timeout(shopify_sandbox, shopify_graphql):
    shopify_sandbox.control.add_fault("latency", count=1, seconds=0.3)
    started = time.monotonic()
    assert shopify_graphql(SHOP).status_code == 200
    assert time.monotonic() - started >= 0.3
    shopify_sandbox.control.add_fault("timeout", count=1, seconds=0.6)
    try:
        requests.post(shopify_sandbox.graphql_url(), json={"query": SHOP}, timeout=0.2,
                      headers={"X-Shopify-Access-Token": shopify_sandbox.token})
        raise AssertionError("the request should have timed out")
    except requests.Timeout:
        pass


def test_ratio_faults_are_partial(shopify_sandbox, shopify_graphql):
    shopify_sandbox.faults.random.seed(7)
    shopify_sandbox.control.add_fault("http_error", ratio=0.5, status=500)
    statuses = [shopify_graphql(SHOP).status_code for _ in range(20)]
    assert 0 < statuses.count(500) < 20


def _wait_bulk(shopify_graphql, kind="QUERY"):
    """The app's newest operation of ``kind``, read the way Shopify now documents
    (``bulkOperations`` filtered, ``currentBulkOperation`` being deprecated), once finished."""
    for _ in range(200):
        operations = shopify_graphql("""query($filter: String!) { bulkOperations(first: 1,
            reverse: true, query: $filter) { nodes { id status type objectCount
            rootObjectCount url errorCode } } }""", {"filter": f"operation_type:{kind.lower()}"}
        ).json()["data"]["bulkOperations"]["nodes"]
        if operations and operations[0]["status"] in ("COMPLETED", "FAILED", "CANCELED"):
            assert operations[0]["type"] == kind
            return operations[0]
        time.sleep(0.02)
    raise AssertionError("bulk operation did not finish")


def test_bulk_query_jsonl_with_parent_ids(shopify_graphql):
    started = shopify_graphql('''mutation { bulkOperationRunQuery(query: """
        { products { edges { node { id title variants { edges { node { id sku } } } } } } }
        """) { bulkOperation { id status } userErrors { field message code } } }''').json()
    payload = started["data"]["bulkOperationRunQuery"]
    assert payload["userErrors"] == [] and payload["bulkOperation"]["status"] == "CREATED"
    operation = _wait_bulk(shopify_graphql)
    assert operation["status"] == "COMPLETED"
    assert operation["rootObjectCount"] == "3" and operation["objectCount"] == "12"
    text = requests.get(operation["url"], timeout=5).text
    rows = [json.loads(line) for line in text.splitlines()]
    products = {r["id"]: r for r in rows if "__parentId" not in r}
    children = [r for r in rows if "__parentId" in r]
    assert len(products) == 3 and len(children) == 9
    assert all(child["__parentId"] in products for child in children)
    assert "TSHIRT-BLUE-M" in {c["sku"] for c in children}
    by_node = shopify_graphql("""query($id: ID!) { node(id: $id) { ... on BulkOperation {
        status type } } }""", {"id": operation["id"]}).json()["data"]["node"]
    assert by_node == {"status": "COMPLETED", "type": "QUERY"}


def test_staged_upload_and_bulk_mutation(shopify_sandbox, shopify_graphql):
    staged = shopify_graphql("""mutation { stagedUploadsCreate(input: [{
        resource: BULK_MUTATION_VARIABLES, filename: "vars.jsonl", mimeType: "text/jsonl",
        httpMethod: POST}]) { stagedTargets { url resourceUrl parameters { name value } }
        userErrors { message } } }""").json()["data"]["stagedUploadsCreate"]["stagedTargets"][0]
    params = {p["name"]: p["value"] for p in staged["parameters"]}
    lines = "".join(json.dumps({"input": {"email": f"bulk{n}@example.com",
                                          "firstName": f"Bulk{n}"}}) + "\n" for n in range(3))
    upload = requests.post(staged["url"], data=params,
                           files={"file": ("vars.jsonl", lines.encode(), "text/jsonl")},
                           timeout=5)
    assert upload.status_code == 201
    inner = ("mutation call($input: CustomerInput!) { customerCreate(input: $input) { "
             "customer { id email } userErrors { message } } }")
    started = shopify_graphql("""mutation($mutation: String!, $path: String!) {
        bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) {
          bulkOperation { id } userErrors { code message } } }""",
                              {"mutation": inner, "path": params["key"]}).json()
    assert started["data"]["bulkOperationRunMutation"]["userErrors"] == []
    operation = _wait_bulk(shopify_graphql, "MUTATION")
    text = requests.get(operation["url"], timeout=5).text
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["__lineNumber"] for r in rows] == [0, 1, 2]
    assert rows[2]["data"]["customerCreate"]["customer"]["email"] == "bulk2@example.com"
    missing = shopify_graphql("""mutation { bulkOperationRunMutation(
        mutation: "mutation { shop }", stagedUploadPath: "tmp/nope") {
        userErrors { code } } }""").json()
    assert missing["data"]["bulkOperationRunMutation"]["userErrors"][0]["code"] == "NO_SUCH_FILE"


def test_bulk_operations_list_filters_and_sorts(shopify_graphql):
    ids = []
    for title in ("first", "second"):
        started = shopify_graphql(f'''mutation {{ bulkOperationRunQuery(query: """
            {{ products(query: "title:{title}") {{ edges {{ node {{ id }} }} }} }}
            """) {{ bulkOperation {{ id }} userErrors {{ message }} }} }}''').json()
        ids.append(started["data"]["bulkOperationRunQuery"]["bulkOperation"]["id"])
        _wait_bulk(shopify_graphql)
    listing = """query($q: String, $reverse: Boolean) { bulkOperations(first: 5, query: $q,
        reverse: $reverse, sortKey: CREATED_AT) { edges { cursor node { id status } }
        pageInfo { hasNextPage } } }"""

    def listed(**variables):
        body = shopify_graphql(listing, variables).json()
        assert "errors" not in body, body
        return [edge["node"]["id"] for edge in body["data"]["bulkOperations"]["edges"]]

    assert listed() == ids
    assert listed(reverse=True) == ids[::-1]
    assert listed(q="status:completed operation_type:query") == ids
    assert listed(q="status:running") == []
    assert listed(q="operation_type:mutation") == []
    legacy = shopify_graphql("{ currentBulkOperation { id } }").json()["data"]
    assert legacy["currentBulkOperation"]["id"] == ids[-1]
