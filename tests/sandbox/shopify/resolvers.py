"""Field resolvers of the object types: how a store record answers each GraphQL field.

Most fields need no code: ``default_resolver`` maps ``id`` to a global id, ``legacyResourceId``
to the numeric id as a string, ``fooSet`` (a MoneyBag) to the amount in ``foo``, and any other
camelCase name to its snake_case key. ``TYPE_RESOLVERS`` holds the rest, one small function per
computed field, as data.
"""

import re
from decimal import Decimal

from graphql import GraphQLError, get_named_type

from .connections import paginate, search
from .store import QUANTITY_NAMES, gid, level_gid, money, parse_gid

SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name):
    return SNAKE.sub("_", name).lower()


def money_v2(amount, currency):
    return {"_type": "MoneyV2", "amount": money(amount), "currencyCode": currency}


def money_bag(amount, currency):
    """A MoneyBag with shop and presentment money equal (one-currency sandbox)."""
    if amount is None:
        return None
    value = money_v2(amount, currency)
    return {"shopMoney": value, "presentmentMoney": dict(value)}


def store_of(info):
    return info.context["store"]


def currency_of(info):
    return info.context["store"].currency


def default_resolver(source, info, **_args):
    """Resolve a field of a record dict by naming convention (see module docstring)."""
    if not isinstance(source, dict):
        return getattr(source, info.field_name, None)
    name = info.field_name
    if name == "id" and "_type" in source:
        return gid(source["_type"], source["id"])
    if name == "legacyResourceId":
        return str(source["id"])
    if name in source:
        return source[name]
    if name.endswith("Set") and get_named_type(info.return_type).name == "MoneyBag":
        return money_bag(source.get(snake(name[:-3])), currency_of(info))
    return source.get(snake(name))


def connection(getter, sort_value=None):
    """Build a connection resolver from ``getter(record, info) -> list of records``."""
    def resolve(source, info, **args):
        return paginate(getter(source, info), args, info.context, sort_value)
    return resolve


def _limit(items, first):
    return items[:first] if first is not None else items


def _line_unit_prices(line):
    discount = sum(Decimal(a["amount"]) for a in line["discount_allocations"])
    total = Decimal(line["price"]) * line["quantity"]
    return total, discount


def _line_level_discount(line, info, with_codes=False):
    """What of a line's discount Shopify counts in its ``discountedUnitPriceSet`` and
    ``discountedTotalSet``: line-level discounts only (an order-level one, targeting ALL
    lines, is left out), and code-based ones only when asked (``withCodeDiscounts``)."""
    applications = store_of(info).orders[line["order_id"]]["discount_applications"]
    total = Decimal(0)
    for allocation in line["discount_allocations"]:
        application = applications[allocation["discount_application_index"]]
        if application["target_selection"] == "ALL":
            continue
        if application["type"] == "discount_code" and not with_codes:
            continue
        total += Decimal(allocation["amount"])
    return total


def _quantities(level, info, names):
    unknown = [n for n in names if n not in (*QUANTITY_NAMES, "on_hand")]
    if unknown:
        raise GraphQLError(f"Invalid quantity name(s): {', '.join(unknown)}",
                           extensions={"code": "BAD_REQUEST"})
    store = store_of(info)
    return [{"id": f"gid://shopify/InventoryQuantity/{level['id']}?name={name}", "name": name,
             "quantity": store.quantity(level, name), "updatedAt": level["updated_at"]}
            for name in names]


def _discount_value(application, info):
    if application["value_type"] == "percentage":
        return {"_type": "PricingPercentageValue", "percentage": float(application["value"])}
    return money_v2(application["value"], currency_of(info))


def _discount_allocations(line, info):
    order = store_of(info).orders[line["order_id"]]
    return [{"allocatedAmountSet": money_bag(a["amount"], currency_of(info)),
             "discountApplication": order["discount_applications"][
                 a["discount_application_index"]]} for a in line["discount_allocations"]]


def _outstanding(order):
    from .rest_orders import _outstanding as outstanding  # rest_orders imports this module

    return outstanding(order)


def _capturable(order):
    from .payments import capturable

    return sum((amount for _auth, amount in capturable(order)), Decimal(0))


def _current_quantity(line):
    return line["quantity"] - line["refunded_quantity"] - line.get("removed_quantity", 0)


