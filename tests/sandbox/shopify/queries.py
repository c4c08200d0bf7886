"""Root query fields: lookups by global id, searchable and sortable lists, access scopes.

``SEARCH_FIELDS`` and ``SORT_KEYS`` describe, per resource, which ``query:`` fields and
``sortKey`` values exist and how each reads a record. ``ROOT_SCOPES`` says which access scope
a root field needs; a token without it gets Shopify's ``ACCESS_DENIED`` error.
"""

import re
from decimal import Decimal

from graphql import GraphQLError

from .connections import paginate, search
from .store import parse_gid

#: gid type -> store table
NODE_TABLES = {
    "Product": "products", "ProductVariant": "variants", "InventoryItem": "inventory_items",
    "Location": "locations", "Customer": "customers", "Order": "orders",
    "FulfillmentOrder": "fulfillment_orders", "Fulfillment": "fulfillments",
    "Refund": "refunds", "WebhookSubscription": "webhook_subscriptions",
    "BulkOperation": "bulk_operations", "InventoryAdjustmentGroup": "adjustment_groups",
    "ShopifyPaymentsPayout": "payouts",
    "ShopifyPaymentsBalanceTransaction": "balance_transactions",
    "DraftOrder": "draft_orders", "MetafieldDefinition": "metafield_definitions",
}

#: root field (query or mutation) -> required access scope
ROOT_SCOPES = {
    "locations": "read_locations", "location": "read_locations",
    "products": "read_products", "product": "read_products", "collections": "read_products",
    "productVariants": "read_products", "productVariant": "read_products",
    "inventoryItems": "read_inventory", "inventoryItem": "read_inventory",
    "inventoryLevel": "read_inventory", "customers": "read_customers",
    "customer": "read_customers", "orders": "read_orders", "order": "read_orders",
    "fulfillmentOrders": "read_orders", "fulfillmentOrder": "read_orders",
    "fulfillment": "read_orders", "refund": "read_orders",
    "inventorySetQuantities": "write_inventory", "inventoryAdjustQuantities": "write_inventory",
    "inventoryActivate": "write_inventory", "productCreate": "write_products",
    "productUpdate": "write_products", "productSet": "write_products",
    "productVariantsBulkCreate": "write_products", "productVariantsBulkUpdate":
    "write_products", "customerCreate": "write_customers", "customerUpdate": "write_customers",
    "orderMarkAsPaid": "write_orders", "orderCancel": "write_orders",
    "refundCreate": "write_orders", "fulfillmentCreate": "write_fulfillments",
    "shopifyPaymentsAccount": "read_shopify_payments_payouts",
    "draftOrders": "read_draft_orders", "draftOrder": "read_draft_orders",
}


def has_scope(scopes, required):
    """``read_x`` is satisfied by ``write_x`` too."""
    return required in scopes or required.replace("read_", "write_", 1) in scopes


def access_denied(field_name, required):
    return GraphQLError(
        f"Access denied for {field_name} field. Required access: `{required}` access scope.",
        extensions={"code": "ACCESS_DENIED",
                    "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": f"`{required}` access scope."})


def _variants_of(store, product):
    return [store.variants[v] for v in product["variant_ids"]]


def _fulfillment_word(status):
    return {"UNFULFILLED": "unfulfilled", "PARTIALLY_FULFILLED": "partial",
            "FULFILLED": "shipped"}.get(status, status.lower())


def _order_status(order):
    if order["cancelled_at"]:
        return "cancelled"
    return "closed" if order["closed_at"] else "open"


def _search_fields(store):
    """Per resource: search field -> getter(record)."""
    common = {"id": lambda r: r["id"], "updated_at": lambda r: r["updated_at"],
              "created_at": lambda r: r["created_at"]}
    return {
        "products": dict(common, **{
            "title": lambda r: r["title"], "status": lambda r: r["status"],
            "vendor": lambda r: r["vendor"], "product_type": lambda r: r["product_type"],
            "handle": lambda r: r["handle"], "tag": lambda r: r["tags"],
            "sku": lambda r: [v.get("sku") for v in _variants_of(store, r)],
            "barcode": lambda r: [v.get("barcode") for v in _variants_of(store, r)],
            "default": lambda r: r["title"]}),
        "variants": dict(common, **{
            "sku": lambda r: r.get("sku"), "barcode": lambda r: r.get("barcode"),
            "product_id": lambda r: r["product_id"], "title": store.variant_title,
            "default": lambda r: f"{r.get('sku')} {store.variant_title(r)}"}),
        "inventory_items": dict(common, sku=lambda r: r.get("sku"),
                                default=lambda r: r.get("sku")),
        "customers": dict(common, **{
            "email": lambda r: r.get("email"), "first_name": lambda r: r.get("first_name"),
            "last_name": lambda r: r.get("last_name"), "phone": lambda r: r.get("phone"),
            "tag": lambda r: r["tags"],
            "default": lambda r: f"{r.get('first_name')} {r.get('last_name')} {r.get('email')}"}),
        "orders": dict(common, **{
            "processed_at": lambda r: r["processed_at"], "name": lambda r: r["name"],
            "email": lambda r: r.get("email"), "tag": lambda r: r["tags"],
            "financial_status": lambda r: r["financial_status"].lower(),
            "fulfillment_status": lambda r: _fulfillment_word(r["fulfillment_status"]),
            "status": _order_status, "customer_id": lambda r: r.get("customer_id"),
            "sku": lambda r: [line["sku"] for line in r["line_items"]],
            "default": lambda r: f"{r['name']} {r.get('email')}"}),
        "fulfillment_orders": dict(common, status=lambda r: r["status"].lower(),
                                   order_id=lambda r: r["order_id"],
                                   default=lambda r: r["status"]),
        "locations": dict(common, name=lambda r: r["name"], default=lambda r: r["name"]),
        "webhook_subscriptions": dict(common, topic=lambda r: r["topic"],
                                      default=lambda r: r["callback_url"]),
        "bulk_operations": {"id": lambda r: r["id"], "created_at": lambda r: r["created_at"],
                            "operation_type": lambda r: r["type"].lower(),
                            "status": lambda r: r["status"].lower(),
                            "default": lambda r: r["status"]},
    }


