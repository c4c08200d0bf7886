"""Shopify Payments: the paid payouts and the balance transactions each one settles.

``shopifyPaymentsAccount`` is null when the store does not use Shopify Payments. A page of
50 payouts costs about 2 + 50 × 2 = 102 points, of 100 balance transactions about
2 + 100 × 6 = 602, both under the 1,000-point cap.
"""

PAYOUTS_PAGE_SIZE = 50
TRANSACTIONS_PAGE_SIZE = 100
#: Balance transactions that move money to or from the bank, not the shop's sales: the
#: payout itself is the statement, so they are not lines of it.
TRANSFER_TYPES = frozenset({"TRANSFER", "TRANSFER_CANCEL", "TRANSFER_FAILURE",
                            "TRANSFER_REFUND", "PAYOUT", "PAYOUT_FAILURE",
                            "PAYOUT_CANCELLATION"})

PAYOUTS = """
query ShopifyPayouts($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after, query: $query) {
      nodes {
        id
        legacyResourceId
        issuedAt
        status
        transactionType
        net { amount currencyCode }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PAYOUT_TRANSACTIONS = """
query ShopifyPayoutTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: $first, after: $after, query: $query, hideTransfers: true) {
      nodes {
        id
        type
        transactionDate
        amount { amount currencyCode }
        fee { amount currencyCode }
        net { amount currencyCode }
        associatedPayout { id status }
        associatedOrder { id name }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PAYOUTS_PATH = ("shopifyPaymentsAccount", "payouts")
TRANSACTIONS_PATH = ("shopifyPaymentsAccount", "balanceTransactions")


def paid_filter():
    return "status:paid"


def payout_filter(payout_legacy_id):
    """The balance transactions a payout settles: ``payments_transfer_id`` is the documented
    search field (``payout_id`` is not one; Shopify ignores unknown fields)."""
    return f"payments_transfer_id:{payout_legacy_id}"
