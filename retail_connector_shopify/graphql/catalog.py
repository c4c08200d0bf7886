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

# From 2026-04 every quantity carries ``changeFromQuantity`` (null skips the check) and the
# mutation needs an idempotency key: a replayed key returns the first result.
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