SORT_KEYS = {
    "ID": lambda r: r["id"], "TITLE": lambda r: r.get("title"), "NAME": lambda r: r.get(
        "name") or f"{r.get('last_name')} {r.get('first_name')}",
    "UPDATED_AT": lambda r: r["updated_at"], "CREATED_AT": lambda r: r["created_at"],
    "PROCESSED_AT": lambda r: r.get("processed_at"), "VENDOR": lambda r: r.get("vendor"),
    "PRODUCT_TYPE": lambda r: r.get("product_type"), "SKU": lambda r: r.get("sku"),
    "POSITION": lambda r: r.get("position"), "ORDER_NUMBER": lambda r: r.get("number"),
    "TOTAL_PRICE": lambda r: Decimal(r.get("total_price") or 0).quantize(Decimal("0.0001")),
    "FINANCIAL_STATUS": lambda r: r.get("financial_status"),
    "FULFILLMENT_STATUS": lambda r: r.get("fulfillment_status"),
    "CUSTOMER_NAME": lambda r: r.get("email"), "RELEVANCE": lambda r: r["id"],
    "COMPLETED_AT": lambda r: r.get("completed_at"),
    "INVENTORY_QUANTITY": lambda r: r["id"], "NUMBER": lambda r: r.get("number"),
    "STATUS": lambda r: r.get("status"),
}


def _list_resolver(table, records=None):
    """Resolver of a searchable, sortable root connection over a store table."""
    def resolve(_root, info, **args):
        store = info.context["store"]
        with store.lock:
            if records is _webhook_subscriptions:
                items = records(store, args, store.token_app(info.context.get("token")))
            else:
                items = records(store, args) if records else list(
                    getattr(store, table).values())
            items = search(items, args.get("query"), _search_fields(store)[table],
                           info.context, info.path.as_list())
            sort = SORT_KEYS.get(args.get("sortKey") or "ID", SORT_KEYS["ID"])
            return paginate(items, args, info.context, sort)
    return resolve


def _by_gid(table, type_name):
    def resolve(_root, info, id=None):
        record_id = parse_gid(id, type_name)
        return getattr(info.context["store"], table).get(record_id) if record_id else None
    return resolve


def find_node(store, global_id):
    """Any record by global id (``node(id:)``), including parameterised InventoryLevel ids."""
    text = str(global_id or "")
    match = re.fullmatch(r"gid://shopify/InventoryLevel/(\d+)\?inventory_item_id=(\d+)", text)
    if match:
        return store.levels.get((int(match[2]), int(match[1])))
    match = re.fullmatch(r"gid://shopify/(\w+)/(\d+)", text)
    if not match:
        return None
    if match[1] == "LineItem":
        return store.line_items.get(int(match[2]))
    table = NODE_TABLES.get(match[1])
    return getattr(store, table).get(int(match[2])) if table else None


def _node(_root, info, id):
    record = find_node(info.context["store"], id)
    required = ROOT_SCOPES.get(_NODE_SCOPE_FIELD.get((record or {}).get("_type"), ""))
    if record and required and not has_scope(info.context["scopes"], required):
        raise access_denied("node", required)
    return record


_NODE_SCOPE_FIELD = {"Product": "product", "ProductVariant": "product", "Order": "order",
                     "Customer": "customer", "InventoryItem": "inventoryItem",
                     "InventoryLevel": "inventoryItem", "Location": "location",
                     "FulfillmentOrder": "order", "Fulfillment": "order", "Refund": "order",
                     "LineItem": "order", "ShopifyPaymentsPayout": "shopifyPaymentsAccount",
                     "ShopifyPaymentsBalanceTransaction": "shopifyPaymentsAccount",
                     "DraftOrder": "draftOrder"}


