"""Every GraphQL document the Shopify connector sends, held to Shopify's published schema.

For each supported API version (``retail_connector_shopify/api_versions.py``): the documents
found in the connector's code (``tests/contract/documents.py``) validate against Shopify's
schema of that version, use nothing deprecated (unless allowed below with a reason and an end
date), carry ``@idempotent(key:)`` where the schema says the version requires it, and the
variables we build pass the schema's input types, with the mandatory input fields present.
Shopify's schema comes from npm (``tests/contract/shopify_schema.py``): a missing cache and
no registry fail these tests, they are never skipped.
"""

import datetime

import pytest
from graphql import parse, validate

from tests.contract import documents, rules
from tests.contract.shopify_schema import admin_schema

#: "Type.field" (or "Type.field (input field)") -> (why we still use it, until when).
DEPRECATED_ALLOWED = {}


def _addon(module):
    return documents.import_addon_module(f"retail_connector_shopify.{module}")


api_versions = _addon("api_versions")
VERSIONS = api_versions.supported_versions()


def _variable_samples():
    """Variables the connector builds, per operation name, from its own pure builders."""
    catalog, admin = _addon("graphql.catalog"), _addon("graphql.admin")
    fulfillment = _addon("graphql.fulfillment")
    quantities = catalog.set_quantities_input([("11", "21", 5, None), ("12", "21", 3, 7)])
    return {
        "InventorySetQuantities": {"input": quantities, "idempotencyKey": "k-1"},
        "InventoryActivate": {"inventoryItemId": catalog.gid("InventoryItem", 11),
                              "locationId": catalog.gid("Location", 21), "available": 4,
                              "idempotencyKey": "k-2"},
        "WebhookSubscriptionCreate": admin.webhook_subscription_variables(
            "ORDERS_CREATE", "https://odoo.example.com/retail/shopify/webhook/1"),
        "ProductSet": catalog.product_set_variables(
            {"title": "Tee", "status": "ACTIVE",
             "productOptions": [{"name": "Size", "values": [{"name": "M"}]}],
             "variants": [{"id": catalog.gid("ProductVariant", 5), "price": "9.90",
                           "barcode": None, "inventoryItem": {"sku": "TEE-M", "tracked": True},
                           "optionValues": [{"optionName": "Size", "name": "M"}]}]},
            product_id=42),
        "StagedUploadsCreate": catalog.staged_upload_variables("products.jsonl"),
        "FulfillmentCreate": fulfillment.fulfillment_create_variables(
            [{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
              "fulfillmentOrderLineItems": [{"id": "gid://shopify/FulfillmentOrderLineItem/2",
                                             "quantity": 1}]}],
            "DHL", ["123"], False),
        "FulfillmentTrackingInfoUpdate": fulfillment.tracking_update_variables(
            "5", "DHL", ["123"]),
    }


def _operation_name(document):
    return document.definitions[0].name.value


def test_documents_are_found_from_the_code_and_none_escapes():
    sources, escaped = documents.scan()
    assert not escaped, f"GraphQL documents outside module constants / version functions: " \
                        f"{escaped}"
    assert len(sources) >= 25  # the connector's documents, not a sample of them
    assert len(documents.documents(VERSIONS[-1])) == len(
        [s for s in sources if not s.per_version]) + sum(
        1 for s in sources if s.per_version)


@pytest.mark.parametrize("version", VERSIONS)
def test_documents_validate_against_shopifys_schema(version):
    schema = admin_schema(version)
    problems = {}
    for label, text in documents.documents(version).items():
        errors = [error.message for error in validate(schema, parse(text))]
        if errors:
            problems[label] = errors
    assert not problems, f"invalid at {version}: {problems}"


@pytest.mark.parametrize("version", VERSIONS)
def test_documents_use_nothing_deprecated(version):
    schema = admin_schema(version)
    problems = {}
    for label, text in documents.documents(version).items():
        found = [p for p in rules.deprecated_in_document(schema, parse(text))
                 if not _allowed(p)]
        if found:
            problems[label] = found
    assert not problems, f"deprecated at {version}: {problems}"


@pytest.mark.parametrize("version", VERSIONS)
def test_mutations_carry_the_idempotency_key_the_version_requires(version):
    schema = admin_schema(version)
    required = rules.idempotency_required_from(schema)
    # read from the schema's descriptions: the inventory mutations we send are among them
    assert {"inventorySetQuantities", "inventoryActivate"} <= set(required)
    problems = {}
    for label, text in documents.documents(version).items():
        missing = rules.missing_idempotency(schema, version, parse(text))
        if missing:
            problems[label] = missing
    assert not problems, f"at {version}: {problems}"


