"""Variants and inventory, used by the product matching and stock export flows."""

VARIANT_FIELDS = """
  id
  legacyResourceId
  sku
  barcode
  title
  displayName
  price
  compareAtPrice
  taxable
  inventoryPolicy
  updatedAt
  selectedOptions { name value }
  inventoryItem { id tracked }
  product { id legacyResourceId title status }
"""

VARIANTS_BY_SKU = f"""
query VariantsBySku($first: Int!, $after: String, $query: String!) {{
  productVariants(first: $first, after: $after, query: $query) {{
    nodes {{ {VARIANT_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

INVENTORY_LEVELS = """
query InventoryLevels($inventoryItemId: ID!, $names: [String!]!) {
  inventoryItem(id: $inventoryItemId) {
    id
    inventoryLevels(first: 50) {
      nodes {
        id
        location { id }
        quantities(names: $names) { name quantity }
      }
    }
  }
}
"""

# Every quantity carries ``changeFromQuantity`` (null skips the check; mandatory from 2026-04)
# and the mutation an idempotency key (optional in 2026-01, required from 2026-04): a
# replayed key returns the first result.
INVENTORY_SET_QUANTITIES = """
mutation InventorySetQuantities(
  $input: InventorySetQuantitiesInput!, $idempotencyKey: String!
) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup {
      id
      createdAt
      reason
      referenceDocumentUri
      changes { name delta quantityAfterChange item { id } location { id } }
    }
    userErrors { field message code }
  }
}
"""


def sku_filter(sku):
    """The ``query:`` filter of one SKU, quoted (the sandbox does not parse OR).

    SKUs are a prefix match in Shopify's search: callers compare ``sku`` exactly.
    """
    escaped = str(sku).replace("\\", "\\\\").replace("'", "\\'")
    return f"sku:'{escaped}'"


def set_quantities_input(quantities):
    """``InventorySetQuantitiesInput`` of ``[(inventory item id, location id, quantity,
    change-from quantity or None)]``: ``changeFromQuantity`` is always present (null = skip
    the check), as Shopify requires from 2026-04."""
    return {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {"inventoryItemId": gid("InventoryItem", item_id),
             "locationId": gid("Location", location_id),
             "quantity": int(quantity),
             "changeFromQuantity": change_from}
            for item_id, location_id, quantity, change_from in quantities
        ],
    }


# Idempotency key required from 2026-04 (a retry with the same key replays the first answer).
INVENTORY_ACTIVATE = """
mutation InventoryActivate(
  $inventoryItemId: ID!, $locationId: ID!, $available: Int, $idempotencyKey: String!
) {
  inventoryActivate(
    inventoryItemId: $inventoryItemId, locationId: $locationId, available: $available
  ) @idempotent(key: $idempotencyKey) {
    inventoryLevel { id }
    userErrors { field message }
  }
}
"""

# Current quantities of a list of levels (parameterised InventoryLevel gids).
INVENTORY_LEVELS_BY_ID = """
query InventoryLevelsById($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id
      location { id }
      item { id }
      quantities(names: ["available"]) { name quantity }
    }
  }
}
"""

# Every level of one location, for the nightly reconciliation.
LOCATION_INVENTORY_LEVELS = """
query LocationInventoryLevels($locationId: ID!, $first: Int!, $after: String) {
  location(id: $locationId) {
    id
    inventoryLevels(first: $first, after: $after) {
      nodes {
        item { id }
        quantities(names: ["available"]) { name quantity }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

# An existing product is named by the ``identifier`` argument (``ProductSetInput.id`` is
# deprecated); a new product has no identifier.
PRODUCT_SET = """
mutation ProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product {
      id
      legacyResourceId
      variants(first: 250) {
        nodes { id legacyResourceId sku position inventoryItem { id legacyResourceId } }
      }
    }
    userErrors { field message code }
  }
}
"""


def product_set_variables(values, product_id=None):
    """Variables of ``PRODUCT_SET``: the product input, and the product to update if any."""
    variables = {"input": values}
    if product_id:
        variables["identifier"] = {"id": gid("Product", product_id)}
    return variables


def gid(kind, value):
    """``gid://shopify/{kind}/{value}`` of a numeric id (a gid is returned as it is)."""
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def numeric_id(value):
    """The numeric id of a gid (or of a number), as a string."""
    return str(value or "").rsplit("/", 1)[-1].split("?", 1)[0]


def level_gid(location_id, item_id):
    """Parameterised gid of the level of an item at a location (numeric ids)."""
    return (
        f"gid://shopify/InventoryLevel/{numeric_id(location_id)}"
        f"?inventory_item_id={numeric_id(item_id)}"
    )

# Large first loads: upload one JSONL line of ``PRODUCT_SET`` variables per product, then
# run the mutation in bulk (exempt from the cost limits).
STAGED_UPLOADS_CREATE = """
mutation StagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""



def staged_upload_variables(filename):
    """Variables of ``STAGED_UPLOADS_CREATE``: one JSONL file of bulk mutation variables."""
    return {"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": filename,
                       "mimeType": "text/jsonl", "httpMethod": "POST"}]}


BULK_OPERATION_RUN_MUTATION = """
mutation BulkOperationRunMutation($mutation: String!, $stagedUploadPath: String!) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""