def _webhook_subscriptions(store, args, app=None):
    """The subscriptions of the calling app only (``app``: its name, None = the store's)."""
    items = [s for s in store.webhook_subscriptions.values() if s.get("app") == app]
    if args.get("topics"):
        items = [s for s in items if s["topic"] in args["topics"]]
    if args.get("callbackUrl"):
        items = [s for s in items if s["callback_url"] == args["callbackUrl"]]
    return items


def _own_bulk_operations(store, info):
    """Bulk operations are per app: those started with the calling token."""
    return [op for op in store.bulk_operations.values()
            if op.get("token") == info.context.get("token")]


def _bulk_operations(_root, info, **args):
    store = info.context["store"]
    with store.lock:
        items = search(_own_bulk_operations(store, info), args.get("query"),
                       _search_fields(store)["bulk_operations"], info.context,
                       info.path.as_list())
        return paginate(items, args, info.context,
                        SORT_KEYS[args.get("sortKey") or "CREATED_AT"])


def _current_app_installation(_root, info):
    """The calling app's installation (the store's own app is 1, others follow by name)."""
    from .metafield_definitions import app_number  # it imports this module

    number = app_number(info.context["store"], info.context.get("token"))
    return {"_type": "AppInstallation", "id": number, "accessScopes": [
        {"handle": scope, "description": f"Access scope {scope}"}
        for scope in sorted(info.context["scopes"])]}


def _current_bulk_operation(_root, info, type="QUERY"):
    operations = [op for op in info.context["store"].bulk_operations.values()
                  if op["type"] == type and op.get("token") == info.context.get("token")]
    return max(operations, key=lambda op: op["id"]) if operations else None


QUERY_RESOLVERS = {
    "shop": lambda _root, info: info.context["store"].shop,
    "node": _node,
    "nodes": lambda root, info, ids: [_node(root, info, i) for i in ids],
    "location": lambda _root, info, id=None: (
        info.context["store"].locations.get(parse_gid(id, "Location")) if id
        else next(iter(info.context["store"].locations.values()), None)),
    "locations": _list_resolver("locations", lambda store, args: [
        loc for loc in store.locations.values()
        if loc["is_active"] or args.get("includeInactive")]),
    "product": _by_gid("products", "Product"),
    "products": _list_resolver("products"),
    "productVariant": _by_gid("variants", "ProductVariant"),
    "productVariants": _list_resolver("variants"),
    "inventoryItem": _by_gid("inventory_items", "InventoryItem"),
    "inventoryItems": _list_resolver("inventory_items"),
    "inventoryLevel": lambda _root, info, id: find_node(info.context["store"], id),
    "customer": _by_gid("customers", "Customer"),
    "customers": _list_resolver("customers"),
    "order": _by_gid("orders", "Order"),
    "orders": _list_resolver("orders"),
    "fulfillmentOrder": _by_gid("fulfillment_orders", "FulfillmentOrder"),
    "fulfillmentOrders": _list_resolver("fulfillment_orders", lambda store, args: [
        fo for fo in store.fulfillment_orders.values()
        if args.get("includeClosed") or fo["status"] not in ("CLOSED", "CANCELLED")]),
    "fulfillment": _by_gid("fulfillments", "Fulfillment"),
    "refund": _by_gid("refunds", "Refund"),
    "webhookSubscription": _by_gid("webhook_subscriptions", "WebhookSubscription"),
    "webhookSubscriptions": _list_resolver("webhook_subscriptions", _webhook_subscriptions),
    "currentBulkOperation": _current_bulk_operation,
    "bulkOperations": _bulk_operations,
    "currentAppInstallation": _current_app_installation,
    "bulkOperation": lambda _root, info, id: next(
        iter(op for op in _own_bulk_operations(info.context["store"], info)
             if op["id"] == parse_gid(id, "BulkOperation")), None),
    # the store models no collections: an empty, paginated connection
    "collections": lambda _root, info, **args: paginate([], args, info.context),
    # null until the store uses Shopify Payments (its first payout)
    "shopifyPaymentsAccount": lambda _root, info: info.context["store"].payments_account,
}


def with_scope(field_name, resolver):
    """Wrap a root resolver so it raises ACCESS_DENIED when the token lacks the scope."""
    required = ROOT_SCOPES.get(field_name)
    if not required:
        return resolver

    def guarded(root, info, **args):
        if not has_scope(info.context["scopes"], required):
            raise access_denied(field_name, required)
        return resolver(root, info, **args)
    return guarded


def bind_root_resolvers(schema, mutation_resolvers, query_resolvers=None):
    """Attach query and mutation root resolvers, each behind its scope check
    (``query_resolvers``: more root query fields, from the modules that own them)."""
    queries = dict(QUERY_RESOLVERS, **(query_resolvers or {}))
    for root_type, table in ((schema.query_type, queries),
                             (schema.mutation_type, mutation_resolvers)):
        for field_name, resolver in table.items():
            root_type.fields[field_name].resolve = with_scope(field_name, resolver)
