"""The control API under ``/_sandbox/``: reset, seed, drive orders, read state, counters,
throttle settings, fault injection and webhook deliveries. JSON in, JSON out, no auth.

``ROUTES`` is the table of (method, path pattern, handler); every handler takes the sandbox,
the parsed JSON body and the regex match, and returns ``(status, json)``.
"""

import re
import uuid

from . import aftersale, draft_orders, order_edits, orders, payouts
from .mutations_orders import create_subscription
from .rest_payloads import rest_payload, shop_payload
from .seed import RETAIL_CATALOGUE, load_seed
from .store import iso, parse_gid

STATE_TABLES = ("locations", "products", "variants", "inventory_items", "customers", "orders",
                "fulfillment_orders", "fulfillments", "refunds", "webhook_subscriptions",
                "bulk_operations", "adjustment_groups", "payouts", "balance_transactions",
                "draft_orders", "metafield_definitions")


def jsonable(value):
    """Make store records JSON-safe (datetimes to ISO strings, tuple keys flattened)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "body"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return iso(value)
    return value


def _order_id(match):
    return parse_gid(match["id"]) or 0


def _reset(sandbox, body, _match):
    sandbox.reset()
    seed = body.get("seed")
    created = load_seed(sandbox.store, RETAIL_CATALOGUE if seed is True else seed,
                        create_subscription) if seed else None
    return 200, {"ok": True, "created": created}


def _seed(sandbox, body, _match):
    seed = RETAIL_CATALOGUE if body.get("retail") or not body else body
    return 200, {"ok": True, "created": load_seed(sandbox.store, seed, create_subscription)}


def _state(sandbox, _body, match):
    store, table = sandbox.store, match["table"]
    with store.lock:
        if table == "shop":
            return 200, jsonable(dict(store.shop, app=store.app))
        if table == "inventory_levels":
            rows = [dict(level, on_hand=store.quantity(level, "on_hand"),
                         sku=store.inventory_items[level["item_id"]].get("sku"))
                    for level in store.levels.values()]
            return 200, jsonable(rows)
        if table == "tokens":
            return 200, jsonable(store.tokens)
        if table not in STATE_TABLES:
            return 404, {"error": f"unknown table {table}; known: {STATE_TABLES}"}
        return 200, jsonable(list(getattr(store, table).values()))


def _rest(sandbox, _body, match):
    """REST (webhook-shaped) JSON of one record: /_sandbox/rest/orders/123."""
    store = sandbox.store
    with store.lock:
        record = getattr(store, match["table"], {}).get(int(match["id"]))
        if record is None:
            return 404, {"error": "not found"}
        return 200, rest_payload(store, record)


def _place_order(sandbox, body, _match):
    order = orders.place_order(sandbox.store, **body)
    return 201, jsonable(dict(order, admin_graphql_api_id=f"gid://shopify/Order/{order['id']}"))


def _create_draft_order(sandbox, body, _match):
    draft = draft_orders.create_draft_order(sandbox.store, **body)
    return 201, jsonable(dict(draft, admin_graphql_api_id=f"gid://shopify/DraftOrder/"
                                                          f"{draft['id']}"))


def _order_action(action):
    def handler(sandbox, body, match):
        store = sandbox.store
        if action == "paid":
            record = orders.mark_paid(store, _order_id(match))
        elif action == "cancel":
            record = orders.cancel(store, _order_id(match), body.get("reason", "CUSTOMER"),
                                   body.get("restock", True), body.get("refund", False))
        elif action == "refund":
            record = _refund(store, body, _order_id(match))
        elif action == "capture":
            record = orders.capture(store, _order_id(match), body.get("amount"))
        else:  # fulfill
            order = orders.get_order(store, _order_id(match))
            groups = body.get("line_items_by_fulfillment_order") or [
                {"fulfillment_order_id": fo_id, "fulfillment_order_line_items": []}
                for fo_id in order["fulfillment_order_ids"]
                if store.fulfillment_orders[fo_id]["status"] not in ("CLOSED", "CANCELLED")]
            record = aftersale.create_fulfillment(store, groups, body.get("tracking"),
                                                  body.get("notify_customer", False))
        return 200, jsonable(record)
    return handler


def _create_payout(sandbox, body, _match):
    """Shopify Payments pays out: see ``payouts.create_payout``; answers the payout and its
    balance transactions."""
    store = sandbox.store
    with store.lock:
        payout = payouts.create_payout(
            store, body.get("order_ids"), body.get("fee_rate", 0.029),
            body.get("fee_fixed", 0.30), body.get("adjustments") or (),
            body.get("status", "PAID"))
        return 201, jsonable(dict(payout, balance_transactions=payouts.transactions_of(
            store, payout["id"])))


def _refund(store, body, order_id):
    """``{line_items?: [{line_item_id|sku, quantity, restock_type}], shipping?: {full_refund}|
    {amount}, transactions?: [{gateway, amount}], amount?, note?, discrepancy_reason?}``.
    Without ``line_items`` every unit still on the order is refunded (legacy default,
    restocked per ``restock_type``, RETURN unless told)."""
    with store.lock:
        return _refund_locked(store, body, order_id)


def _calculate_refund(sandbox, body, match):
    """Shopify's refund calculation (REST ``refunds/calculate``): what a refund of these lines
    and shipping would pay back, split over the gateways; nothing changes."""
    with sandbox.store.lock:
        return 200, jsonable(_refund_locked(sandbox.store, dict(body, dry_run=True),
                                            _order_id(match)))


def _refund_locked(store, body, order_id):
    order = orders.get_order(store, order_id)
    lines = body.get("line_items")
    if lines is None:
        lines = [{"line_item_id": li["id"], "restock_type": body.get("restock_type", "RETURN"),
                  "quantity": orders.current_quantity(li)} for li in order["line_items"]
                 if orders.current_quantity(li) > 0 and not li.get("tip")]
    resolved = []
    for index, spec in enumerate(lines):
        line_id = spec.get("line_item_id") or next(
            (x["id"] for x in order["line_items"] if spec.get("sku") and x["sku"] == spec["sku"]),
            None)
        if line_id is None:
            raise orders.OrderError(f"No line item with SKU {spec.get('sku')}",
                                    ["line_items", str(index)])
        resolved.append(dict(spec, line_item_id=line_id))
    return aftersale.create_refund(
        store, order["id"], resolved, shipping=body.get("shipping"),
        shipping_full=bool(body.get("shipping_full")),
        shipping_amount=body.get("shipping_amount"), note=body.get("note"),
        transactions=body.get("transactions"), amount=body.get("amount"),
        discrepancy_reason=body.get("discrepancy_reason"), dry_run=bool(body.get("dry_run")))


def _edit_order(sandbox, body, match):
    """A merchant edits an order in the admin: ``{"sku"|"line_item_id", "quantity"}`` sets a
    line's current quantity (see ``order_edits``); fires orders/updated."""
    order = order_edits.edit_order(sandbox.store, _order_id(match), body["quantity"],
                                   body.get("sku"), body.get("line_item_id"))
    return 200, jsonable(order)


