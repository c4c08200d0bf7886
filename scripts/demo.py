"""`make demo`: the whole suite running on its embedded default.

Starts the Shopify and Salesforce sandboxes (127.0.0.1:8701 and :8702) seeded with a small
retail catalogue and accounts, creates the demo database with the three addons, starts Odoo
with 2 workers and the queue_job runner on 127.0.0.1:8069, configures one backend per sandbox
(mappings completed, webhooks registered), then lets the Shopify sandbox place an order every
few seconds, so that orders, invoices, stock and CRM updates flow while you watch.

The processes are those of the end-to-end harness (tests/e2e/harness.py, also used by the
benchmarks, the reliability runs and the demo's own end-to-end test). Ctrl-C or SIGTERM stops
Odoo and the sandboxes; the database stays for a look afterwards (the next run recreates it).

Settings: RC_DEMO_DB (retail_demo), RC_DEMO_PORT (8069), RC_DEMO_SHOPIFY_PORT (8701),
RC_DEMO_SALESFORCE_PORT (8702), RC_DEMO_ORDER_SECONDS (5), RC_DEMO_MAX_ORDERS (0 = no limit),
RC_DEMO_SECONDS (0 = run until Ctrl-C).
"""

import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.harness import Stack  # noqa: E402
from tests.sandbox.shopify import RETAIL_CATALOGUE  # noqa: E402

DATABASE = os.environ.get("RC_DEMO_DB", "retail_demo")
PORT = int(os.environ.get("RC_DEMO_PORT", "8069"))
SHOPIFY_PORT = int(os.environ.get("RC_DEMO_SHOPIFY_PORT", "8701"))
SALESFORCE_PORT = int(os.environ.get("RC_DEMO_SALESFORCE_PORT", "8702"))
ORDER_SECONDS = float(os.environ.get("RC_DEMO_ORDER_SECONDS", "5"))
MAX_ORDERS = int(os.environ.get("RC_DEMO_MAX_ORDERS", "0"))
RUN_SECONDS = float(os.environ.get("RC_DEMO_SECONDS", "0"))
EMAILS = ["jane.doe@example.com", "ada@example.com", "grace@example.com", "alan@example.com"]


def place_orders(shopify, stop):
    """The Shopify sandbox's shoppers: one paid order every few seconds."""
    products = RETAIL_CATALOGUE["products"]
    skus = [variant["sku"] for product in products for variant in product["variants"]]
    placed = 0
    while not stop.is_set() and (not MAX_ORDERS or placed < MAX_ORDERS):
        lines = [
            {"sku": sku, "quantity": random.randint(1, 3)}
            for sku in random.sample(skus, random.randint(1, 3))
        ]
        try:
            order = shopify.control.place_order(
                lines,
                customer={"email": random.choice(EMAILS)},
                financial_status="paid",
                tax_rate=0.2,
                shipping={"title": "Standard", "code": "STD", "price": "4.90"},
            )
            placed += 1
            print(f"  shopper placed {order['name']} ({len(lines)} lines)", flush=True)
        except Exception as error:
            print(f"  shopper could not order: {error}", flush=True)
        stop.wait(ORDER_SECONDS)


def banner(stack):
    url = stack.odoo.url
    return (
        "\nRetail connector demo\n"
        f"  Dashboard: {url}/odoo/action-retail_connector.action_retail_dashboard\n"
        f"  Orders:    {url}/odoo/action-sale.action_orders\n"
        f"  Exceptions:{url}/odoo/action-retail_connector.action_retail_exception_queue\n"
        "  Login:     admin / admin\n"
        f"  Backends:  Shopify #{stack.shopify_backend} on {stack.shopify.base_url}, "
        f"Salesforce #{stack.salesforce_backend} on {stack.salesforce.base_url}\n"
        f"  Odoo log:  {stack.odoo.logfile} (2 workers and the queue_job runner)\n"
        f"A shopper places an order every {ORDER_SECONDS:g}s. Stop with Ctrl-C.\n"
    )


def report(odoo):
    """What flowed during a timed run (RC_DEMO_SECONDS): orders, events and their states."""
    orders = odoo.call("sale.order", "search_count", [("retail_backend_id", "!=", False)])
    states = odoo.call("retail.event", "read_group", [], ["state"], ["state"])
    summary = ", ".join(f"{row['state']}: {row['state_count']}" for row in states)
    print(f"Demo run: {orders} channel orders in Odoo; events {summary}", flush=True)


def on_stop_signal(*_args):
    """Ctrl-C or SIGTERM (a parent stopping the demo): unwind, so Odoo and the sandboxes are
    stopped. Once only: make forwards the signal its process group already got, and a second
    exit in the middle of the clean-up would leave Odoo running."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(0)


def main():
    signal.signal(signal.SIGTERM, on_stop_signal)
    signal.signal(signal.SIGINT, on_stop_signal)
    stop = threading.Event()
    stack = Stack(
        DATABASE,
        odoo_port=PORT,
        shopify_port=SHOPIFY_PORT,
        salesforce_port=SALESFORCE_PORT,
        salesforce=True,
        stock_quantity=100,
        log_level="info",
        keep_db=True,
    )
    try:
        with stack:
            print(banner(stack), flush=True)
            shopper = threading.Thread(target=place_orders, args=(stack.shopify, stop), daemon=True)
            shopper.start()
            if RUN_SECONDS:
                time.sleep(RUN_SECONDS)
                report(stack.rpc)
                return 0
            stack.odoo.process.wait()
            return stack.odoo.process.returncode
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
