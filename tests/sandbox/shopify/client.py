"""``SandboxControl``: a small Python client of the control API, for tests, demos, benches.

Every method is one HTTP call to ``/_sandbox/...`` and returns the decoded JSON; a non-2xx
answer raises ``SandboxControlError`` with the server's message.
"""

import requests


class SandboxControlError(RuntimeError):
    """The control API refused a request (status and body in the message)."""


class SandboxControl:
    """Drive a running sandbox: ``SandboxControl("http://127.0.0.1:8701")``."""

    def __init__(self, base_url, timeout=30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method, path, json=None):
        response = self.http.request(method, f"{self.base_url}/_sandbox{path}", json=json,
                                     timeout=self.timeout)
        if response.status_code >= 300:
            raise SandboxControlError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    # -- state -----------------------------------------------------------------------------
    def health(self):
        return self._call("GET", "/health")

    def reset(self, seed=None):
        """Empty everything; ``seed`` True reloads the retail catalogue, or pass a seed dict."""
        return self._call("POST", "/reset", {"seed": seed} if seed else {})

    def seed(self, data=None):
        """Load a seed dict (see ``seed.py``); without one, the retail catalogue."""
        return self._call("POST", "/seed", data or {"retail": True})

    def state(self, table):
        """Raw records: shop, locations, products, variants, inventory_items,
        inventory_levels, customers, orders, fulfillment_orders, fulfillments, refunds,
        webhook_subscriptions, bulk_operations, adjustment_groups, tokens."""
        return self._call("GET", f"/state/{table}")

    def rest(self, table, record_id):
        """The REST/webhook JSON of one record, e.g. ``rest("orders", 123)``."""
        return self._call("GET", f"/rest/{table}/{record_id}")

    def inventory_level(self, sku, location_id=None):
        """The level record of a SKU (at a location, default the first one)."""
        levels = [lv for lv in self.state("inventory_levels") if lv["sku"] == sku]
        if location_id is not None:
            levels = [lv for lv in levels if lv["location_id"] == int(location_id)]
        return levels[0] if levels else None

    # -- shop activity ---------------------------------------------------------------------
    def place_order(self, line_items, **fields):
        """Checkout: ``place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 2}],
        customer={"email": ...}, financial_status="paid", discounts=[...], shipping=...,
        tax_lines=[{"title": "VAT", "rate": 0.2}], payments=[...], tip="2.00")`` — see
        ``orders.place_order`` and the README. Fires orders/create (+ orders/paid)."""
        return self._call("POST", "/orders", dict(fields, line_items=line_items))

    def create_draft_order(self, line_items, **fields):
        """A merchant's draft order: ``create_draft_order([{"sku": ..., "quantity": 1,
        "applied_discount": {"value_type": "percentage", "value": 10}}], customer=...,
        applied_discount=..., shipping=..., tax_lines=[...], status="OPEN")`` — see
        ``draft_orders.create_draft_order``. Fires no webhook."""
        return self._call("POST", "/draft_orders", dict(fields, line_items=line_items))

    def mark_paid(self, order_id):
        return self._call("POST", f"/orders/{order_id}/paid", {})

    def capture(self, order_id, amount=None):
        """Capture an authorized order (all that is authorized, or ``amount``): CAPTURE
        transactions with their authorization as parent. Fires orders/updated (+ paid)."""
        return self._call("POST", f"/orders/{order_id}/capture", {"amount": amount})

    def cancel_order(self, order_id, reason="CUSTOMER", restock=True, refund=False):
        return self._call("POST", f"/orders/{order_id}/cancel",
                          {"reason": reason, "restock": restock, "refund": refund})

    def refund_order(self, order_id, line_items=None, restock_type="RETURN",
                     shipping_full=False, note=None, *, shipping=None, transactions=None,
                     amount=None, discrepancy_reason=None):
        """Refund lines (``[{"line_item_id"|"sku", "quantity", "restock_type"}]``; default:
        everything left, restocked per ``restock_type``), shipping (``{"full_refund": True}``
        or ``{"amount": "2.00"}``; legacy ``shipping_full``), and money: by default the
        calculated amount split over the gateways; ``transactions=[{"gateway", "amount"}]``
        or ``amount`` refund something else (the difference becomes a refund_discrepancy
        order adjustment). Fires refunds/create and orders/updated."""
        body = {"restock_type": restock_type, "shipping_full": shipping_full, "note": note,
                "shipping": shipping, "transactions": transactions, "amount": amount,
                "discrepancy_reason": discrepancy_reason}
        if line_items is not None:
            body["line_items"] = line_items
        return self._call("POST", f"/orders/{order_id}/refund", body)

    def calculate_refund(self, order_id, line_items=None, shipping=None):
        """What ``refund_order`` with these lines and shipping would refund (Shopify's
        refund calculation): ``{"calculated", "amount", "transactions", ...}``; no change."""
        return self._call("POST", f"/orders/{order_id}/refund/calculate", {
            "line_items": line_items or [], "shipping": shipping})

    def fulfill_order(self, order_id, tracking=None):
        """Ship everything still open. Fires fulfillments/create, orders/fulfilled."""
        return self._call("POST", f"/orders/{order_id}/fulfill", {"tracking": tracking})

    def edit_order(self, order_id, quantity, sku=None, line_item_id=None):
        """The merchant edits the order: set a line's quantity (by ``sku`` or
        ``line_item_id``); totals follow, updated_at moves. Fires orders/updated."""
        return self._call("POST", f"/orders/{order_id}/edit",
                          {"sku": sku, "line_item_id": line_item_id, "quantity": quantity})

    def create_payout(self, order_ids=None, fee_rate=0.029, fee_fixed=0.30, adjustments=None,
                      status="PAID"):
        """Shopify Payments pays out the unsettled payments of the store's orders (or of
        ``order_ids``): one CHARGE per sale with its fee (``round(total × fee_rate +
        fee_fixed, 2)``), one negative REFUND per refund, plus ``adjustments``
        (``[{"amount": "-5.00", "reason": ...}]``). Returns the payout with its
        ``balance_transactions``."""
        return self._call("POST", "/payouts", {
            "order_ids": order_ids, "fee_rate": fee_rate, "fee_fixed": fee_fixed,
            "adjustments": adjustments or [], "status": status})

    def set_inventory(self, sku, quantity, location_id=None, name="available"):
        """A merchant edits stock in the admin (fires inventory_levels/update)."""
        return self._call("POST", "/inventory", {"sku": sku, "quantity": quantity,
                                                 "location_id": location_id, "name": name})

    def update_product(self, product_id, **fields):
        return self._call("POST", f"/products/{product_id}", fields)

    def add_customer(self, **fields):
        return self._call("POST", "/customers", fields)

    def add_token(self, token=None, scopes="all", expires_in=None):
        return self._call("POST", "/tokens", {"token": token, "scopes": scopes,
                                              "expires_in": expires_in})["token"]

    def add_app(self, name, client_secret=None, token=None):
        """Install another app (own client secret, own token, own webhook subscriptions);
        returns {"token", "client_secret"}."""
        return self._call("POST", "/apps", {"name": name, "client_secret": client_secret,
                                            "token": token})

    def uninstall_app(self):
        return self._call("POST", "/app/uninstall", {})

    def rotate_secret(self, client_secret=None):
        """Rotate the app's client secret (webhooks signed with the new one from now on)."""
        return self._call("POST", "/app/secret", {"client_secret": client_secret})

    def drop_previous_secret(self):
        return self._call("POST", "/app/secret", {"drop_previous": True})

    # -- limits, counters, faults ------------------------------------------------------------
    def counters(self):
        return self._call("GET", "/counters")

    def reset_counters(self):
        return self._call("POST", "/counters/reset", {})

    def throttle(self, **settings):
        """Read or set: maximum_available, restore_rate, currently_available,
        single_query_max_cost, token (only that token's bucket)."""
        return self._call("POST" if settings else "GET", "/throttle", settings or None)

    def add_fault(self, kind, count=None, ratio=1.0, operation=None, target="graphql",
                  **params):
        """Inject a fault (see ``faults.FAULT_KINDS``) for the next ``count`` calls."""
        return self._call("POST", "/faults", dict(params, kind=kind, count=count, ratio=ratio,
                                                  operation=operation, target=target))

    def faults(self):
        return self._call("GET", "/faults")

    def clear_faults(self):
        return self._call("DELETE", "/faults")

    # -- webhooks ----------------------------------------------------------------------------
    def subscribe(self, topic, callback_url, include_fields=None, api_version=None):
        return self._call("POST", "/webhooks/subscriptions", {
            "topic": topic, "callback_url": callback_url, "include_fields": include_fields,
            "api_version": api_version})

    def send_webhook(self, topic, payload):
        return self._call("POST", "/webhooks/send", {"topic": topic, "payload": payload})

    def deliveries(self):
        return self._call("GET", "/webhooks/deliveries")

    def flush_webhooks(self, timeout=10.0, expedite=True):
        """Wait for pending deliveries (retries made due now unless ``expedite`` False)."""
        return self._call("POST", "/webhooks/flush", {"timeout": timeout, "expedite": expedite})

    def configure_webhooks(self, backoff_factor=None, max_retries=None, timeout=None):
        body = {k: v for k, v in (("backoff_factor", backoff_factor),
                                  ("max_retries", max_retries), ("timeout", timeout))
                if v is not None}
        return self._call("POST", "/webhooks/config", body)

    def configure_bulk(self, delay):
        return self._call("POST", "/bulk/config", {"delay": delay})
