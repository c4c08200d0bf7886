"""`make demo`: the whole suite running on its embedded default.

Starts the Shopify and Salesforce sandboxes (127.0.0.1:8701 and :8702) seeded with a small
retail catalogue and accounts, creates the demo database with the three addons, starts Odoo
with 2 workers and the queue_job runner on 127.0.0.1:8069, configures one backend per sandbox
(mappings completed, webhooks registered), then lets the Shopify sandbox place an order every
few seconds, so that orders, invoices, stock and CRM updates flow while you watch.

Settings: RC_DEMO_DB (retail_demo), RC_DEMO_PORT (8069), RC_DEMO_ORDER_SECONDS (5),
RC_DEMO_MAX_ORDERS (0 = no limit), RC_DEMO_SECONDS (0 = run until Ctrl-C).
"""

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import demo_setup
import odoo_env

DATABASE = os.environ.get("RC_DEMO_DB", "retail_demo")
PORT = int(os.environ.get("RC_DEMO_PORT", "8069"))
ORDER_SECONDS = float(os.environ.get("RC_DEMO_ORDER_SECONDS", "5"))
MAX_ORDERS = int(os.environ.get("RC_DEMO_MAX_ORDERS", "0"))
RUN_SECONDS = float(os.environ.get("RC_DEMO_SECONDS", "0"))

CONFIG = """[options]
addons_path = {addons_path}
db_host = {db_host}
db_port = {db_port}
db_user = {db_user}
db_password = {db_password}
dbfilter = ^{database}$
list_db = False
http_interface = 127.0.0.1
http_port = {port}
workers = 2
max_cron_threads = 1
server_wide_modules = base,web,queue_job
limit_time_real = 600
data_dir = {data_dir}

[queue_job]
channels = root:2,root.retail:2
"""


def write_config(workdir):
    path = Path(workdir) / "odoo.conf"
    path.write_text(
        CONFIG.format(
            addons_path=odoo_env.addons_path(),
            db_host=odoo_env.DB_HOST,
            db_port=odoo_env.DB_PORT,
            db_user=odoo_env.DB_USER,
            db_password=odoo_env.DB_PASSWORD or "False",
            database=DATABASE,
            port=PORT,
            data_dir=Path(workdir) / "data",
        )
    )
    return path


def wait_for_odoo(url, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/web/login", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    sys.exit(f"ERROR: Odoo did not answer on {url} within {timeout}s")


def place_orders(shopify, stop):
    """The Shopify sandbox's shoppers: one paid order every few seconds."""
    skus = [
        variant["sku"]
        for product in demo_catalogue()["products"]
        for variant in product["variants"]
    ]
    emails = ["jane.doe@example.com", "ada@example.com", "grace@example.com", "alan@example.com"]
    placed = 0
    while not stop.is_set() and (not MAX_ORDERS or placed < MAX_ORDERS):
        lines = [
            {"sku": sku, "quantity": random.randint(1, 3)}
            for sku in random.sample(skus, random.randint(1, 3))
        ]
        try:
            order = shopify.control.place_order(
                lines,
                customer={"email": random.choice(emails)},
                financial_status="paid",
                tax_rate=0.2,
                shipping={"title": "Standard", "code": "STD", "price": "4.90"},
            )
            placed += 1
            print(f"  shopper placed {order['name']} ({len(lines)} lines)", flush=True)
        except Exception as error:
            print(f"  shopper could not order: {error}", flush=True)
        stop.wait(ORDER_SECONDS)


def demo_catalogue():
    from tests.sandbox.shopify import RETAIL_CATALOGUE

    return RETAIL_CATALOGUE


def main():
    from tests.sandbox.salesforce import SalesforceSandbox
    from tests.sandbox.shopify import ShopifySandbox

    # SIGTERM (a parent stopping the demo) unwinds like Ctrl-C, so Odoo is stopped too.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(0))
    odoo_env.check_odoo()
    odoo_env.ensure_requirements()
    odoo_env.ensure_postgres()
    shopify = ShopifySandbox(port=8701, webhook_backoff_factor=0.05).start()
    salesforce = SalesforceSandbox(port=8702, outbound_backoff_factor=0.05).start()
    salesforce.control.seed(demo=True)
    workdir = tempfile.mkdtemp(prefix="retail-demo-")
    config = write_config(workdir)
    print(f"Creating the demo database {DATABASE}...", flush=True)
    odoo_env.create_database(DATABASE)
    subprocess.run(
        [
            sys.executable,
            odoo_env.ODOO_SERVER,
            "-c",
            str(config),
            "-d",
            DATABASE,
            "-i",
            ",".join(odoo_env.ADDONS),
            "--stop-after-init",
            "--workers=0",
            "--log-level=warn",
        ],
        env=odoo_env.python_env(),
        cwd="/",
        check=True,
    )
    log = Path(workdir) / "odoo.log"
    server = subprocess.Popen(
        [
            sys.executable,
            odoo_env.ODOO_SERVER,
            "-c",
            str(config),
            "-d",
            DATABASE,
            f"--logfile={log}",
        ],
        env=odoo_env.python_env(),
        cwd="/",
    )
    url = f"http://127.0.0.1:{PORT}"
    stop = threading.Event()
    try:
        wait_for_odoo(url)
        odoo = demo_setup.Odoo(url, DATABASE)
        shopify_id, salesforce_id = demo_setup.configure(
            odoo, shopify, salesforce, demo_catalogue()
        )
        print(
            "\nRetail connector demo\n"
            f"  Dashboard: {url}/odoo/action-retail_connector.action_retail_dashboard\n"
            f"  Orders:    {url}/odoo/action-sale.action_orders\n"
            f"  Exceptions:{url}/odoo/action-retail_connector.action_retail_exception_queue\n"
            "  Login:     admin / admin\n"
            f"  Backends:  Shopify #{shopify_id} on {shopify.base_url}, "
            f"Salesforce #{salesforce_id} on {salesforce.base_url}\n"
            f"  Odoo log:  {log} (2 workers and the queue_job runner)\n"
            f"A shopper places an order every {ORDER_SECONDS:g}s. Stop with Ctrl-C.\n",
            flush=True,
        )
        shopper = threading.Thread(target=place_orders, args=(shopify, stop), daemon=True)
        shopper.start()
        if RUN_SECONDS:
            time.sleep(RUN_SECONDS)
            return report(odoo)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
        shopify.stop()
        salesforce.stop()


def report(odoo):
    """What flowed during a timed run (RC_DEMO_SECONDS): orders, events and their states."""
    orders = odoo.call("sale.order", "search_count", [("retail_backend_id", "!=", False)])
    states = odoo.call("retail.event", "read_group", [], ["state"], ["state"])
    summary = ", ".join(f"{row['state']}: {row['state_count']}" for row in states)
    print(f"Demo run: {orders} channel orders in Odoo; events {summary}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
