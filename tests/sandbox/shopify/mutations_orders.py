"""Order, fulfilment, refund and webhook-subscription mutations.

Each one translates GraphQL input (global ids, camelCase) into a call of the life-cycle
functions in ``orders``/``aftersale`` and turns an ``OrderError`` into ``userErrors``.
"""

import re

from . import aftersale, orders
from .mutations_inventory import user_error
from .orders import OrderError
from .store import parse_gid

#: GraphQL topic enum -> REST topic string (the X-Shopify-Topic header)
TOPICS = {
    "APP_UNINSTALLED": "app/uninstalled", "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "CUSTOMERS_CREATE": "customers/create", "CUSTOMERS_DELETE": "customers/delete",
    "CUSTOMERS_UPDATE": "customers/update", "DRAFT_ORDERS_CREATE": "draft_orders/create",
    "DRAFT_ORDERS_DELETE": "draft_orders/delete", "DRAFT_ORDERS_UPDATE": "draft_orders/update",
    "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
    "INVENTORY_ITEMS_UPDATE": "inventory_items/update",
    "INVENTORY_LEVELS_CONNECT": "inventory_levels/connect",
    "INVENTORY_LEVELS_DISCONNECT": "inventory_levels/disconnect",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
    "ORDERS_CANCELLED": "orders/cancelled", "ORDERS_CREATE": "orders/create",
    "ORDERS_FULFILLED": "orders/fulfilled", "ORDERS_PAID": "orders/paid",
    "ORDERS_PARTIALLY_FULFILLED": "orders/partially_fulfilled",
    "ORDERS_UPDATED": "orders/updated", "PRODUCTS_CREATE": "products/create",
    "PRODUCTS_DELETE": "products/delete", "PRODUCTS_UPDATE": "products/update",
    "REFUNDS_CREATE": "refunds/create",
}
URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


def _errors(error):
    return [user_error(error.field, str(error))]


def order_mark_as_paid(_root, info, input):
    store = info.context["store"]
    try:
        order = orders.mark_paid(store, parse_gid(input["id"], "Order") or 0)
    except OrderError as error:
        return {"order": None, "userErrors": _errors(error)}
    return {"order": order, "userErrors": []}


def order_cancel(_root, info, *, orderId, reason, refund, restock, notifyCustomer=False,
                 staffNote=None):
    store = info.context["store"]
    try:
        orders.cancel(store, parse_gid(orderId, "Order") or 0, reason=reason, restock=restock,
                      refund=refund)
    except OrderError as error:
        problems = [dict(user_error(["orderId"], str(error)), code="INVALID")]
        return {"job": None, "orderCancelUserErrors": problems,
                "userErrors": [user_error(["orderId"], str(error))]}
    job = {"id": f"gid://shopify/Job/{store.next_id()}", "done": True}
    return {"job": job, "orderCancelUserErrors": [], "userErrors": []}


def fulfillment_create(_root, info, fulfillment, message=None):
    store = info.context["store"]
    groups = [{"fulfillment_order_id": parse_gid(g["fulfillmentOrderId"],
                                                 "FulfillmentOrder") or 0,
               "fulfillment_order_line_items": [
                   {"id": parse_gid(li["id"], "FulfillmentOrderLineItem") or 0,
                    "quantity": li["quantity"]}
                   for li in g.get("fulfillmentOrderLineItems") or []]}
              for g in fulfillment["lineItemsByFulfillmentOrder"]]
    tracking = fulfillment.get("trackingInfo") or {}
    tracking = {"company": tracking.get("company"),
                "number": tracking.get("number") or (tracking.get("numbers") or [None])[0],
                "url": tracking.get("url") or (tracking.get("urls") or [None])[0]}
    try:
        record = aftersale.create_fulfillment(store, groups, tracking,
                                              fulfillment.get("notifyCustomer"))
    except OrderError as error:
        return {"fulfillment": None, "userErrors": _errors(error)}
    return {"fulfillment": record, "userErrors": []}


def fulfillment_tracking_info_update(_root, info, fulfillmentId, trackingInfoInput,
                                     notifyCustomer=None):
    """Replace a fulfillment's tracking (a number added or corrected after shipping)."""
    store = info.context["store"]
    with store.lock:
        record = store.fulfillments.get(parse_gid(fulfillmentId, "Fulfillment") or 0)
        if record is None:
            return {"fulfillment": None,
                    "userErrors": [user_error(["fulfillmentId"], "Fulfillment does not exist")]}
        numbers = trackingInfoInput.get("numbers") or [trackingInfoInput.get("number")]
        urls = trackingInfoInput.get("urls") or [trackingInfoInput.get("url")]
        record["tracking"] = [
            {"company": trackingInfoInput.get("company"), "number": number,
             "url": urls[index] if index < len(urls) else None}
            for index, number in enumerate(numbers) if number
        ]
        store.touch(record)
    return {"fulfillment": record, "userErrors": []}


