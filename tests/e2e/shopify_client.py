"""Sending Shopify webhooks to Odoo as Shopify does, and reading back what Odoo made of them."""

import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

from tests.sandbox.shopify.webhooks import sign

from .harness import SHOP_DOMAIN

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid")


def webhook_headers(body, topic, webhook_id=None, secret="sandbox-client-secret",
                    shop=SHOP_DOMAIN, api_version="2026-04"):
    return {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": sign(secret, body),
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Shopify-Event-Id": str(uuid.uuid4()),
        "X-Shopify-API-Version": api_version,
        "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }


def post(url, body, headers, timeout=30):
    """POST on a fresh connection (as Shopify does); returns (status, text, seconds)."""
    parts = urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, text, time.perf_counter() - started
    finally:
        connection.close()


def get(url, timeout=30):
    parts = urlsplit(url)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, text, time.perf_counter() - started
    finally:
        connection.close()


def send_order(stack, body, topic="orders/create", webhook_id=None, **kwargs):
    kwargs.setdefault("secret", stack.shopify.client_secret)
    headers = webhook_headers(body, topic, webhook_id, **kwargs)
    return post(stack.webhook_url, body, headers)


def order_body(stack, order_id):
    """The webhook body of a sandbox order, as the sandbox would send it (bytes)."""
    return json.dumps(stack.shopify.control.rest("orders", order_id)).encode()


def place_orders(stack, specs, email=None):
    """Place one sandbox order per line spec, each by its own shopper (a flash sale) unless
    ``email`` is given; returns the sandbox order ids."""
    ids = []
    for lines in specs:
        order = stack.shopify.control.place_order(
            lines,
            customer={"email": email or f"shopper-{uuid.uuid4().hex[:12]}@example.com"},
            financial_status="paid",
            tax_rate=0.2,
            shipping={"title": "Standard", "code": "STD", "price": "4.90"},
        )
        ids.append(order["id"])
    return ids


def sale_orders_per_external(stack, external_ids):
    """{external id: number of sale orders} counted from the sale orders themselves: those of
    the Shopify backend (or of none) whose reference is the Shopify order's name, so that a
    second sale order for one Shopify order shows (the bindings are unique per external id and
    could never show one). The names are read from the Shopify sandbox."""
    from .harness import odoo_env

    if not external_ids:
        return {}
    wanted = {str(i) for i in external_ids}
    names = {str(order["id"]): order["name"] for order in stack.shopify.control.state("orders")
             if str(order["id"]) in wanted}
    if not names:
        return {}
    quoted = ",".join("'" + name.replace("'", "''") + "'" for name in names.values())
    rows = odoo_env.psql(
        "SELECT client_order_ref, count(*) FROM sale_order WHERE client_order_ref IN "
        f"({quoted}) AND (retail_backend_id = {int(stack.shopify_backend)} OR "
        "retail_backend_id IS NULL) GROUP BY client_order_ref",
        database=stack.database,
    )
    counts = dict(rows)
    return {external: counts[name] for external, name in names.items() if name in counts}


def lost_and_duplicates(stack, external_ids):
    counts = sale_orders_per_external(stack, external_ids)
    created = sum(counts.values())
    lost = sum(1 for i in external_ids if str(i) not in counts)
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    return created, lost, duplicates


def busy_counts(stack):
    """(events still to import, jobs still to run) in the database. An event whose job ended
    (failed, done, cancelled) without settling the event is stuck, not busy: see stuck_events."""
    from .harness import odoo_env

    events = odoo_env.psql(
        "SELECT count(*) FROM retail_event e LEFT JOIN queue_job j ON j.uuid = e.job_uuid "
        "WHERE e.state IN ('received', 'queued') AND (e.job_uuid IS NULL OR j.state IN "
        "('wait_dependencies', 'pending', 'enqueued', 'started'))",
        database=stack.database,
    )[0][0]
    jobs = odoo_env.psql(
        "SELECT count(*) FROM queue_job WHERE state IN ('wait_dependencies', 'pending', "
        "'enqueued', 'started')",
        database=stack.database,
    )[0][0]
    return events, jobs


def stuck_events(stack):
    """Events left received/queued whose job is over: nothing will import them any more."""
    from .harness import odoo_env

    return odoo_env.psql(
        "SELECT e.id, e.topic, e.external_id, j.state, right(coalesce(j.exc_info, ''), 160) "
        "FROM retail_event e LEFT JOIN queue_job j ON j.uuid = e.job_uuid "
        "WHERE e.state IN ('received', 'queued') AND e.job_uuid IS NOT NULL AND "
        "(j.state IS NULL OR j.state IN ('failed', 'done', 'cancelled'))",
        database=stack.database,
    )


def wait_idle(stack, timeout=300, settle=2.0, poll=1.0):
    """Wait until no event and no job is pending (for ``settle`` seconds); True if so."""
    deadline = time.time() + timeout
    quiet_since = None
    while time.time() < deadline:
        events, jobs = busy_counts(stack)
        if events == 0 and jobs == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= settle:
                return True
        else:
            quiet_since = None
        time.sleep(poll)
    return False
