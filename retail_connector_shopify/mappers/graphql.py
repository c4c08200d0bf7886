"""GraphQL nodes (catch-up polling) → the REST shape of the same webhook topic.

Polling reads orders and customers with GraphQL; webhooks deliver them in the REST shape. The
catch-up turns each node into the REST shape before storing it in the inbox under the
webhook's topic, so that webhook and poll share one mapper and one importer from there on.
"""

from decimal import Decimal

# GraphQL display statuses → REST status strings.
FULFILLMENT_STATUSES = {
    "UNFULFILLED": None,
    "PARTIALLY_FULFILLED": "partial",
    "FULFILLED": "fulfilled",
    "RESTOCKED": "restocked",
}


def legacy_id(gid):
    """``gid://shopify/Order/123`` → ``123`` (an int, as REST payloads carry ids)."""
    if not gid:
        return None
    tail = str(gid).rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else tail


def shop_amount(money_set):
    return ((money_set or {}).get("shopMoney") or {}).get("amount")


def address_to_rest(node):
    if not node:
        return None
    return {
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "name": node.get("name"),
        "company": node.get("company"),
        "address1": node.get("address1"),
        "address2": node.get("address2"),
        "city": node.get("city"),
        "province": node.get("province"),
        "province_code": node.get("provinceCode"),
        "zip": node.get("zip"),
        "country": node.get("country"),
        "country_code": node.get("countryCodeV2"),
        "phone": node.get("phone"),
    }


def tax_lines_to_rest(lines):
    return [
        {
            "title": line.get("title"),
            "rate": line.get("rate"),
            "price": shop_amount(line.get("priceSet")),
        }
        for line in lines or []
    ]


def attributes_to_rest(attributes):
    """GraphQL ``Attribute {key value}`` → REST ``{name, value}``."""
    return [
        {"name": item.get("key"), "value": item.get("value")}
        for item in attributes or []
        if isinstance(item, dict)
    ]


def _nodes(connection):
    if isinstance(connection, list):
        return connection
    return (connection or {}).get("nodes") or []


