"""`make bench`: the connector's figures next to their floors, on this machine.

One run: the sandboxes, a fresh database ``retail_bench`` with the three addons, Odoo with 2
workers (and the queue_job runner where jobs must run) on 127.0.0.1, a configured Shopify
backend. Then:

1. webhook intake: signed orders/create bodies POSTed at a steady rate (distinct webhook ids)
   next to GET /web/health at the same rate on the same server. The runner is off during this
   phase (events are stored, their jobs wait) so that both figures measure the HTTP path alone;
   the backlog is discarded before the next phase. CPU per request: user + system time of the
   Odoo processes over each run, divided by the requests sent.
2. order ingestion: N 3-line paid orders placed in the sandbox, which sends their webhooks;
   time until all are confirmed, invoiced (and paid) in Odoo, polled over XML-RPC; next to the
   same orders created, confirmed, invoiced and paid with the ORM in one process.
3. webhook-to-order latency: from the event's creation (webhook stored) to the end of the job
   that imported it (``queue_job.date_done``), per order: for the burst of phase 2 (how long
   the last orders of a flash sale wait), and for orders placed at a steady pace (one every
   RC_BENCH_STEADY_SECONDS, 2) that the target (p95 < 5 s) is about. Only webhook events
   count (not the catch-up poll's, whose creation time is the start of the poll).
4. stock push: RC_BENCH_STOCK_LEVELS levels (10,000) changed in one transaction; mutation calls
   against ceil(N/250), wall time against the throttle floor, calls of an unchanged rerun.
5. stock-change-to-Shopify latency: RC_BENCH_STOCK_CHANGES (30) single stock levels changed
   over XML-RPC as a warehouse user applies an inventory adjustment, one every
   RC_BENCH_STOCK_CHANGE_SECONDS (0.75); from the change's commit (the call's answer) to the
   moment the sandbox holds the new available quantity at every mapped location (the store
   polled in-process every 10 ms). Target p95 < 5 s.
6. catalogue export: RC_BENCH_CATALOGUE_PRODUCTS (2000) templates of 3 variants each created
   with the ORM in one process (unpublished), then published in one XML-RPC write as a user's
   mass edit: the connector enqueues its products export job, run by the queue_job runner
   (one bulk ``productSet`` operation above 50 templates). Admin API calls against the
   contract's minimum for a bulk operation; wall time from the publishing commit until the
   sandbox has every variant, and until Odoo has bound them, next to the bulk operation's own
   run time in the sandbox. The stock export the new bindings trigger is then watched for
   RC_BENCH_CATALOGUE_FOLLOW seconds (60): its calls, and the levels stocked in the sandbox
   against variants x mapped locations.
7. peak RSS of the Odoo processes, sampled every 0.5 s during the whole run.

Settings: RC_BENCH_RATE (100 req/s), RC_BENCH_SECONDS (30), RC_BENCH_ORDERS (100),
RC_BENCH_DB (retail_bench), RC_BENCH_PORT (8079), RC_BENCH_SHOPIFY_PORT (8711),
RC_BENCH_SALESFORCE_PORT (8712), RC_BENCH_TIMEOUT (seconds to wait for ingestion, 600),
RC_BENCH_STEADY_ORDERS (15), RC_BENCH_STEADY_SECONDS (2), RC_BENCH_STOCK_LEVELS (10000),
RC_BENCH_STOCK_CHANGES (30), RC_BENCH_STOCK_CHANGE_SECONDS (0.75),
RC_BENCH_CATALOGUE_PRODUCTS (2000), RC_BENCH_CATALOGUE_FOLLOW (60),
RC_BENCH_PHASES (intake,ingestion,latency,stock,stock_latency,catalogue,picking,peer).
8. picking validation during a stock export (``picking.py``): ``picking_validate_during_export
   _p95`` against the same validation with no export running (target <= 1.5x); settings
   RC_BENCH_PICKINGS (15), RC_BENCH_PICK_VARIANTS (200), RC_BENCH_PICK_SLOW_CALL (4 s).
9. peer race (``peer.py``, docs/peer-race.md): the OCA Shopify connector from PyPI in a second
   database (RC_BENCH_PEER_DB, default the bench database + ``_oca``) on its own Odoo
   (RC_BENCH_PEER_PORT, default RC_BENCH_PORT + 10), against the same sandbox over HTTPS
   (RC_BENCH_PEER_TLS_PORT, default any free port); the same orders and stock changes given to
   both: ``BENCH peer_<name>_ours=… peer_<name>_oca=… ratio=…`` and its own table.
The serialization conflicts counted in the Odoo logs are a figure (target 0).
"""

import collections
import json
import math
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.load import paced, percentile  # noqa: E402
from tests.bench.picking import DIRTY, bench_picking  # noqa: E402
from tests.e2e import shopify_client as sc  # noqa: E402
from tests.e2e.harness import MemorySampler, Stack, log, odoo_env  # noqa: E402

