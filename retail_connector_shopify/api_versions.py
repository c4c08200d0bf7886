"""The Shopify Admin API versions this connector supports, as data.

One row per stable version: when Shopify released it, and what the connector sends or reads
differently from the version before. Shopify supports a stable version at least 12 months
after its release; afterwards a request "falls forward" to the oldest supported version,
which may refuse what we send. ``DEFAULT_API_VERSION`` is the version of new backends: the
newest stable version the contract test (tests/unit/test_shopify_schema_contract.py) passes.

To support a new version: add its row, run the contract test against Shopify's published
schema of that version, fix what it finds, then move ``DEFAULT_API_VERSION``.
"""

from datetime import date

#: Months Shopify supports a stable version after its release.
SUPPORT_MONTHS = 12
#: The backend form warns this many days before the end of support.
WARN_DAYS = 90

#: version -> release date and what the connector does differently from that version on.
API_VERSIONS = {
    "2026-01": {
        "released": date(2026, 1, 1),
        "changes": (
            "inventorySetQuantities sends changeFromQuantity (compareQuantity and "
            "ignoreCompareQuantity are deprecated, removed in 2026-04)",
            "@idempotent(key:) accepted on the inventory mutations (optional)",
        ),
    },
    "2026-04": {
        "released": date(2026, 4, 1),
        "changes": (
            "@idempotent(key:) required on inventorySetQuantities, inventoryAdjustQuantities, "
            "inventoryActivate and refundCreate",
            "changeFromQuantity must be present in every quantity (null skips the check)",
        ),
    },
    "2026-07": {
        "released": date(2026, 7, 1),
        "changes": (),
    },
    "2026-10": {
        "released": date(2026, 10, 1),
        "changes": (
            "ITEM_NOT_STOCKED_AT_LOCATION is gone: quantities can be set at any location, "
            "so no inventoryActivate follow-up is needed",
        ),
    },
}

DEFAULT_API_VERSION = "2026-10"

#: Features that depend on the version: feature -> first version that has it.
FEATURES = {
    # changeFromQuantity replaces compareQuantity / ignoreCompareQuantity
    "change_from_quantity": "2026-01",
    # the inventory mutations and refundCreate refuse a call without @idempotent(key:)
    "idempotency_required": "2026-04",
}


def supported_versions():
    """The supported versions, oldest first."""
    return sorted(API_VERSIONS)


def has_feature(version, feature):
    """Whether ``version`` (YYYY-MM or ``unstable``) has ``feature`` of ``FEATURES``."""
    return version == "unstable" or (version or "") >= FEATURES[feature]


def _add_months(day, months):
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1)


def end_of_support(version):
    """The day Shopify stops supporting ``version`` (None for a version not in the table)."""
    row = API_VERSIONS.get(version)
    return _add_months(row["released"], SUPPORT_MONTHS) if row else None


def support_warning(version, today=None):
    """A sentence for the backend form when ``version`` is (nearly) out of support, else ''."""
    today = today or date.today()
    newest = DEFAULT_API_VERSION
    if version not in API_VERSIONS:
        return (f"API version {version or '(none)'} is not one this connector supports "
                f"({', '.join(supported_versions())}): move the backend to {newest}.")
    end = end_of_support(version)
    released = API_VERSIONS[version]["released"]
    if today < released:
        return f"API version {version} is not released before {released.isoformat()}."
    if today >= end:
        return (f"API version {version} left Shopify's 12-month support window on "
                f"{end.isoformat()}: Shopify answers with the oldest version it still "
                f"supports. Move the backend to {newest}.")
    if (end - today).days <= WARN_DAYS:
        return (f"API version {version} leaves Shopify's support window on "
                f"{end.isoformat()}: move the backend to {newest} before then.")
    return ""