def customer_to_rest(node):
    if not node:
        return None
    email = node.get("defaultEmailAddress") or {}
    phone = node.get("defaultPhoneNumber") or {}
    payload = {
        "id": legacy_id(node.get("legacyResourceId") or node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "email": email.get("emailAddress"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "phone": phone.get("phoneNumber"),
        "tags": ", ".join(node.get("tags") or []),
        "note": node.get("note"),
        "updated_at": node.get("updatedAt"),
        "default_address": address_to_rest(node.get("defaultAddress")),
    }
    if email.get("marketingState"):
        payload["email_marketing_consent"] = {"state": email["marketingState"].lower()}
    return payload


def order_to_rest(node, line_items=None):
    """An order node (``graphql.orders.ORDER_FIELDS``) in the REST ``orders/*`` shape.

    ``line_items`` replaces the node's first page of lines when the caller paged the rest.
    """
    lines = line_items if line_items is not None else _nodes(node.get("lineItems"))
    # A line's current quantity mixes edits and refunds; the REST body lists the refunds so
    # the two can be told apart, the polled node does not: once anything was refunded, the
    # polled order says nothing about edits (the refunds' own webhooks carry them).
    refunded = Decimal(str(shop_amount(node.get("totalRefundedSet")) or "0")) != 0
    return {
        "id": legacy_id(node.get("legacyResourceId") or node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "name": node.get("name"),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "cancel_reason": (node.get("cancelReason") or "").lower() or None,
        "closed_at": node.get("closedAt"),
        "currency": node.get("currencyCode"),
        "taxes_included": node.get("taxesIncluded"),
        "test": node.get("test"),
        "tags": ", ".join(node.get("tags") or []),
        "note": node.get("note"),
        "note_attributes": attributes_to_rest(node.get("customAttributes")),
        "payment_gateway_names": node.get("paymentGatewayNames") or [],
        "financial_status": (node.get("displayFinancialStatus") or "").lower() or None,
        "fulfillment_status": FULFILLMENT_STATUSES.get(node.get("displayFulfillmentStatus")),
        "total_price": shop_amount(node.get("totalPriceSet")),
        "current_total_price": shop_amount(node.get("currentTotalPriceSet")),
        "line_items": [
            {
                "id": legacy_id(line.get("id")),
                "sku": line.get("sku"),
                "name": line.get("name"),
                "title": line.get("title"),
                "quantity": line.get("quantity"),
                "current_quantity": None if refunded else line.get("currentQuantity"),
                "variant_id": legacy_id((line.get("variant") or {}).get("id")),
                "product_id": legacy_id((line.get("product") or {}).get("id")),
                "requires_shipping": line.get("requiresShipping"),
                "properties": attributes_to_rest(line.get("customAttributes")),
                "price": shop_amount(line.get("originalUnitPriceSet")),
                "discount_allocations": [
                    {"amount": shop_amount(allocation.get("allocatedAmountSet"))}
                    for allocation in line.get("discountAllocations") or []
                ],
                "tax_lines": tax_lines_to_rest(line.get("taxLines")),
            }
            for line in lines
        ],
        "shipping_lines": [
            {
                "title": line.get("title"),
                "code": line.get("code"),
                "price": shop_amount(line.get("originalPriceSet")),
                "discounted_price": shop_amount(line.get("discountedPriceSet")),
                "tax_lines": tax_lines_to_rest(line.get("taxLines")),
            }
            for line in _nodes(node.get("shippingLines"))
        ],
        "billing_address": address_to_rest(node.get("billingAddress")),
        "shipping_address": address_to_rest(node.get("shippingAddress")),
        "customer": customer_to_rest(node.get("customer")),
    }


def transaction_to_rest(node):
    """An ``OrderTransaction`` node in the REST shape of a transaction."""
    return {
        "id": legacy_id(node.get("id")),
        "kind": (node.get("kind") or "").lower(),
        "status": (node.get("status") or "").lower(),
        "gateway": node.get("gateway"),
        "test": node.get("test"),
        "amount": shop_amount(node.get("amountSet")),
        "currency": ((node.get("amountSet") or {}).get("shopMoney") or {}).get("currencyCode"),
        "parent_id": legacy_id((node.get("parentTransaction") or {}).get("id")),
        "created_at": node.get("createdAt"),
        "processed_at": node.get("processedAt"),
    }


def _money_set(money_set):
    """A GraphQL MoneyBag in the REST ``*_set`` shape, shop money only."""
    shop = (money_set or {}).get("shopMoney") or {}
    return {"shop_money": {"amount": shop.get("amount"), "currency_code": shop.get("currencyCode")}}


def _adjustment_reason(reason):
    """``REFUND_DISCREPANCY`` → ``Refund discrepancy`` (REST gives the reason as text)."""
    return (reason or "").replace("_", " ").capitalize() or None


def refund_to_rest(node, order_payload, line_items=None):
    """A ``Refund`` node (``graphql.orders.REFUND_BY_ID``) in the REST shape of the
    ``refunds/create`` webhook, so that a refund the catch-up finds is booked by the same
    mapper and importer as one a webhook delivers.

    ``order_payload``: the REST shape of the refund's order (its id); ``line_items`` replaces
    the node's first page of lines when the caller paged the rest. Since API 2024-10 refunded
    shipping is in ``refundShippingLines`` and every order adjustment is a discrepancy
    (``kind`` ``refund_discrepancy``, no longer published in GraphQL). A connection with more
    entries than were read is listed in ``incomplete``: ``refund_from_rest`` refuses it rather
    than book part of the refund.
    """
    refund_id = legacy_id(node.get("legacyResourceId") or node.get("id"))
    lines = line_items if line_items is not None else _nodes(node.get("refundLineItems"))
    transactions = []
    for transaction in _nodes(node.get("transactions")):
        transactions.append(dict(transaction_to_rest(transaction), order_id=order_payload["id"]))
    payload = {
        "id": refund_id,
        "admin_graphql_api_id": node.get("id"),
        "order_id": order_payload["id"],
        "created_at": node.get("createdAt"),
        "note": node.get("note"),
        "restock": any((line.get("restockType") or "NO_RESTOCK") != "NO_RESTOCK" for line in lines),
        "refund_line_items": [
            {
                "id": legacy_id(line.get("id")),
                "line_item_id": legacy_id((line.get("lineItem") or {}).get("id")),
                "quantity": line.get("quantity"),
                "restock_type": (line.get("restockType") or "").lower() or None,
                "subtotal": shop_amount(line.get("subtotalSet")),
                "subtotal_set": _money_set(line.get("subtotalSet")),
                "total_tax": shop_amount(line.get("totalTaxSet")),
                "total_tax_set": _money_set(line.get("totalTaxSet")),
            }
            for line in lines
        ],
        "refund_shipping_lines": [
            {
                "id": legacy_id(line.get("id")),
                "subtotal_amount_set": _money_set(line.get("subtotalAmountSet")),
                "tax_amount_set": _money_set(line.get("taxAmountSet")),
            }
            for line in _nodes(node.get("refundShippingLines"))
        ],
        "order_adjustments": [
            {
                "id": legacy_id(adjustment.get("id")),
                "order_id": order_payload["id"],
                "refund_id": refund_id,
                "kind": "refund_discrepancy",
                "reason": _adjustment_reason(adjustment.get("reason")),
                "amount": shop_amount(adjustment.get("amountSet")),
                "amount_set": _money_set(adjustment.get("amountSet")),
                "tax_amount": shop_amount(adjustment.get("taxAmountSet")),
                "tax_amount_set": _money_set(adjustment.get("taxAmountSet")),
            }
            for adjustment in _nodes(node.get("orderAdjustments"))
        ],
        "duties": [
            {"amount_set": _money_set(duty.get("amountSet"))}
            for duty in node.get("duties") or []
            if isinstance(duty, dict)
        ],
        "transactions": transactions,
    }
    incomplete = [
        name
        for name in ("refundLineItems", "refundShippingLines", "orderAdjustments", "transactions")
        if ((node.get(name) or {}).get("pageInfo") or {}).get("hasNextPage")
        and not (name == "refundLineItems" and line_items is not None)
    ]
    if incomplete:
        payload["incomplete"] = incomplete
    return payload