RATE = float(os.environ.get("RC_BENCH_RATE", "100"))
SECONDS = float(os.environ.get("RC_BENCH_SECONDS", "30"))
ORDERS = int(os.environ.get("RC_BENCH_ORDERS", "100"))
DATABASE = os.environ.get("RC_BENCH_DB", "retail_bench")
ODOO_PORT = int(os.environ.get("RC_BENCH_PORT", "8079"))
SHOPIFY_PORT = int(os.environ.get("RC_BENCH_SHOPIFY_PORT", "8711"))
SALESFORCE_PORT = int(os.environ.get("RC_BENCH_SALESFORCE_PORT", "8712"))
TIMEOUT = float(os.environ.get("RC_BENCH_TIMEOUT", "600"))
STOCK_LEVELS = int(os.environ.get("RC_BENCH_STOCK_LEVELS", "10000"))
PHASES = os.environ.get(
    "RC_BENCH_PHASES",
    "intake,ingestion,latency,stock,stock_latency,catalogue,picking,peer").split(",")
STEADY_ORDERS = int(os.environ.get("RC_BENCH_STEADY_ORDERS", "15"))
STEADY_SECONDS = float(os.environ.get("RC_BENCH_STEADY_SECONDS", "2"))
STOCK_CHANGES = int(os.environ.get("RC_BENCH_STOCK_CHANGES", "30"))
STOCK_CHANGE_SECONDS = float(os.environ.get("RC_BENCH_STOCK_CHANGE_SECONDS", "0.75"))
CATALOGUE_PRODUCTS = int(os.environ.get("RC_BENCH_CATALOGUE_PRODUCTS", "2000"))
CATALOGUE_FOLLOW = float(os.environ.get("RC_BENCH_CATALOGUE_FOLLOW", "60"))
PEER_DB = os.environ.get("RC_BENCH_PEER_DB", f"{DATABASE}_oca")
PEER_PORT = int(os.environ.get("RC_BENCH_PEER_PORT", str(ODOO_PORT + 10)))
PEER_TLS_PORT = int(os.environ.get("RC_BENCH_PEER_TLS_PORT", "0"))

MB = 1024 * 1024


class Figures:
    """Collects figures; prints `BENCH name=value unit` lines and a table at the end."""

    def __init__(self):
        self.rows = []

    def add(self, name, value, unit, target="", floor=None, ratio=None, ok=None):
        self.rows.append((name, value, unit, target, floor, ratio, ok))
        text = f"BENCH {name}={_fmt(value)} {unit}"
        if floor is not None:
            text += f" floor={_fmt(floor)} {unit}"
        if ratio is not None:
            text += f" ratio={ratio:.2f}"
        if target:
            text += f" target={target.replace(' ', '')}"
        if ok is not None:
            text += " ok" if ok else " SHORT"
        log(text)

    def table(self):
        header = ("figure", "value", "floor", "ratio", "target", "")
        lines = [header]
        for name, value, unit, target, floor, ratio, ok in self.rows:
            lines.append((
                name, f"{_fmt(value)} {unit}",
                f"{_fmt(floor)} {unit}" if floor is not None else "",
                f"{ratio:.2f}" if ratio is not None else "",
                target, "" if ok is None else ("ok" if ok else "SHORT"),
            ))
        widths = [max(len(str(row[i])) for row in lines) for i in range(len(header))]
        out = []
        for index, row in enumerate(lines):
            cells = zip(row, widths, strict=True)
            out.append("  ".join(str(cell).ljust(width) for cell, width in cells))
            if index == 0:
                out.append("  ".join("-" * width for width in widths))
        return "\n".join(out)