def _shipping_discounted(shipping):
    return Decimal(shipping["price"]) - sum(
        (Decimal(a["amount"]) for a in shipping.get("discount_allocations", [])), Decimal(0))


def _shipping_current(shipping):
    """Discounted shipping price less what refunds took back (``refunded_amount``)."""
    return _shipping_discounted(shipping) - Decimal(shipping.get("refunded_amount") or 0)


#: Human-readable names of the gateways the sandbox's checkout uses, as Shopify's admin
#: shows them; any other gateway reads as its handle with spaces.
GATEWAY_NAMES = {"shopify_payments": "Shopify Payments", "gift_card": "Gift card",
                 "manual": "Manual", "cash": "Cash"}


def _formatted_gateway(gateway):
    if not gateway:
        return None
    return GATEWAY_NAMES.get(gateway) or gateway.replace("_", " ").capitalize()


def _refund_order_id(refund_shipping_line, info):
    return next(r["order_id"] for r in store_of(info).refunds.values()
                if refund_shipping_line in r.get("shipping_lines", []))


def _customer_orders(store, customer):
    return [o for o in store.orders.values() if o.get("customer_id") == customer["id"]]


TYPE_RESOLVERS = {
    "Shop": {
        "currencyCode": lambda s, i: s["currency"],
        "primaryDomain": lambda s, i: {"id": gid("Domain", s["id"]),
                                       "host": s["myshopify_domain"],
                                       "url": "https://" + s["myshopify_domain"]},
        "plan": lambda s, i: {"displayName": s["plan_name"].title(),
                              "publicDisplayName": s["plan_name"].title(),
                              "partnerDevelopment": False, "shopifyPlus": False},
    },
    "Location": {
        "inventoryLevels": connection(
            lambda s, i: store_of(i).levels_at_location(s["id"])),
    },
    "Product": {
        "options": lambda s, i, first=None: _limit([
            dict(o, optionValues=[{"id": gid("ProductOptionValue", f"{o['id']}{n}"),
                                   "name": v, "hasVariants": True}
                                  for n, v in enumerate(o["values"])])
            for o in s["options"]], first),
        "isGiftCard": lambda s, i: bool(s.get("gift_card")),
        "totalInventory": lambda s, i: sum(
            store_of(i).inventory_quantity(store_of(i).variants[v]) for v in s["variant_ids"]),
        "variantsCount": lambda s, i: {"count": len(s["variant_ids"]), "precision": "EXACT"},
        "variants": connection(
            lambda s, i: [store_of(i).variants[v] for v in s["variant_ids"]],
            lambda v: v["position"]),
        "media": connection(lambda s, i: []),
        "collections": connection(lambda s, i: []),
    },
    "ProductVariant": {
        "title": lambda s, i: store_of(i).variant_title(s),
        "displayName": lambda s, i: (f"{store_of(i).products[s['product_id']]['title']}"
                                     f" - {store_of(i).variant_title(s)}"),
        "inventoryQuantity": lambda s, i: store_of(i).inventory_quantity(s),
        "inventoryItem": lambda s, i: store_of(i).inventory_items[s["inventory_item_id"]],
        "product": lambda s, i: store_of(i).products[s["product_id"]],
        "media": connection(lambda s, i: []),
    },
    "InventoryItem": {
        "unitCost": lambda s, i: (money_v2(s["unit_cost"], currency_of(i))
                                  if s.get("unit_cost") else None),
        "variant": lambda s, i: store_of(i).variants[s["variant_id"]],
        # Every level of the sandbox is active (it models no deactivation), so
        # ``includeInactive`` (2026-04 on) changes nothing.
        "inventoryLevel": lambda s, i, locationId, includeInactive=None: store_of(i).levels.get(
            (s["id"], _parse_location(locationId))),
        "inventoryLevels": connection(lambda s, i: store_of(i).levels_of_item(s["id"])),
    },
    "InventoryLevel": {
        "id": lambda s, i: level_gid(s["location_id"], s["item_id"]),
        "location": lambda s, i: store_of(i).locations[s["location_id"]],
        "item": lambda s, i: store_of(i).inventory_items[s["item_id"]],
        "quantities": _quantities,
        "isActive": lambda s, i: True,
    },
    "InventoryChange": {
        "item": lambda s, i: store_of(i).inventory_items.get(s["item_id"]),
        "location": lambda s, i: store_of(i).locations.get(s["location_id"]),
    },
    "InventoryAdjustmentGroup": {
        "changes": lambda s, i, inventoryItemIds=None, locationIds=None, quantityNames=None: [
            c for c in s["changes"]
            if (not quantityNames or c["name"] in quantityNames)
            and (not inventoryItemIds or gid("InventoryItem", c["item_id"]) in inventoryItemIds)
            and (not locationIds or gid("Location", c["location_id"]) in locationIds)],
    },
    "Customer": {
        "taxExempt": lambda s, i: bool(s.get("tax_exempt")),
        "displayName": lambda s, i: (f"{s.get('first_name') or ''} "
                                     f"{s.get('last_name') or ''}").strip() or s.get("email")
        or "",
        "numberOfOrders": lambda s, i: str(len(_customer_orders(store_of(i), s))),
        "amountSpent": lambda s, i: money_v2(sum(
            (Decimal(o["total_price"]) for o in _customer_orders(store_of(i), s)), Decimal(0)),
            currency_of(i)),
        "defaultAddress": lambda s, i: s["addresses"][0] if s["addresses"] else None,
        "addresses": lambda s, i, first=None: _limit(s["addresses"], first),
        "addressesV2": connection(lambda s, i: s["addresses"]),
        "emailMarketingConsent": lambda s, i: {"marketingState": s["marketing_state"],
                                               "marketingOptInLevel": None,
                                               "consentUpdatedAt": None},
        "defaultEmailAddress": lambda s, i: ({"emailAddress": s["email"], "marketingState":
                                              s["marketing_state"]} if s.get("email") else None),
        "defaultPhoneNumber": lambda s, i: ({"phoneNumber": s["phone"]}
                                            if s.get("phone") else None),
    },
    "Order": {
        "currencyCode": lambda s, i: s["currency"],
        "presentmentCurrencyCode": lambda s, i: s["currency"],
        "closed": lambda s, i: s["closed_at"] is not None,
        "customAttributes": lambda s, i: [{"key": a["name"], "value": a.get("value")}
                                          for a in s.get("note_attributes", [])],
        "paymentGatewayNames": lambda s, i: s.get("payment_gateway_names") or [s["gateway"]],
        "displayFinancialStatus": lambda s, i: s["financial_status"],
        "displayFulfillmentStatus": lambda s, i: s["fulfillment_status"],
        "fullyPaid": lambda s, i: _outstanding(s) == "0.00",
        "totalOutstandingSet": lambda s, i: money_bag(_outstanding(s), currency_of(i)),
        "totalCapturableSet": lambda s, i: money_bag(_capturable(s), currency_of(i)),
        "discountApplications": connection(lambda s, i: s["discount_applications"],
                                           lambda a: a["index"]),
        "lineItems": connection(lambda s, i: s["line_items"]),
        "shippingLines": connection(lambda s, i: s["shipping_lines"]),
        "customer": lambda s, i: store_of(i).customers.get(s.get("customer_id")),
        "transactions": lambda s, i, first=None: _limit(s["transactions"], first),
        "fulfillmentOrders": connection(lambda s, i: [
            store_of(i).fulfillment_orders[f] for f in s["fulfillment_order_ids"]]),
        "fulfillments": lambda s, i, first=None: _limit(
            [store_of(i).fulfillments[f] for f in s["fulfillment_ids"]], first),
        "refunds": lambda s, i, first=None: _limit(
            [store_of(i).refunds[r] for r in s["refund_ids"]], first),
        # A retail location only for orders made at a point of sale.
        "retailLocation": lambda s, i: (store_of(i).locations.get(s.get("location_id"))
                                        if s.get("source_name") == "pos" else None),
        "currentShippingPriceSet": lambda s, i: money_bag(
            sum((_shipping_current(x) for x in s["shipping_lines"]), Decimal(0)),
            currency_of(i)),
        # No cash rounding: the sandbox's gateways are not cash at a point of sale.
        "totalCashRoundingAdjustment": lambda s, i: {
            "paymentSet": money_bag(0, currency_of(i)),
            "refundSet": money_bag(0, currency_of(i))},
        # The sandbox runs no fraud analysis: no assessment, so no recommended action.
        "risk": lambda s, i: {"assessments": [], "recommendation": "NONE"},
        "returns": connection(lambda s, i: []),  # the sandbox models no returns
    },
    "TaxLine": {"ratePercentage": lambda s, i: round(float(s["rate"]) * 100, 4)},
    "DiscountCodeApplication": {"value": _discount_value},
    "ManualDiscountApplication": {"value": _discount_value},
    "AutomaticDiscountApplication": {"value": _discount_value},
    "LineItem": {
        "currentQuantity": lambda s, i: _current_quantity(s),
        "isGiftCard": lambda s, i: bool(s.get("gift_card")),
        "unfulfilledQuantity": lambda s, i: max(
            0, _current_quantity(s) - s["fulfilled_quantity"]) if s["requires_shipping"] else 0,
        "refundableQuantity": lambda s, i: _current_quantity(s),
        "variant": lambda s, i: store_of(i).variants.get(s["variant_id"]),
        "product": lambda s, i: store_of(i).products.get(s["product_id"]),
        "originalUnitPriceSet": lambda s, i: money_bag(s["price"], currency_of(i)),
        # Line-level, not code-based discounts, over the ordered quantity.
        "discountedUnitPriceSet": lambda s, i: money_bag(
            (_line_unit_prices(s)[0] - _line_level_discount(s, i)) / s["quantity"],
            currency_of(i)),
        # All discounts, order-level ones included, over the ordered quantity.
        "discountedUnitPriceAfterAllDiscountsSet": lambda s, i: money_bag(
            (_line_unit_prices(s)[0] - _line_unit_prices(s)[1]) / s["quantity"],
            currency_of(i)),
        "originalTotalSet": lambda s, i: money_bag(_line_unit_prices(s)[0], currency_of(i)),
        "discountedTotalSet": lambda s, i, withCodeDiscounts=False: money_bag(
            _line_unit_prices(s)[0] - _line_level_discount(s, i, bool(withCodeDiscounts)),
            currency_of(i)),
        "totalDiscountSet": lambda s, i: money_bag(_line_unit_prices(s)[1], currency_of(i)),
        "taxLines": lambda s, i, first=None: _limit(s["tax_lines"], first),
        "discountAllocations": _discount_allocations,
        "customAttributes": lambda s, i: [{"key": p["name"], "value": p.get("value")}
                                          for p in s.get("properties", [])],
    },
    "ShippingLine": {
        "id": lambda s, i: gid("ShippingLine", s["id"]),
        "originalPriceSet": lambda s, i: money_bag(s["price"], currency_of(i)),
        "discountedPriceSet": lambda s, i: money_bag(_shipping_discounted(s), currency_of(i)),
        "currentDiscountedPriceSet": lambda s, i: money_bag(_shipping_current(s),
                                                            currency_of(i)),
    },
    "OrderTransaction": {
        "processedAt": lambda s, i: s["created_at"],
        "formattedGateway": lambda s, i: _formatted_gateway(s.get("gateway")),
        "parentTransaction": lambda s, i: next(
            (t for t in store_of(i).orders[s["order_id"]]["transactions"]
             if t["id"] == s["parent_id"]), None),
    },
    "FulfillmentOrder": {
        "requestStatus": lambda s, i: "UNSUBMITTED",
        "orderId": lambda s, i: gid("Order", s["order_id"]),
        "order": lambda s, i: store_of(i).orders[s["order_id"]],
        "assignedLocation": lambda s, i: {
            "name": store_of(i).locations[s["location_id"]]["name"],
            "location": store_of(i).locations[s["location_id"]]},
        "lineItems": connection(lambda s, i: s["line_items"]),
    },
    "FulfillmentOrderLineItem": {
        "lineItem": lambda s, i: store_of(i).line_items[s["line_item_id"]],
        "sku": lambda s, i: store_of(i).line_items[s["line_item_id"]]["sku"],
    },
    "Fulfillment": {
        "trackingInfo": lambda s, i, first=None: _limit(s["tracking"], first),
        "location": lambda s, i: store_of(i).locations.get(s["location_id"]),
        "order": lambda s, i: store_of(i).orders[s["order_id"]],
        "fulfillmentLineItems": connection(lambda s, i: s["line_items"]),
    },
    "FulfillmentLineItem": {"lineItem": lambda s, i: store_of(i).line_items[s["line_item_id"]]},
    "Refund": {
        "updatedAt": lambda s, i: s["created_at"],
        "order": lambda s, i: store_of(i).orders[s["order_id"]],
        "refundLineItems": connection(lambda s, i: s["line_items"]),
        "transactions": connection(lambda s, i: s["transactions"]),
        "refundShippingLines": connection(lambda s, i: s.get("shipping_lines", [])),
        "orderAdjustments": connection(lambda s, i: s.get("order_adjustments", [])),
    },
    "RefundShippingLine": {
        "shippingLine": lambda s, i: next(
            x for o in [store_of(i).orders[_refund_order_id(s, i)]] for x in o["shipping_lines"]
            if x["id"] == s["shipping_line_id"]),
        "subtotalAmountSet": lambda s, i: money_bag(s["subtotal"], currency_of(i)),
        "taxAmountSet": lambda s, i: money_bag(s["tax"], currency_of(i)),
    },
    "RefundLineItem": {
        "id": lambda s, i: gid("RefundLineItem", s["id"]),
        "lineItem": lambda s, i: store_of(i).line_items[s["line_item_id"]],
        "location": lambda s, i: store_of(i).locations.get(s["location_id"]),
    },
    "WebhookSubscription": {
        "uri": lambda s, i: s["callback_url"],
        "endpoint": lambda s, i: {"_type": "WebhookHttpEndpoint",
                                  "callbackUrl": s["callback_url"]},
        "apiVersion": lambda s, i: {"handle": s["api_version"],
                                    "displayName": s["api_version"], "supported": True},
    },
}


