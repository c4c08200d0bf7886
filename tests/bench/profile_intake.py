"""Where a webhook's time goes: the Shopify webhook route profiled in-process.

Creates (once) a database with the three addons and a Shopify backend, then sends N signed
``orders/create`` deliveries (distinct webhook ids) through Odoo's WSGI application in this
process, under cProfile, and prints: wall and CPU per request, SQL statements per request
and the time spent in them, and the functions with the most cumulative time.

    python3 tests/bench/profile_intake.py [N]     # RC_PROFILE_DB (retail_profile)
    RC_PROFILE_URL=/web/health ... (the floor)    # RC_PROFILE_DBFILTER=0: no dbfilter

No network, no server: the figures are the route's own cost (Odoo's dispatch, the session,
the controller, the ORM and the SQL), with PostgreSQL's time inside the SQL figure.
"""

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import odoo_env  # noqa: E402

from tests.e2e import shopify_client as sc  # noqa: E402

DATABASE = os.environ.get("RC_PROFILE_DB", "retail_profile")
SECRET = "profile-secret"


def ensure_database():
    import subprocess

    if odoo_env.database_exists(DATABASE):
        return
    odoo_env.create_database(DATABASE)
    subprocess.run(
        [*odoo_env.odoo_command(), "-d", DATABASE, "-i", ",".join(odoo_env.ADDONS),
         "--stop-after-init", "--workers=0", "--log-level=warn", "--without-demo=all"],
        env=odoo_env.python_env(), cwd="/", check=True,
    )


def order_body():
    """The REST body of a 3-line paid sandbox order, as the sandbox's webhook sends it."""
    import json

    from tests.sandbox.shopify import RETAIL_CATALOGUE, ShopifySandbox

    sandbox = ShopifySandbox(port=0).start()
    try:
        sandbox.control.seed(RETAIL_CATALOGUE)
        skus = ["TSHIRT-BLUE-S", "TSHIRT-BLUE-M", "TSHIRT-BLUE-L"]
        order = sandbox.control.place_order([{"sku": sku, "quantity": 1} for sku in skus])
        return json.dumps(sandbox.control.rest("orders", order["id"])).encode()
    finally:
        sandbox.stop()


def main(count):
    ensure_database()
    import odoo
    from odoo.tools import config

    # as the bench's server: a dbfilter naming the database (RC_PROFILE_DBFILTER=0: none)
    dbfilter = [f"--db-filter=^{DATABASE}$"] if os.environ.get("RC_PROFILE_DBFILTER") != "0" else []
    config.parse_config([*odoo_env.db_args(), f"--addons-path={odoo_env.addons_path()}",
                         "-d", DATABASE, *dbfilter, "--no-database-list", "--log-level=warn"])
    odoo.service.server.load_server_wide_modules()
    registry = odoo.modules.registry.Registry(DATABASE)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        Backend = env["retail.backend"]
        backend = Backend.search([("backend_type", "=", "shopify")], limit=1) or Backend.create({
            "name": "Profile store", "backend_type": "shopify",
            "shopify_shop_domain": sc.SHOP_DOMAIN, "webhook_secret": SECRET,
        })
        backend_id = backend.id
    from werkzeug.test import Client

    client = Client(odoo.http.root)
    body = order_body()
    url = f"/retail/shopify/webhook/{backend_id}"
    run = f"{int(time.time())}"

    floor = os.environ.get("RC_PROFILE_URL")

    def deliver(index):
        if floor:
            response = client.get(floor)
        else:
            headers = sc.webhook_headers(
                body, "orders/create", f"profile-{run}-{index}", secret=SECRET
            )
            response = client.post(url, data=body, headers=headers)
        assert response.status_code == 200, (response.status_code, response.get_data())

    for index in range(20):  # warm up: registry, routing map, caches
        deliver(-index - 1)

    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(count):
        deliver(count + index)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{count} deliveries: wall {wall / count * 1000:.2f} ms, CPU {cpu / count * 1000:.2f} ms "
          f"per request (this process: Odoo's side, PostgreSQL's own CPU not included)")

    from odoo import sql_db

    statements = [0, 0.0]
    last = []  # the statements of the last delivery
    execute = sql_db.Cursor.execute

    def timed_execute(self, query, params=None, log_exceptions=True):
        started = time.perf_counter()
        try:
            return execute(self, query, params, log_exceptions)
        finally:
            statements[0] += 1
            statements[1] += time.perf_counter() - started
            last.append(f"{self.dbname}: {str(query)[:150]}")

    sql_db.Cursor.execute = timed_execute
    profile = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profile.enable()
    for index in range(count):
        last.clear()
        deliver(index)
    profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    sql_db.Cursor.execute = execute
    print(f"{count} deliveries under cProfile: wall {wall / count * 1000:.2f} ms, "
          f"CPU {cpu / count * 1000:.2f} ms per request; SQL {statements[0] / count:.1f} "
          f"statements, {statements[1] / count * 1000:.2f} ms per request")
    print("SQL of one delivery:\n  " + "\n  ".join(" ".join(line.split()) for line in last))
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(int(os.environ.get("RC_PROFILE_LINES", "45")))
    out.write("\nBy own time:\n")
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