def _fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def order_specs(count, skus, seed=7):
    """``count`` orders of 3 distinct SKUs each, quantities 1-3 (same specs for the floor)."""
    rng = random.Random(seed)
    return [[{"sku": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(skus, 3)]
            for _index in range(count)]


def odoo_cpu_seconds(server):
    """User + system CPU seconds used so far by the Odoo processes (master, workers, runner),
    for the CPU cost of a request (a worker recycled in between loses its share)."""
    import psutil

    total = 0.0
    for process in server.processes():
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def wait_crons_settled(stack, timeout=180):
    """Wait until no active cron of the database is due (a due cron is running or about to):
    on a fresh database Odoo's crons all come due at the first start, and one of them
    (``ir.autovacuum``) running in the webhook's window and not in the floor's weighed on
    the intake figures of 2026-12-01. Returns the seconds waited."""
    started = time.time()
    quiet = 0
    while time.time() - started < timeout and quiet < 2:
        due = odoo_env.psql(
            "SELECT count(*) FROM ir_cron WHERE active AND nextcall <= "
            "(now() AT TIME ZONE 'UTC')", database=stack.database)[0][0]
        quiet = quiet + 1 if not due else 0
        time.sleep(1)
    return time.time() - started


def bench_intake(stack, figures):
    """Floor (GET /web/health) then the webhook controller, same rate and duration."""
    log(f"\n== webhook intake: {RATE:g} req/s for {SECONDS:g}s (runner off) ==")
    stack.odoo.stop()
    stack.odoo.start(runner=False)
    log(f"  crons settled after {wait_crons_settled(stack):.0f}s")
    saved = stack.pause_webhooks()
    ids = sc.place_orders(stack, order_specs(20, catalogue_skus(), seed=1))
    bodies = [sc.order_body(stack, order_id) for order_id in ids]
    stack.resume_webhooks(saved)
    health_url = f"{stack.odoo.url}/web/health"
    secret = stack.shopify.client_secret
    max_event = odoo_env.psql("SELECT coalesce(max(id), 0) FROM retail_event",
                              database=stack.database)[0][0]

    def health(_index):
        status, _text, elapsed = sc.get(health_url)
        return status, elapsed

    def webhook(index):
        body = bodies[index % len(bodies)]
        headers = sc.webhook_headers(body, "orders/create", f"bench-{index}", secret=secret)
        status, _text, elapsed = sc.post(stack.webhook_url, body, headers)
        return status, elapsed

    # warm both routes up (worker caches, registry) before measuring
    paced(health, 20, 1)
    paced(webhook, 20, 0.5)
    cpu = odoo_cpu_seconds(stack.odoo)
    floor = paced(health, RATE, SECONDS)
    cpu, floor_cpu = odoo_cpu_seconds(stack.odoo), odoo_cpu_seconds(stack.odoo) - cpu
    intake = paced(lambda i: webhook(i + 1000), RATE, SECONDS)
    intake_cpu = odoo_cpu_seconds(stack.odoo) - cpu
    stored = odoo_env.psql(
        f"SELECT count(*) FROM retail_event WHERE id > {max_event}", database=stack.database
    )[0][0]
    for name, result in (("health_floor", floor), ("webhook_intake", intake)):
        log(f"  {name}: sent {result['sent']}, 2xx {result['ok']}, statuses "
            f"{result['statuses']}, late sends {result['late']}, wall {result['wall']:.1f}s")
    log(f"  events stored by the intake phase: {stored}")
    f50, f99 = (percentile(floor["latencies"], q) * 1000 for q in (0.5, 0.99))
    i50, i99 = (percentile(intake["latencies"], q) * 1000 for q in (0.5, 0.99))
    figures.add("intake_p50", i50, "ms", floor=f50, ratio=i50 / f50)
    figures.add("intake_p99", i99, "ms", "<=50ms and <=1.5x floor", floor=f99,
                ratio=i99 / f99, ok=i99 <= 50 and i99 <= 1.5 * f99)
    figures.add("intake_throughput", intake["throughput"], "req/s",
                f">={RATE:g} (offered)", floor=floor["throughput"],
                ratio=intake["throughput"] / floor["throughput"],
                ok=intake["errors"] == 0 and intake["throughput"] >= 0.98 * RATE)
    figures.add("intake_errors", intake["errors"], "requests", "0", ok=intake["errors"] == 0)
    per_floor = floor_cpu * 1000 / max(floor["sent"], 1)
    per_intake = intake_cpu * 1000 / max(intake["sent"], 1)
    figures.add("intake_cpu_per_request", per_intake, "ms", floor=per_floor,
                ratio=per_intake / per_floor if per_floor else None)
    # discard the intake backlog: its jobs would only compete with the next phase
    odoo_env.psql(
        f"DELETE FROM queue_job WHERE state IN ('pending', 'enqueued'); "
        f"UPDATE retail_event SET state = 'ignored' WHERE id > {max_event}",
        database=stack.database,
    )
    stack.odoo.stop()
    stack.odoo.start(runner=True)


def catalogue_skus():
    from tests.sandbox.shopify import RETAIL_CATALOGUE

    return [v["sku"] for p in RETAIL_CATALOGUE["products"] for v in p["variants"]]


def bench_ingestion(stack, figures):
    log(f"\n== order ingestion: {ORDERS} paid 3-line orders through webhooks and jobs ==")
    specs = order_specs(ORDERS, catalogue_skus())
    started = time.perf_counter()
    ids = sc.place_orders(stack, specs)
    placed = time.perf_counter() - started
    log(f"  {len(ids)} orders placed in the sandbox in {placed:.1f}s; waiting for Odoo...")
    wanted = [str(i) for i in ids]
    done = 0
    deadline = time.time() + TIMEOUT
    last_report = 0
    while time.time() < deadline:
        done = stack.rpc.call(
            "sale.order", "search_count",
            [("retail_binding_ids.external_id", "in", wanted),
             ("retail_binding_ids.backend_id", "=", stack.shopify_backend),
             ("state", "=", "sale"), ("invoice_status", "=", "invoiced")],
        )
        if done >= len(ids):
            break
        if time.time() - last_report > 15:
            last_report = time.time()
            log(f"  ... {done}/{len(ids)} confirmed and invoiced "
                f"after {time.perf_counter() - started:.0f}s")
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    created, lost, duplicates = sc.lost_and_duplicates(stack, ids)
    log(f"  {done}/{len(ids)} confirmed+invoiced in {elapsed:.1f}s "
        f"(sale orders {created}, missing {lost}, duplicates {duplicates})")
    rate = done / elapsed if elapsed else 0.0
    floor_rate = orm_floor(stack, specs)
    figures.add("ingestion_rate", rate, "orders/s", ">=0.7x ORM floor", floor=floor_rate,
                ratio=rate / floor_rate if floor_rate else None,
                ok=bool(floor_rate) and rate >= 0.7 * floor_rate and done == len(ids))
    figures.add("ingestion_orders", done, "orders", f"{len(ids)}", ok=done == len(ids))
    latencies = webhook_to_order_latencies(stack, wanted)
    figures.add("burst_latency_p50", percentile(latencies, 0.5), "s")
    figures.add("burst_latency_p95", percentile(latencies, 0.95), "s")


def bench_latency(stack, figures):
    """Webhook-to-order latency at a steady pace the 2 workers can follow."""
    log(f"\n== webhook-to-order latency: {STEADY_ORDERS} orders, one every "
        f"{STEADY_SECONDS:g}s ==")
    if not sc.wait_idle(stack, timeout=180):
        log("  (the job queue was still busy after 180s: the figures include that wait)")
    specs = order_specs(STEADY_ORDERS, catalogue_skus(), seed=11)
    ids = []
    for spec in specs:
        ids += sc.place_orders(stack, [spec])
        time.sleep(STEADY_SECONDS)
    sc.wait_idle(stack, timeout=TIMEOUT)
    latencies = webhook_to_order_latencies(stack, [str(i) for i in ids])
    log(f"  {len(latencies)}/{len(ids)} orders imported")
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    figures.add("order_latency_p50", p50, "s")
    figures.add("order_latency_p95", p95, "s", "<5s",
                ok=p95 is not None and p95 < 5 and len(latencies) == len(ids))


def webhook_to_order_latencies(stack, external_ids):
    """Per order: first webhook stored -> its import done (the end of its job, or of the
    drain that imported it), in seconds.

    Events of the catch-up poll (idempotency key ``poll:...``) are left out: their
    ``create_date`` is the start of the poll's transaction, which may precede the order
    itself (a poll that ran for seconds made an order look 4 to 10 s late)."""
    values = ",".join(f"'{int(i)}'" for i in external_ids)
    # an event drained by its backend's drain job has no job of its own: its ``done_at``
    # is when the drain finished it (an event with a job of its own: the job's end)
    rows = odoo_env.psql(
        "SELECT e.external_id, min(e.create_date), min(coalesce(j.date_done, e.done_at)) "
        "FROM retail_event e LEFT JOIN queue_job j ON j.uuid = e.job_uuid "
        f"WHERE e.backend_id = {int(stack.shopify_backend)} AND e.external_id IN ({values}) "
        "AND e.state = 'done' AND e.res_model = 'sale.order' "
        "AND e.idempotency_key NOT LIKE 'poll:%' GROUP BY e.external_id",
        database=stack.database,
    )
    return [(done - received).total_seconds() for _external, received, done in rows
            if done and received]


def orm_floor(stack, specs):
    log(f"  ORM floor: the same {len(specs)} orders created, confirmed, invoiced and paid "
        "in one process...")
    path = stack.workdir / "floor_specs.json"
    path.write_text(json.dumps(specs))
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "orm_floor.py"),
         str(stack.odoo.workdir / "odoo.conf"), stack.database, str(path)],
        env=odoo_env.python_env(), cwd="/", capture_output=True, text=True, timeout=TIMEOUT,
    )
    if result.returncode != 0:
        log(f"  ORM floor failed:\n{result.stderr[-3000:]}")
        return None
    data = json.loads(result.stdout.strip().splitlines()[-1])
    rate = data["orders"] / data["seconds"]
    log(f"  ORM floor: {data['orders']} orders in {data['seconds']:.1f}s = {rate:.2f} orders/s")
    return rate