def _set_inventory(sandbox, body, _match):
    """A merchant edits stock in the admin: {"sku", "location_id", "available"}."""
    store = sandbox.store
    with store.lock:
        variant = store.variant_by_sku(body["sku"])
        if variant is None:
            return 404, {"error": f"unknown sku {body['sku']}"}
        location_id = int(body.get("location_id") or next(iter(store.locations)))
        level = store.activate(variant["inventory_item_id"], location_id)
        name = body.get("name", "available")
        store.change_quantity(level, name, int(body["quantity" if "quantity" in body
                                                    else "available"])
                              - store.quantity(level, name))
        return 200, jsonable(dict(level, on_hand=store.quantity(level, "on_hand")))


def _update_product(sandbox, body, match):
    """A merchant edits a product: body holds snake_case product fields."""
    store = sandbox.store
    with store.lock:
        product = store.products.get(int(match["id"]))
        if product is None:
            return 404, {"error": "not found"}
        product.update({k: v for k, v in body.items() if k in (
            "title", "vendor", "product_type", "status", "tags", "description_html")})
        store.touch(product)
        store.emit("products/update", product)
        return 200, jsonable(product)


def _add_customer(sandbox, body, _match):
    return 201, jsonable(sandbox.store.add_customer(**body))


def _add_token(sandbox, body, _match):
    token = sandbox.store.add_token(body.get("token"), body.get("scopes"),
                                    body.get("expires_in"))
    return 201, {"token": token}


def _add_app(sandbox, body, _match):
    return 201, sandbox.store.add_app(body["name"], body.get("client_secret"), body.get("token"))


def _uninstall(sandbox, _body, _match):
    store = sandbox.store
    ids = sandbox.webhooks.send("app/uninstalled", shop_payload(store, store.shop))
    with store.lock:
        store.tokens.clear()
    return 200, {"webhook_ids": ids}


def _rotate_secret(sandbox, body, _match):
    """The merchant rotates the app's client secret: webhooks are signed with the new one
    from now on (retries included); the old one stays valid for the token endpoint until
    ``{"drop_previous": true}``. ``{"client_secret": ...}`` names the new secret."""
    store = sandbox.store
    with store.lock:
        if body.get("drop_previous"):
            store.app["previous_client_secret"] = None
        else:
            new = body.get("client_secret") or "shpss_" + uuid.uuid4().hex
            if new == store.app["client_secret"]:
                return 400, {"error": "the new client secret is the current one"}
            store.app["previous_client_secret"] = store.app["client_secret"]
            store.app["client_secret"] = new
        return 200, {"client_secret": store.app["client_secret"],
                     "previous_client_secret": store.app["previous_client_secret"]}


