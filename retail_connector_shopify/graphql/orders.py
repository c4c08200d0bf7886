"""Orders and customers, read by the import flows (catch-up polling and webhook refetch).

Nested connections are kept small so that one page of orders stays under Shopify's
single-query cap of 1,000 points (``ORDERS_PAGE_SIZE`` orders a page); line amounts are read in
shop money only. An order with more lines than the first page pages the rest with
``ORDER_LINE_ITEMS``.
"""

MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
SHOP_MONEY = "shopMoney { amount currencyCode }"

ADDRESS = """
    firstName lastName name company address1 address2 city province provinceCode zip
    country countryCodeV2 phone
"""

LINE_ITEM_FIELDS = f"""
      id
      sku
      name
      title
      quantity
      currentQuantity
      variant {{ id }}
      product {{ id }}
      requiresShipping
      customAttributes {{ key value }}
      originalUnitPriceSet {{ {SHOP_MONEY} }}
      discountedUnitPriceSet {{ {SHOP_MONEY} }}
      taxLines {{ title rate priceSet {{ {SHOP_MONEY} }} }}
      discountAllocations {{ allocatedAmountSet {{ {SHOP_MONEY} }} }}
"""

#: Orders a page of ``ORDERS_UPDATED_SINCE`` (keeps the requested cost under 1,000 points).
#: Only what the REST-shaped mapping reads is asked for: discounts come through the lines'
#: allocations and the gateway through ``paymentGatewayNames``, so the order's discount
#: applications and transactions are not read (they cost most of a page).
ORDERS_PAGE_SIZE = 7
#: Lines a page of ``ORDER_LINE_ITEMS`` (about 600 points), for orders with more than 5 lines.
ORDER_LINES_PAGE_SIZE = 50

ORDER_FIELDS = f"""
  id
  legacyResourceId
  name
  email
  phone
  createdAt
  updatedAt
  processedAt
  cancelledAt
  cancelReason
  closedAt
  currencyCode
  presentmentCurrencyCode
  taxesIncluded
  test
  tags
  note
  customAttributes {{ key value }}
  paymentGatewayNames
  displayFinancialStatus
  displayFulfillmentStatus
  totalPriceSet {{ {MONEY} }}
  subtotalPriceSet {{ {MONEY} }}
  totalTaxSet {{ {MONEY} }}
  totalDiscountsSet {{ {MONEY} }}
  totalShippingPriceSet {{ {MONEY} }}
  currentTotalPriceSet {{ {MONEY} }}
  totalRefundedSet {{ {SHOP_MONEY} }}
  taxLines {{ title rate ratePercentage priceSet {{ {MONEY} }} }}
  discountCodes
  lineItems(first: 5) {{
    nodes {{ {LINE_ITEM_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
  shippingLines(first: 3) {{
    nodes {{
      title
      code
      originalPriceSet {{ {MONEY} }}
      discountedPriceSet {{ {MONEY} }}
      taxLines {{ title rate priceSet {{ {MONEY} }} }}
    }}
  }}
  shippingAddress {{ {ADDRESS} }}
  billingAddress {{ {ADDRESS} }}
  customer {{
    id
    firstName
    lastName
    defaultEmailAddress {{ emailAddress }}
    defaultPhoneNumber {{ phoneNumber }}
  }}
"""