def bind_seeded_variants(stack, prefix):
    """Create and bind in Odoo the sandbox's variants whose SKU starts with ``prefix``
    (``stock_setup.py``); return their rows (sku, variant, product, inventory item ids)."""
    store = stack.shopify.store
    with store.lock:
        rows = [{"sku": v["sku"], "variant_id": v["id"], "product_id": v["product_id"],
                 "inventory_item_id": v["inventory_item_id"]}
                for v in store.variants.values() if str(v.get("sku", "")).startswith(prefix)]
    path = stack.workdir / f"{prefix.lower()}_variants.json"
    path.write_text(json.dumps(rows))
    odoo_script(stack, "stock_setup.py", "setup", path)
    return rows


def odoo_script(stack, script, *args):
    """Run one of the ORM helper scripts against the bench database; its JSON answer."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / script),
         str(stack.odoo.workdir / "odoo.conf"), stack.database, *map(str, args)],
        env=odoo_env.python_env(), cwd="/", capture_output=True, text=True, timeout=TIMEOUT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script} {args[:1]} failed: {result.stderr[-1500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def wait_stock_export(stack, since_job_id, timeout):
    """Wait until the stock export jobs created after ``since_job_id`` are over; returns
    (seconds from the first job's start to the last one's end, their results)."""
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline:
        rows = odoo_env.psql(
            "SELECT state, date_started, date_done, left(coalesce(result, ''), 160) "
            f"FROM queue_job WHERE id > {int(since_job_id)} AND name LIKE '%export stock%'",
            database=stack.database)
        pending = odoo_env.psql(
            "SELECT count(*) FROM retail_product_binding b WHERE " + DIRTY,
            database=stack.database)[0][0]
        if rows and all(row[0] in ("done", "failed", "cancelled") for row in rows) \
                and not pending:
            break
        time.sleep(0.5)
    starts = [row[1] for row in rows if row[1]]
    ends = [row[2] for row in rows if row[2]]
    wall = (max(ends) - min(starts)).total_seconds() if starts and ends else None
    return wall, [row[3] for row in rows]


def bench_stock(stack, figures):
    levels = STOCK_LEVELS
    mappings = stack.rpc.call("retail.value.mapping", "search_count",
                              [("backend_id", "=", stack.shopify_backend),
                               ("kind", "=", "location"), ("is_complete", "=", True)])
    variants = max(1, levels // max(1, mappings))
    levels = variants * mappings
    log(f"\n== stock push: {levels} changed levels ({variants} variants x {mappings} mapped "
        "locations) ==")
    control = stack.shopify.control
    per_product = 100
    locations = list(stack.shopify.store.locations)
    seed = {"products": [
        {"title": f"Bench stock {p}", "variants": [
            {"sku": f"BENCHSTOCK-{p:04d}-{v:03d}", "price": "10.00",
             "options": {"Title": f"V{v}"}, "stock": dict.fromkeys(locations, 5)}
            for v in range(min(per_product, variants - p * per_product))]}
        for p in range((variants + per_product - 1) // per_product)]}
    started = time.perf_counter()
    control.seed(seed)
    rows = bind_seeded_variants(stack, "BENCHSTOCK")
    log(f"  {len(rows)} variants in the sandbox and bound products in Odoo in "
        f"{time.perf_counter() - started:.0f}s")
    throttle = control.throttle()
    restore = float(throttle.get("defaults", {}).get("restore_rate") or 100)
    control.reset_counters()
    last_job = odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job",
                             database=stack.database)[0][0]
    changed = odoo_script(stack, "stock_setup.py", "change", 42)
    log(f"  quantities of {changed['products']} products changed in "
        f"{changed['seconds']:.1f}s; waiting for the export...")
    wall, results = wait_stock_export(stack, last_job, TIMEOUT)
    counters = control.counters()
    operations = counters.get("operations", {})
    mutation = operations.get("InventorySetQuantities", {})
    calls = mutation.get("calls", 0)
    cost = sum(op.get("actual_cost", 0) for op in operations.values())
    log(f"  export jobs: {results}; GraphQL calls by operation: "
        f"{ {name: op.get('calls') for name, op in operations.items()} }")
    minimum = math.ceil(levels / 250)
    throttle_floor = cost / restore
    figures.add("stock_push_calls", calls, "calls", f"={minimum} (ceil(N/250))", floor=minimum,
                ratio=calls / minimum, ok=calls == minimum)
    figures.add("stock_push_wall", wall, "s", "<=1.2x throttle floor", floor=throttle_floor,
                ratio=wall / throttle_floor if wall and throttle_floor else None,
                ok=wall is not None and wall <= 1.2 * throttle_floor)
    control.reset_counters()
    last_job = odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job",
                             database=stack.database)[0][0]
    odoo_script(stack, "stock_setup.py", "rerun")
    _wall, results = wait_stock_export(stack, last_job, TIMEOUT)
    rerun = control.counters().get("operations", {}).get("InventorySetQuantities", {})
    log(f"  unchanged rerun: {results}")
    figures.add("stock_push_rerun_calls", rerun.get("calls", 0), "calls", "0",
                ok=not rerun.get("calls"))


def max_job_id(stack):
    return odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job",
                         database=stack.database)[0][0]


def export_jobs(stack, since_job_id, flow):
    """(state, date_created, date_started, date_done) of the ``flow`` export jobs created
    after ``since_job_id``, oldest first."""
    return odoo_env.psql(
        "SELECT state, date_created, date_started, date_done FROM queue_job "
        f"WHERE id > {int(since_job_id)} AND name LIKE '%export {flow}%' ORDER BY id",
        database=stack.database)


def bench_stock_latency(stack, figures):
    """Single stock levels changed at a steady pace; commit -> Shopify has the quantity."""
    count, pace, variants = STOCK_CHANGES, STOCK_CHANGE_SECONDS, 10
    log(f"\n== stock-change-to-Shopify latency: {count} inventory adjustments over XML-RPC, "
        f"one every {pace:g}s ==")
    if not sc.wait_idle(stack, timeout=180):
        log("  (the job queue was still busy after 180s: the figures include that wait)")
    store, rpc = stack.shopify.store, stack.rpc
    locations = list(store.locations)
    stack.shopify.control.seed({"products": [{"title": "Bench latency", "variants": [
        {"sku": f"BENCHLAT-{v:03d}", "price": "10.00", "options": {"Title": f"L{v}"},
         "stock": dict.fromkeys(locations, 5)} for v in range(variants)]}]})
    rows = bind_seeded_variants(stack, "BENCHLAT")
    items = {row["sku"]: int(row["inventory_item_id"]) for row in rows}
    products = rpc.call("product.product", "search_read",
                        [("default_code", "=like", "BENCHLAT-%")], fields=["default_code"])
    products = sorted((p["default_code"], p["id"]) for p in products)
    mapped = [int(m["external_value"]) for m in rpc.call(
        "retail.value.mapping", "search_read",
        [("backend_id", "=", stack.shopify_backend), ("kind", "=", "location"),
         ("is_complete", "=", True)], fields=["external_value"])]
    stock = rpc.ref("stock.stock_location_stock")

    def adjust(product_id, quantity):
        """The warehouse user's inventory adjustment: counted quantity, then Apply."""
        quant = rpc.call("stock.quant", "create",
                         {"product_id": product_id, "location_id": stock,
                          "inventory_quantity": quantity}, context={"inventory_mode": True})
        clicked = time.time()
        rpc.button("stock.quant", "action_apply_inventory", [quant])
        return clicked, time.time()  # the transaction committed before Odoo answered

    def in_shopify(item, quantity):
        with store.lock:
            levels = [store.levels.get((item, location)) for location in mapped]
            return all(level and store.quantity(level, "available") == quantity
                       for level in levels)

    # warm-up (first push of two bindings, workers' caches), not measured
    for index in range(2):
        sku, product_id = products[index]
        adjust(product_id, 100 + index)
    sc.wait_idle(stack, timeout=120)

    seen, expected = {}, {}
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            for index, (item, quantity) in list(expected.items()):
                if index not in seen and in_shopify(item, quantity):
                    seen[index] = time.time()
            stop.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    last_job = max_job_id(stack)
    clicked, committed = {}, {}
    started = time.perf_counter()
    for index in range(count):
        delay = started + index * pace - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sku, product_id = products[index % len(products)]
        quantity = 200 + index  # distinct per change: each one is recognisable in Shopify
        expected[index] = (items[sku], quantity)
        clicked[index], committed[index] = adjust(product_id, quantity)
    deadline = time.time() + 60
    while len(seen) < count and time.time() < deadline:
        time.sleep(0.1)
    stop.set()
    watcher.join(timeout=5)
    latencies = [seen[i] - committed[i] for i in range(count) if i in seen]
    from_click = [seen[i] - clicked[i] for i in range(count) if i in seen]
    jobs = export_jobs(stack, last_job, "stock")
    pickup = [(s - c).total_seconds() for _st, c, s, _d in jobs if c and s]
    run = [(d - s).total_seconds() for _st, _c, s, d in jobs if s and d]
    log(f"  {len(latencies)}/{count} changes seen in the sandbox; {len(jobs)} stock export "
        f"jobs: created->started p50 {_fmt(percentile(pickup, 0.5))} s / p95 "
        f"{_fmt(percentile(pickup, 0.95))} s, run p50 {_fmt(percentile(run, 0.5))} s / p95 "
        f"{_fmt(percentile(run, 0.95))} s")
    if latencies:
        log(f"  from the commit: min {min(latencies):.3f} s, max {max(latencies):.3f} s; from "
            f"the Apply click (call sent): p50 {_fmt(percentile(from_click, 0.5))} s, p95 "
            f"{_fmt(percentile(from_click, 0.95))} s")
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    figures.add("stock_latency_p50", p50, "s")
    figures.add("stock_latency_p95", p95, "s", "<5s",
                ok=p95 is not None and p95 < 5 and len(latencies) == count)