def refund_create(_root, info, input):
    store = info.context["store"]
    order_id = parse_gid(input["orderId"], "Order")
    lines = [{"line_item_id": parse_gid(li["lineItemId"], "LineItem") or 0,
              "quantity": li["quantity"], "restock_type": li.get("restockType"),
              "location_id": parse_gid(li.get("locationId"), "Location")}
             for li in input.get("refundLineItems") or []]
    shipping = input.get("shipping") or {}
    transactions = [{"amount": t["amount"], "gateway": t.get("gateway"),
                     "parent_id": parse_gid(t.get("parentId"), "OrderTransaction")}
                    for t in input.get("transactions") or [] if t.get("kind") == "REFUND"]
    try:
        refund = aftersale.create_refund(
            store, order_id or 0, lines, shipping={
                "full_refund": bool(shipping.get("fullRefund")),
                "amount": shipping.get("amount")}, note=input.get("note"),
            transactions=transactions or None)
    except OrderError as error:
        field = ["orderId"] if error.code == "NOT_FOUND" else error.field
        return {"refund": None, "order": None, "userErrors": [user_error(field, str(error))]}
    return {"refund": refund, "order": store.orders[refund["order_id"]], "userErrors": []}


def webhook_subscription_create(_root, info, topic, webhookSubscription):
    store = info.context["store"]
    url = webhookSubscription.get("callbackUrl") or webhookSubscription.get("uri")
    if not url or not URL.match(url):
        return {"webhookSubscription": None, "userErrors": [user_error(
            ["webhookSubscription", "callbackUrl"], "Address is invalid")]}
    app = store.token_app(info.context.get("token"))
    with store.lock:
        if any(s["topic"] == topic and s["callback_url"] == url and s.get("app") == app
               for s in store.webhook_subscriptions.values()):
            return {"webhookSubscription": None, "userErrors": [user_error(
                ["webhookSubscription", "callbackUrl"],
                "Address for this topic has already been taken")]}
        record = create_subscription(
            store, topic, url, api_version=info.context.get("version"),
            include_fields=webhookSubscription.get("includeFields"),
            filter_=webhookSubscription.get("filter"),
            format_=webhookSubscription.get("format") or "JSON", app=app)
    return {"webhookSubscription": record, "userErrors": []}


def create_subscription(store, topic, callback_url, *, api_version=None, include_fields=None,
                        filter_=None, format_="JSON", app=None):
    """Store a subscription; ``topic`` may be the enum (ORDERS_CREATE) or REST string;
    ``app``: the other app that owns it (None: the store's own app)."""
    if topic not in TOPICS:
        topic = next(k for k, v in TOPICS.items() if v == topic)
    return store.insert("webhook_subscriptions", "WebhookSubscription", topic=topic,
                        callback_url=callback_url, api_version=api_version,
                        include_fields=list(include_fields or []), filter=filter_,
                        format=format_, app=app)


def webhook_subscription_update(_root, info, id, webhookSubscription):
    """Change the calling app's subscription (address, format, fields, filter); another
    app's subscription does not exist for it."""
    store = info.context["store"]
    app = store.token_app(info.context.get("token"))
    url = webhookSubscription.get("callbackUrl") or webhookSubscription.get("uri")
    with store.lock:
        record = store.webhook_subscriptions.get(parse_gid(id, "WebhookSubscription"))
        if record is None or record.get("app") != app:
            return {"webhookSubscription": None, "userErrors": [user_error(
                ["id"], "Webhook subscription does not exist")]}
        if url is not None and not URL.match(url):
            return {"webhookSubscription": None, "userErrors": [user_error(
                ["webhookSubscription", "callbackUrl"], "Address is invalid")]}
        changes = {"callback_url": url, "format": webhookSubscription.get("format"),
                   "include_fields": webhookSubscription.get("includeFields"),
                   "filter": webhookSubscription.get("filter")}
        record.update({key: value for key, value in changes.items() if value is not None})
        store.touch(record)
    return {"webhookSubscription": record, "userErrors": []}


def webhook_subscription_delete(_root, info, id):
    store = info.context["store"]
    app = store.token_app(info.context.get("token"))
    with store.lock:
        key = parse_gid(id, "WebhookSubscription")
        record = store.webhook_subscriptions.get(key)
        if record is not None and record.get("app") == app:
            store.webhook_subscriptions.pop(key)
        else:
            record = None
    if record is None:
        return {"deletedWebhookSubscriptionId": None, "userErrors": [user_error(
            ["id"], "Webhook subscription does not exist")]}
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def staged_uploads_create(_root, info, input):
    """Hand out upload targets on the sandbox itself (``POST`` multipart or ``PUT`` raw)."""
    store = info.context["store"]
    base_url = info.context["base_url"]
    targets = []
    for entry in input:
        key = f"tmp/sandbox/bulk/{store.next_id()}/{entry['filename']}"
        with store.lock:
            store.staged_uploads[key] = None
        targets.append({
            "url": f"{base_url}/_sandbox/staged-uploads",
            "resourceUrl": f"{base_url}/_sandbox/staged-uploads/{key}",
            "parameters": [{"name": "key", "value": key},
                           {"name": "Content-Type", "value": entry["mimeType"]},
                           {"name": "success_action_status", "value": "201"},
                           {"name": "acl", "value": "private"}]})
    return {"stagedTargets": targets, "userErrors": []}


MUTATIONS = {
    "orderMarkAsPaid": order_mark_as_paid, "orderCancel": order_cancel,
    "fulfillmentCreate": fulfillment_create, "refundCreate": refund_create,
    "fulfillmentTrackingInfoUpdate": fulfillment_tracking_info_update,
    "webhookSubscriptionCreate": webhook_subscription_create,
    "webhookSubscriptionDelete": webhook_subscription_delete,
    "webhookSubscriptionUpdate": webhook_subscription_update,
    "stagedUploadsCreate": staged_uploads_create,
}
