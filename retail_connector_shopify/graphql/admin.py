"""Shop, locations, webhook subscriptions and bulk operations."""

SHOP_INFO = """
query ShopInfo {
  shop {
    id
    name
    email
    myshopifyDomain
    currencyCode
    ianaTimezone
    taxesIncluded
    plan { publicDisplayName partnerDevelopment shopifyPlus }
  }
}
"""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes {
      id
      legacyResourceId
      name
      isActive
      fulfillsOnlineOrders
      address { address1 city zip countryCode }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions($first: Int!, $after: String) {
  webhookSubscriptions(first: $first, after: $after) {
    nodes {
      id
      topic
      format
      createdAt
      uri
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {
    webhookSubscription {
      id
      topic
      uri
    }
    userErrors { field message }
  }
}
"""

WEBHOOK_SUBSCRIPTION_DELETE = """
mutation WebhookSubscriptionDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""

BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_FIELDS = """
  id
  status
  errorCode
  createdAt
  completedAt
  objectCount
  rootObjectCount
  fileSize
  url
  partialDataUrl
"""

BULK_OPERATION_NODE = (
    "query BulkOperationNode($id: ID!) {\n  node(id: $id) {\n    ... on BulkOperation {"
    + BULK_OPERATION_FIELDS
    + "    }\n  }\n}\n"
)


def webhook_subscription_variables(topic, callback_url):
    """Variables of ``WEBHOOK_SUBSCRIPTION_CREATE`` (``uri`` replaces the deprecated
    ``callbackUrl``)."""
    return {"topic": topic, "subscription": {"uri": callback_url, "format": "JSON"}}