PRODUCT_OPERATIONS = ("StagedUploadsCreate", "BulkOperationRunMutation", "BulkOperationNode",
                      "ProductSet")
PRODUCT_MUTATIONS = ("StagedUploadsCreate", "BulkOperationRunMutation", "ProductSet")


def bench_catalogue(stack, figures):
    """2,000 templates x 3 variants published at once: the products export's calls and wall
    time until the sandbox has (and Odoo has bound) every variant."""
    count, prefix = CATALOGUE_PRODUCTS, "BENCHCAT"
    log(f"\n== catalogue export: {count} products x 3 variants published at once ==")
    if not sc.wait_idle(stack, timeout=180):
        log("  (the job queue was still busy after 180s)")
    created = odoo_script(stack, "catalogue_setup.py", "create", count, prefix)
    wanted = created["variants"]
    log(f"  {len(created['templates'])} templates, {wanted} variants created in Odoo (ORM, "
        f"unpublished) in {created['seconds']:.0f}s")
    store, control = stack.shopify.store, stack.shopify.control
    control.reset_counters()
    last_job = max_job_id(stack)
    with store.lock:
        last_bulk = max(store.bulk_operations, default=0)
    begin = time.time()
    stack.rpc.call("product.template", "write", created["templates"],
                   {"shopify_publish": True,
                    "shopify_backend_ids": [(6, 0, [stack.shopify_backend])]})
    committed = time.time()
    log(f"  published in one XML-RPC write ({committed - begin:.1f}s); waiting for the "
        "export...")

    def in_sandbox():
        with store.lock:
            return sum(1 for v in store.variants.values()
                       if str(v.get("sku") or "").startswith(prefix + "-"))

    sandbox_at = done_at = None
    jobs, pending = [], None
    deadline = committed + TIMEOUT
    last_report = time.time()
    while time.time() < deadline:
        if sandbox_at is None and in_sandbox() >= wanted:
            sandbox_at = time.time()
        jobs = export_jobs(stack, last_job, "products")
        if jobs and all(job[0] in ("done", "failed", "cancelled") for job in jobs):
            pending = odoo_env.psql(
                "SELECT count(*) FROM product_template WHERE shopify_export_pending AND id IN "
                f"({','.join(map(str, created['templates']))})", database=stack.database)[0][0]
            if not pending:
                done_at = time.time()
                break
        if time.time() - last_report > 15:
            last_report = time.time()
            log(f"  ... {in_sandbox()}/{wanted} variants in the sandbox after "
                f"{time.time() - committed:.0f}s, jobs {[job[0] for job in jobs]}")
        time.sleep(0.2)
    if sandbox_at is None and in_sandbox() >= wanted:
        sandbox_at = time.time()
    operations = control.counters().get("operations", {})
    calls = {name: operations.get(name, {}).get("calls", 0) for name in PRODUCT_OPERATIONS}
    total = sum(calls.values())
    mutations = sum(calls[name] for name in PRODUCT_MUTATIONS)
    bound = odoo_env.psql(
        "SELECT count(*) FROM retail_product_binding b JOIN product_product p "
        f"ON p.id = b.odoo_id WHERE b.backend_id = {int(stack.shopify_backend)} "
        f"AND p.default_code LIKE '{prefix}-%'", database=stack.database)[0][0]
    with store.lock:
        bulks = [op for key, op in store.bulk_operations.items()
                 if key > last_bulk and op["type"] == "MUTATION"]
    floor = None
    if bulks and all(op.get("completed_at") for op in bulks):
        floor = sum((op["completed_at"] - op["created_at"]).total_seconds() for op in bulks)
    log(f"  jobs {[job[0] for job in jobs]}; {in_sandbox()}/{wanted} variants in the sandbox, "
        f"{bound} bound in Odoo; bulk operations {len(bulks)} "
        f"({[op['status'] for op in bulks]}); Admin API calls {calls}")
    log(f"  (one productSet per product, the non-bulk path, would be {count} calls)")
    sandbox_wall = sandbox_at - committed if sandbox_at else None
    bound_wall = done_at - committed if done_at else None
    figures.add("catalogue_export_mutations", mutations, "calls",
                "=2 (1 staged upload + 1 bulk op)", floor=2, ratio=mutations / 2,
                ok=mutations == 2)
    figures.add("catalogue_export_calls", total, "calls", ">=3 (+ status polls)", floor=3,
                ratio=total / 3)
    figures.add("catalogue_export_wall", sandbox_wall, "s", f"{wanted} variants in Shopify",
                floor=floor, ratio=sandbox_wall / floor if sandbox_wall and floor else None,
                ok=sandbox_wall is not None)
    figures.add("catalogue_bound_wall", bound_wall, "s", f"{wanted} bound in Odoo",
                floor=floor, ratio=bound_wall / floor if bound_wall and floor else None,
                ok=bound_wall is not None and bound == wanted)
    catalogue_stock_follow(stack, figures, last_job, prefix, wanted)


