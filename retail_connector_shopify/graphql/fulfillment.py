"""Fulfilments out: the open fulfillment orders of an order, and fulfillmentCreate.

Connection sizes keep the requested cost near 500 points, under the 1,000-point cap.
"""

ORDER_FULFILLMENT_ORDERS = """
query OrderFulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        lineItems(first: 50) {
          nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}
"""

# The fulfilments an order has (the first ten, which is every fulfilment of nearly every
# order): a rerun recognises the one an unrecorded fulfillmentCreate made.
ORDER_FULFILLMENTS = """
query OrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 10) {
      id
      fulfillmentLineItems(first: 25) {
        nodes { quantity lineItem { id } }
      }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}
"""

FULFILLMENT_TRACKING_UPDATE = """
mutation FulfillmentTrackingInfoUpdate($fulfillmentId: ID!,
                                       $trackingInfoInput: FulfillmentTrackingInput!) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId,
                                trackingInfoInput: $trackingInfoInput) {
    fulfillment { id }
    userErrors { field message }
  }
}
"""


def fulfillment_create_variables(allocation, company, numbers, notify_customer):
    """Variables of ``FULFILLMENT_CREATE``: ``allocation`` is the
    ``lineItemsByFulfillmentOrder`` list."""
    return {"fulfillment": {"lineItemsByFulfillmentOrder": allocation,
                            "trackingInfo": {"company": company or None, "numbers": numbers},
                            "notifyCustomer": notify_customer}}


def tracking_update_variables(fulfillment_id, company, numbers):
    """Variables of ``FULFILLMENT_TRACKING_UPDATE`` (numeric or gid fulfillment id)."""
    text = str(fulfillment_id)
    return {"fulfillmentId": text if text.startswith("gid://")
            else f"gid://shopify/Fulfillment/{text}",
            "trackingInfoInput": {"company": company or None, "numbers": numbers}}
