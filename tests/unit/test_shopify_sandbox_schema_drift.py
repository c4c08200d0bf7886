"""The sandbox's SDL held to Shopify's published schema of every version it serves.

Every type, field, argument, input field, enum value, interface and union member the sandbox
serves at a version (``schema.graphql`` trimmed by ``schema_versions.json``) must exist in
Shopify's schema of that version with the same type and nullability
(``tests/contract/schema_drift.py``); arguments and input fields Shopify requires must be
there too. Add what the sandbox serves with
``python3 -m tests.contract.sandbox_sdl <version> Type Type.field`` (Shopify's definition),
then regenerate the per-version table with ``python3 -m tests.contract.sandbox_versions``.
"""

import datetime

import pytest
from graphql import build_ast_schema, build_schema

from tests.contract.sandbox_versions import VERSIONS, render, table
from tests.contract.schema_drift import drift
from tests.contract.shopify_schema import admin_schema
from tests.sandbox.shopify.schema_versions import VERSIONS_PATH, document_for

#: Drift not fixed yet: sentence -> (why, fix by). Expired entries fail the test.
KNOWN_DRIFT = {}


def served_schema(version):
    return build_ast_schema(document_for(version))


@pytest.mark.parametrize("version", VERSIONS)
def test_sandbox_schema_is_shopifys(version):
    problems = [p for p in drift(served_schema(version), admin_schema(version))
                if p not in KNOWN_DRIFT]
    assert not problems, f"the sandbox drifts from Shopify's {version} schema:\n" + \
        "\n".join(problems)


def test_known_drift_is_dated_and_still_real():
    today = datetime.date.today()
    seen = set()
    for version in VERSIONS:
        seen |= set(drift(served_schema(version), admin_schema(version)))
    for sentence, (why, until) in KNOWN_DRIFT.items():
        assert why and datetime.date.fromisoformat(until) >= today, f"expired: {sentence}"
        assert sentence in seen, f"fixed, remove it from KNOWN_DRIFT: {sentence}"


def test_per_version_table_is_generated_from_shopifys_schemas():
    """Nothing trimmed that the version has, nothing left that it lacks: the committed table
    is exactly what ``python3 -m tests.contract.sandbox_versions`` writes."""
    assert VERSIONS_PATH.read_text() == render(table()), (
        "schema_versions.json is stale: run python3 -m tests.contract.sandbox_versions")


def test_versions_differ_where_shopify_does():
    """The per-version trimming happens (a check that could fail if the table were empty)."""
    older, newer = served_schema("2026-01"), served_schema("2026-10")
    assert "compareQuantity" in older.type_map["InventoryQuantityInput"].fields
    assert "compareQuantity" not in newer.type_map["InventoryQuantityInput"].fields
    codes = "InventorySetQuantitiesUserErrorCode"
    assert "ITEM_NOT_STOCKED_AT_LOCATION" in older.type_map[codes].values
    assert "ITEM_NOT_STOCKED_AT_LOCATION" not in newer.type_map[codes].values


def test_drift_is_detected():
    """The checker itself: a field Shopify lacks and a nullability change are caught."""
    shopify = admin_schema("2026-04")
    loose = build_schema("type QueryRoot { shop: Shop nope: Int } "
                         "type Shop { name: String! }")
    found = drift(loose, shopify)
    assert "QueryRoot.nope does not exist in Shopify's schema" in found
    assert "QueryRoot.shop is Shop, Shopify's is Shop!" in found