STOCK_OPERATIONS = ("InventorySetQuantities", "InventoryActivate", "InventoryLevelsById",
                    "VariantsBySku")


def catalogue_stock_follow(stack, figures, since_job_id, prefix, variants):
    """The new bindings are dirty for the stock flow: watch that export for a while."""
    if CATALOGUE_FOLLOW <= 0:
        return
    started = time.time()
    while time.time() - started < CATALOGUE_FOLLOW:
        jobs = export_jobs(stack, since_job_id, "stock")
        if jobs and all(job[0] in ("done", "failed", "cancelled") for job in jobs):
            break
        time.sleep(1)
    operations = stack.shopify.control.counters().get("operations", {})
    calls = {name: operations.get(name, {}).get("calls", 0) for name in STOCK_OPERATIONS}
    pending = odoo_env.psql(
        "SELECT count(*) FROM retail_product_binding b JOIN product_product p "
        f"ON p.id = b.odoo_id WHERE {DIRTY} AND p.default_code LIKE '{prefix}-%'",
        database=stack.database)[0][0]
    store = stack.shopify.store
    with store.lock:
        items = {v["inventory_item_id"] for v in store.variants.values()
                 if str(v.get("sku") or "").startswith(prefix + "-")}
        stocked = sum(1 for key in store.levels if key[0] in items)
    mappings = stack.rpc.call("retail.value.mapping", "search_count",
                              [("backend_id", "=", stack.shopify_backend),
                               ("kind", "=", "location"), ("is_complete", "=", True)])
    log(f"  stock export of the new bindings after {time.time() - started:.0f}s: jobs "
        f"{[job[0] for job in export_jobs(stack, since_job_id, 'stock')]}, calls {calls}, "
        f"{stocked} levels stocked in the sandbox for {variants} variants, {pending} "
        "bindings still dirty")
    levels = variants * mappings
    figures.add("catalogue_stocked_levels", stocked, "levels",
                f"{levels} after {CATALOGUE_FOLLOW:g}s", ok=stocked >= levels)


