"""The sandbox's SDL held to Shopify's published schema of every version it serves.

Every type, field, argument, input field, enum value, interface and union member of
``tests/sandbox/shopify/schema.graphql`` must exist in Shopify's schema with the same type
and nullability (``tests/contract/schema_drift.py``); arguments and input fields Shopify
requires must be there too. Add what the sandbox serves with
``python3 -m tests.contract.sandbox_sdl <version> Type Type.field`` (Shopify's definition).
"""

import datetime

import pytest
from graphql import build_schema

from tests.contract.schema_drift import drift
from tests.contract.shopify_schema import admin_schema
from tests.sandbox.shopify.graphql_api import SCHEMA_PATH
from tests.sandbox.shopify.server import SUPPORTED_VERSIONS

#: Drift not fixed yet: sentence -> (why, fix by). Expired entries fail the test.
KNOWN_DRIFT = {
    "InventoryQuantityInput.compareQuantity (input field) does not exist in Shopify's schema":
        ("exists until 2026-01 only: per-version SDL still to do", "2027-01-31"),
    "InventorySetQuantitiesInput.ignoreCompareQuantity (input field) does not exist in "
    "Shopify's schema": ("exists until 2026-01 only: per-version SDL still to do",
                         "2027-01-31"),
    "enum InventorySetQuantitiesUserErrorCode has no value ITEM_NOT_STOCKED_AT_LOCATION in "
    "Shopify's schema": ("gone in 2026-10 only (the sandbox then stocks the item): per-version "
                         "SDL still to do", "2027-01-31"),
    "enum InventoryAdjustQuantitiesUserErrorCode has no value ITEM_NOT_STOCKED_AT_LOCATION in "
    "Shopify's schema": ("gone in 2026-10 only (the sandbox then stocks the item): per-version "
                         "SDL still to do", "2027-01-31"),
}

SERVED = [version for version in SUPPORTED_VERSIONS if version != "unstable"]


@pytest.fixture(scope="module")
def sandbox_schema():
    return build_schema(SCHEMA_PATH.read_text())


@pytest.mark.parametrize("version", SERVED)
def test_sandbox_schema_is_shopifys(sandbox_schema, version):
    problems = [p for p in drift(sandbox_schema, admin_schema(version)) if p not in KNOWN_DRIFT]
    assert not problems, f"the sandbox drifts from Shopify's {version} schema:\n" + \
        "\n".join(problems)


def test_known_drift_is_dated_and_still_real(sandbox_schema):
    today = datetime.date.today()
    seen = set()
    for version in SERVED:
        seen |= set(drift(sandbox_schema, admin_schema(version)))
    for sentence, (why, until) in KNOWN_DRIFT.items():
        assert why and datetime.date.fromisoformat(until) >= today, f"expired: {sentence}"
        assert sentence in seen, f"fixed, remove it from KNOWN_DRIFT: {sentence}"


def test_drift_is_detected(sandbox_schema):
    """The checker itself: a field Shopify lacks and a nullability change are caught."""
    shopify = admin_schema("2026-04")
    loose = build_schema("type QueryRoot { shop: Shop nope: Int } "
                         "type Shop { name: String! }")
    found = drift(loose, shopify)
    assert "QueryRoot.nope does not exist in Shopify's schema" in found
    assert "QueryRoot.shop is Shop, Shopify's is Shop!" in found