def _payments_connection(table):
    """``payouts`` / ``balanceTransactions`` of the payments account: searchable by
    ``query:`` (see ``payouts.SEARCH_FIELDS``), sorted by id."""
    def resolve(_account, info, **args):
        from .payouts import SEARCH_FIELDS  # payouts imports orders, which needs this module

        store = store_of(info)
        with store.lock:
            items = list(getattr(store, table).values())
            if table == "payouts" and args.get("transactionType"):
                items = [p for p in items if p["transaction_type"] == args["transactionType"]]
            if table == "balance_transactions" and args.get("hideTransfers"):
                items = [t for t in items if t["type"] != "TRANSFER"]
            items = search(items, args.get("query"), SEARCH_FIELDS[table], info.context,
                           info.path.as_list())
            return paginate(items, args, info.context)
    return resolve


def _associated_order(transaction, info):
    order = store_of(info).orders.get(transaction.get("order_id"))
    return {"id": gid("Order", order["id"]), "name": order["name"]} if order else None


def _associated_payout(transaction, info):
    payout = store_of(info).payouts.get(transaction["payout_id"])
    return {"id": gid("ShopifyPaymentsPayout", payout["id"]) if payout else None,
            "status": payout["status"] if payout else "PENDING"}


TYPE_RESOLVERS.update({
    "ShopifyPaymentsAccount": {
        "defaultCurrency": lambda s, i: currency_of(i),
        "balance": lambda s, i: [money_v2(0, currency_of(i))],
        "payouts": _payments_connection("payouts"),
        "balanceTransactions": _payments_connection("balance_transactions"),
    },
    "ShopifyPaymentsPayout": {
        "net": lambda s, i: money_v2(s["net"], s["currency"]),
        "transactionType": lambda s, i: s["transaction_type"],
    },
    "ShopifyPaymentsBalanceTransaction": {
        "amount": lambda s, i: money_v2(s["amount"], s["currency"]),
        "fee": lambda s, i: money_v2(s["fee"], s["currency"]),
        "net": lambda s, i: money_v2(s["net"], s["currency"]),
        "associatedPayout": _associated_payout,
        "associatedOrder": _associated_order,
    },
})


def _parse_location(value):
    return parse_gid(value, "Location")


def _resolve_type(record, _info, _type):
    return record.get("_type")


def bind_type_resolvers(schema, more=()):
    """Attach ``TYPE_RESOLVERS`` (and the tables in ``more``, from the modules that own
    their types) and abstract-type resolution to a built schema."""
    tables = [TYPE_RESOLVERS, *more]
    for type_name, fields in ((t, f) for table in tables for t, f in table.items()):
        graphql_type = schema.type_map[type_name]
        for field_name, resolver in fields.items():
            if field_name not in graphql_type.fields:  # absent in this API version
                continue
            graphql_type.fields[field_name].resolve = (
                lambda source, info, _r=resolver, **args: _r(source, info, **args))
    for abstract in ("Node", "DiscountApplication", "PricingValue",
                     "WebhookSubscriptionEndpoint", "Media"):
        schema.type_map[abstract].resolve_type = _resolve_type