def _throttle(sandbox, body, _match):
    if body:
        sandbox.throttle.configure(**body)
    return 200, sandbox.throttle.describe()


def _add_fault(sandbox, body, _match):
    return 201, sandbox.faults.add(**body)


def _clear_faults(sandbox, _body, _match):
    sandbox.faults.clear()
    return 200, {"ok": True}


def _subscribe(sandbox, body, _match):
    record = create_subscription(
        sandbox.store, body["topic"], body["callback_url"],
        api_version=body.get("api_version") or sandbox.latest_version,
        include_fields=body.get("include_fields"))
    return 201, jsonable(dict(record, admin_graphql_api_id=f"gid://shopify/WebhookSubscription/"
                                                           f"{record['id']}"))


def _send_webhook(sandbox, body, _match):
    return 200, {"webhook_ids": sandbox.webhooks.send(body["topic"], body.get("payload", {}))}


def _flush(sandbox, body, _match):
    done = sandbox.webhooks.flush(float(body.get("timeout", 10)), body.get("expedite", True))
    return 200, {"done": done, **sandbox.webhooks.describe()}


def _webhook_config(sandbox, body, _match):
    sandbox.webhooks.configure(**body)
    return 200, sandbox.webhooks.describe()["config"]


def _bulk_config(sandbox, body, _match):
    if "delay" in body:
        sandbox.bulk_runner.delay = float(body["delay"])
    return 200, {"delay": sandbox.bulk_runner.delay}


def _counters_reset(sandbox, _body, _match):
    sandbox.counters.reset()
    return 200, {"ok": True}


ROUTES = [
    ("GET", r"/health", lambda s, b, m: (200, {"ok": True, "base_url": s.base_url,
                                               "versions": list(s.api_versions)})),
    ("POST", r"/reset", _reset),
    ("POST", r"/seed", _seed),
    ("GET", r"/state/(?P<table>\w+)", _state),
    ("GET", r"/rest/(?P<table>\w+)/(?P<id>\d+)", _rest),
    ("POST", r"/orders", _place_order),
    ("POST", r"/orders/(?P<id>[^/]+)/paid", _order_action("paid")),
    ("POST", r"/orders/(?P<id>[^/]+)/cancel", _order_action("cancel")),
    ("POST", r"/orders/(?P<id>[^/]+)/refund", _order_action("refund")),
    ("POST", r"/orders/(?P<id>[^/]+)/fulfill", _order_action("fulfill")),
    ("POST", r"/orders/(?P<id>[^/]+)/capture", _order_action("capture")),
    ("POST", r"/orders/(?P<id>[^/]+)/refund/calculate", _calculate_refund),
    ("POST", r"/orders/(?P<id>[^/]+)/edit", _edit_order),
    ("POST", r"/draft_orders", _create_draft_order),
    ("POST", r"/payouts", _create_payout),
    ("POST", r"/inventory", _set_inventory),
    ("POST", r"/products/(?P<id>\d+)", _update_product),
    ("POST", r"/customers", _add_customer),
    ("POST", r"/tokens", _add_token),
    ("POST", r"/apps", _add_app),
    ("POST", r"/app/uninstall", _uninstall),
    ("POST", r"/app/secret", _rotate_secret),
    ("GET", r"/counters", lambda s, b, m: (200, s.counters.snapshot())),
    ("POST", r"/counters/reset", _counters_reset),
    ("GET", r"/throttle", lambda s, b, m: (200, s.throttle.describe())),
    ("POST", r"/throttle", _throttle),
    ("GET", r"/faults", lambda s, b, m: (200, s.faults.describe())),
    ("POST", r"/faults", _add_fault),
    ("DELETE", r"/faults", _clear_faults),
    ("GET", r"/webhooks/deliveries", lambda s, b, m: (200, s.webhooks.describe())),
    ("POST", r"/webhooks/subscriptions", _subscribe),
    ("POST", r"/webhooks/send", _send_webhook),
    ("POST", r"/webhooks/flush", _flush),
    ("POST", r"/webhooks/config", _webhook_config),
    ("POST", r"/bulk/config", _bulk_config),
]
COMPILED_ROUTES = [(method, re.compile(pattern + "$"), handler)
                   for method, pattern, handler in ROUTES]


def dispatch(sandbox, method, path, body):
    """Run the control route for ``path`` (after ``/_sandbox``); ``(status, json)``."""
    for route_method, pattern, handler in COMPILED_ROUTES:
        match = pattern.match(path)
        if match and route_method == method:
            try:
                return handler(sandbox, body or {}, match)
            except orders.OrderError as error:
                return 422, {"error": str(error), "field": error.field}
            except (KeyError, TypeError, ValueError) as error:
                return 400, {"error": f"{type(error).__name__}: {error}"}
    return 404, {"error": f"no control route {method} {path}"}