@pytest.mark.parametrize("version", VERSIONS)
def test_variables_we_build_follow_the_schema(version):
    """Input types, deprecated input fields and mandatory input fields (changeFromQuantity
    from 2026-04) of what the connector sends; every document taking an input object has a
    sample here, so a new one cannot escape."""
    schema = admin_schema(version)
    samples = _variable_samples()
    problems, unsampled = {}, []
    for label, text in documents.documents(version).items():
        document = parse(text)
        name = _operation_name(document)
        if name not in samples:
            if rules.input_types_of(schema, document):
                unsampled.append(label)
            continue
        found = [p for p in rules.check_variables(schema, document, samples[name])
                 if not _allowed(p)]
        if found:
            problems[label] = found
    assert not unsampled, f"documents taking input objects without a variables sample: " \
                          f"{unsampled}"
    assert not problems, f"at {version}: {problems}"


def test_change_from_quantity_is_mandatory_from_2026_04_and_we_send_it():
    schema = admin_schema("2026-04")
    field = schema.type_map["InventoryQuantityInput"].fields["changeFromQuantity"]
    assert rules.MANDATORY in field.description
    catalog = _addon("graphql.catalog")
    sent = catalog.set_quantities_input([("1", "2", 3, None)])["quantities"][0]
    assert "changeFromQuantity" in sent and sent["changeFromQuantity"] is None


@pytest.mark.parametrize("version", VERSIONS)
def test_search_filters_use_documented_fields(version):
    """The ``query:`` filters we build name only search fields Shopify documents for that
    connection (Shopify ignores unknown ones: the filter would match everything)."""
    schema = admin_schema(version)
    catalog, orders, payouts = (_addon(f"graphql.{m}") for m in ("catalog", "orders", "payouts"))
    filters = {
        ("QueryRoot", "productVariants"): [catalog.sku_filter("TEE-M")],
        ("QueryRoot", "orders"): [orders.updated_since_filter("2026-05-01T00:00:00Z")],
        ("QueryRoot", "customers"): [orders.updated_since_filter("2026-05-01T00:00:00Z")],
        ("ShopifyPaymentsAccount", "payouts"): [payouts.paid_filter()],
        ("ShopifyPaymentsAccount", "balanceTransactions"): [payouts.payout_filter(77)],
    }
    builders = {name for module in (catalog, orders, payouts) for name in dir(module)
                if name.endswith("_filter")}
    assert builders == {"sku_filter", "updated_since_filter", "paid_filter", "payout_filter"}, \
        "a new search filter builder: add it to this test"
    problems = []
    for (type_name, field_name), texts in filters.items():
        documented = rules.documented_search_fields(schema, type_name, field_name)
        for text in texts:
            for term in text.split():
                name = term.split(":", 1)[0]
                if name not in documented:
                    problems.append(f"{type_name}.{field_name}: '{name}' in {text!r} is not a "
                                    f"documented search field")
    assert not problems, problems


def test_default_version_is_the_newest_supported_released_one():
    today = datetime.date.today()
    released = [v for v in VERSIONS if api_versions.API_VERSIONS[v]["released"] <= today]
    assert api_versions.DEFAULT_API_VERSION == released[-1]
    assert not api_versions.support_warning(api_versions.DEFAULT_API_VERSION)


def test_support_window_is_twelve_months():
    assert api_versions.end_of_support("2026-04") == datetime.date(2027, 4, 1)
    assert "left Shopify's 12-month support window" in api_versions.support_warning(
        "2026-04", today=datetime.date(2027, 4, 1))
    assert "leaves Shopify's support window" in api_versions.support_warning(
        "2026-04", today=datetime.date(2027, 2, 1))
    assert not api_versions.support_warning("2026-04", today=datetime.date(2026, 9, 1))
    assert "not one this connector supports" in api_versions.support_warning("2025-01")


def test_allowed_deprecations_are_dated_and_not_expired():
    today = datetime.date.today()
    for name, (reason, until) in DEPRECATED_ALLOWED.items():
        assert reason and until >= today, f"{name}: allowed until {until}, now replace it"


def _allowed(problem):
    return any(f" {name}" in problem or f" {name}:" in problem for name in DEPRECATED_ALLOWED)