BAD_QUERY_TABLE = re.compile(
    r'bad query: b?["\']\s*(?:UPDATE|INSERT INTO|DELETE FROM|SELECT .*? FROM)\s+"?(\w+)',
    re.IGNORECASE,
)


def serialization_conflicts(logfiles):
    """Serialization conflicts in Odoo logs, counted by the table of the statement that
    PostgreSQL refused (the ``bad query`` line Odoo logs before the error)."""
    counts = collections.Counter()
    for logfile in logfiles:
        table = "?"
        with open(logfile, errors="replace") as lines:
            for line in lines:
                if "bad query:" in line:
                    match = BAD_QUERY_TABLE.search(line)
                    table = match.group(1) if match else "?"
                elif "could not serialize access" in line:
                    counts[table] += 1
    return counts


def diagnostics(stack, figures):
    """What slowed the run down, from the Odoo logs and the backend's chatter."""
    by_table = serialization_conflicts(stack.workdir.glob("odoo-*.log"))
    conflicts = sum(by_table.values())
    circuits = odoo_env.psql(
        "SELECT count(*) FROM mail_message WHERE model = 'retail.backend' "
        "AND body ILIKE '%circuit%opened%'", database=stack.database)[0][0]
    retried = odoo_env.psql(
        "SELECT count(*) FROM queue_job WHERE retry > 1", database=stack.database)[0][0]
    log(f"  diagnostics: {conflicts} serialization conflicts in the Odoo logs "
        f"{dict(by_table.most_common())} (by the table of the statement refused), circuit "
        f"opened {circuits} times, {retried} jobs run more than once")
    figures.add("serialization_conflicts", conflicts, "conflicts", "0", ok=conflicts == 0)