ORDERS_UPDATED_SINCE = f"""
query OrdersUpdatedSince($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {ORDER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

#: The catch-up's first pass: ids and update times only (about 3 points an order, 250 a page),
#: so that the overlap window and records already in the inbox cost almost nothing.
ORDERS_UPDATED_IDS = """
query OrdersUpdatedIds($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { id legacyResourceId updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""

#: The second pass: the full orders the inbox does not hold yet, ``ORDERS_PAGE_SIZE`` at a time,
#: each with the ids of its refunds (a list, one point an order), so that the catch-up also
#: brings in a refund whose ``refunds/create`` webhook was lost: only the refunds Odoo has not
#: booked are read in full (``REFUND_BY_ID``).
ORDERS_BY_IDS = f"""
query OrdersByIds($ids: [ID!]!) {{
  nodes(ids: $ids) {{
    ... on Order {{ {ORDER_FIELDS} refunds {{ id legacyResourceId createdAt }} }}
  }}
}}
"""

#: What payments and refund payments are booked from, for an order's and a refund's
#: transactions alike.
TRANSACTION_FIELDS = f"""
id kind status gateway test createdAt processedAt
amountSet {{ {SHOP_MONEY} }}
parentTransaction {{ id }}
"""

#: Lines of a refund read at once by ``REFUND_BY_ID`` (about 6 points each: the query costs
#: about 500 points); more are paged with ``REFUND_LINE_ITEMS``. The other connections of a
#: refund hold a few entries; one with more than its page is refused by the mapper (the refund
#: is then booked by hand).
REFUND_LINES_PAGE_SIZE = 50
REFUND_TRANSACTIONS_PAGE_SIZE = 20
REFUND_SHIPPING_PAGE_SIZE = 10
REFUND_ADJUSTMENTS_PAGE_SIZE = 10

REFUND_LINE_FIELDS = f"""
      id
      lineItem {{ id }}
      quantity
      restockType
      subtotalSet {{ {SHOP_MONEY} }}
      totalTaxSet {{ {SHOP_MONEY} }}
"""

#: One refund in full, as the ``refunds/create`` webhook carries it (under 1,000 points).
REFUND_BY_ID = f"""
query RefundById($id: ID!) {{
  refund(id: $id) {{
    id
    legacyResourceId
    createdAt
    note
    order {{ id legacyResourceId }}
    totalRefundedSet {{ {SHOP_MONEY} }}
    refundLineItems(first: {REFUND_LINES_PAGE_SIZE}) {{
      nodes {{ {REFUND_LINE_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
    refundShippingLines(first: {REFUND_SHIPPING_PAGE_SIZE}) {{
      nodes {{ id subtotalAmountSet {{ {SHOP_MONEY} }} taxAmountSet {{ {SHOP_MONEY} }} }}
      pageInfo {{ hasNextPage }}
    }}
    orderAdjustments(first: {REFUND_ADJUSTMENTS_PAGE_SIZE}) {{
      nodes {{ id reason amountSet {{ {SHOP_MONEY} }} taxAmountSet {{ {SHOP_MONEY} }} }}
      pageInfo {{ hasNextPage }}
    }}
    duties {{ amountSet {{ {SHOP_MONEY} }} }}
    transactions(first: {REFUND_TRANSACTIONS_PAGE_SIZE}) {{
      nodes {{ {TRANSACTION_FIELDS} }}
      pageInfo {{ hasNextPage }}
    }}
  }}
}}
"""

#: The lines of a refund after the first ``REFUND_LINES_PAGE_SIZE``.
REFUND_LINE_ITEMS = f"""
query RefundLineItems($id: ID!, $first: Int!, $after: String) {{
  refund(id: $id) {{
    refundLineItems(first: $first, after: $after) {{
      nodes {{ {REFUND_LINE_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""

ORDER_LINE_ITEMS = f"""
query OrderLineItems($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{
    lineItems(first: $first, after: $after) {{
      nodes {{ {LINE_ITEM_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""

ORDER_BY_ID = f"""
query OrderById($id: ID!) {{
  order(id: $id) {{ {ORDER_FIELDS} }}
}}
"""

#: The order's transactions, which webhooks do not carry: payments are booked from them.
ORDER_TRANSACTIONS = f"""
query OrderTransactions($id: ID!) {{
  order(id: $id) {{
    id
    transactions(first: 100) {{ {TRANSACTION_FIELDS} }}
  }}
}}
"""

CUSTOMER_FIELDS = f"""
  id
  legacyResourceId
  firstName
  lastName
  displayName
  defaultEmailAddress {{ emailAddress marketingState }}
  defaultPhoneNumber {{ phoneNumber }}
  tags
  note
  createdAt
  updatedAt
  defaultAddress {{ {ADDRESS} }}
  addressesV2(first: 5) {{ nodes {{ {ADDRESS} }} }}
"""

CUSTOMERS_UPDATED_SINCE = f"""
query CustomersUpdatedSince($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{ {CUSTOMER_FIELDS} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
"""

CUSTOMER_BY_ID = f"""
query CustomerById($id: ID!) {{
  customer(id: $id) {{ {CUSTOMER_FIELDS} }}
}}
"""


def updated_since_filter(since):
    """The ``query:`` search filter of records updated at or after ``since`` (ISO UTC)."""
    return f"updated_at:>='{since}'" if since else None