def main():
    figures = Figures()
    started = time.time()
    log(f"make bench: rate {RATE:g} req/s for {SECONDS:g}s, {ORDERS} orders, "
        f"database {DATABASE}, Odoo on 127.0.0.1:{ODOO_PORT}")
    with Stack(DATABASE, odoo_port=ODOO_PORT, shopify_port=SHOPIFY_PORT,
               salesforce_port=SALESFORCE_PORT) as stack:
        sampler = MemorySampler(stack.odoo).start()
        try:
            if "intake" in PHASES:
                bench_intake(stack, figures)
            if "ingestion" in PHASES:
                bench_ingestion(stack, figures)
            if "latency" in PHASES:
                bench_latency(stack, figures)
            if "stock" in PHASES:
                try:
                    bench_stock(stack, figures)
                except Exception as error:
                    log(f"BENCH stock_push=skipped ({type(error).__name__}: {error})")
            if "stock_latency" in PHASES:
                bench_stock_latency(stack, figures)
            if "catalogue" in PHASES:
                bench_catalogue(stack, figures)
            if "picking" in PHASES:
                bench_picking(stack, figures, bind_seeded_variants, odoo_script)
            if "peer" in PHASES:
                from tests.bench.peer import bench_peer

                bench_peer(stack, figures, database=PEER_DB, port=PEER_PORT,
                           tls_port=PEER_TLS_PORT, helpers=(bind_seeded_variants, odoo_script))
        finally:
            sampler.stop()
        figures.add("worker_rss_peak", sampler.peak_worker / MB, "MB", "<600MB",
                    ok=sampler.peak_worker < 600 * MB)
        figures.add("odoo_rss_peak_total", sampler.peak_total / MB, "MB")
        diagnostics(stack, figures)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    log(f"\nBenchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average "
        f"{load} at the end, {time.time() - started:.0f}s):\n")
    log(figures.table())
    short = [row[0] for row in figures.rows if row[6] is False]
    log(f"\nBENCH summary: {len(figures.rows)} figures, "
        f"{len(short)} short of target{': ' + ', '.join(short) if short else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
