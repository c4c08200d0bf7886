"""`make bench`'s peer phase: ours and the OCA Shopify connector, same Odoo 18, same sandbox.

The peer (``peer_setup.py``, docs/peer-race.md) gets its own database and Odoo server next to
ours; the sandbox is the same store, where the peer is a second app. The same work is given
to both, one after the other, and measured the same way, from the sandbox's store and
counters (per access token) and each database (RC_BENCH_PEER_PHASES,
intake,orders,exactness,stock,catalogue):

- intake (``peer_intake.py``): signed ``orders/create`` at RC_BENCH_PEER_RATE (RC_BENCH_RATE,
  100/s) for RC_BENCH_PEER_SECONDS (RC_BENCH_SECONDS, 30) to each webhook route, runner off
  for both → p50, p99, throughput, errors.
- orders: RC_BENCH_PEER_ORDERS (100) paid 3-line orders placed in the sandbox, whose
  ``orders/create`` webhooks reach both → orders confirmed in each database, seconds until
  the last one is, orders/s, jobs run, webhook → order p95, Admin API calls.
- exactness (``peer_exactness.py``): RC_BENCH_PEER_EXACT (200) orders of the sandbox's order
  generator (seed RC_BENCH_PEER_SEED, 15) to both → orders booked exactly as Shopify recorded
  them (sale order, invoice, payments), orders left failed.
- stock: RC_BENCH_PEER_STOCK (5,000) variants seeded in the sandbox (2 locations: 10,000
  levels), the same
  products in both databases (ours bound as our import binds them, the peer by its *Import
  Products*); the quantity of every one changed in one transaction in one database at a
  time → ``inventorySetQuantities`` calls, GraphQL cost spent, seconds until the sandbox
  holds every new quantity at every location, calls of an unchanged rerun (ours: its stock
  export again; the peer: *Push Inventory*).
- catalogue (``peer_catalogue.py``): RC_BENCH_PEER_CATALOGUE (RC_BENCH_CATALOGUE_PRODUCTS,
  2,000) templates of 3 variants published by each (ours: the bench's catalogue phase; the
  peer: its *Export to Shopify* wizard) → calls, seconds until the sandbox has every variant.

Sizes are scaled down with these settings for development; the machine's cores are shared,
so every time is noisy: compare ratios of one run, not times across runs.

Every figure prints as ``BENCH peer_<name>_ours=… peer_<name>_oca=… ratio=…`` (ratio = ours
÷ peer) and goes in a table. Where the peer cannot do the work the row stays, with ``cannot``
and the error the sandbox answered it.
"""

import os
import time

from tests.bench.load import percentile
from tests.bench.peer_catalogue import peer_catalogue
from tests.bench.peer_exactness import peer_exactness
from tests.bench.peer_intake import peer_intake
from tests.bench.peer_setup import Peer, PeerUnavailable
from tests.bench.peer_stock import peer_stock
from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env

PEER_ORDERS = int(os.environ.get("RC_BENCH_PEER_ORDERS", "100"))
PEER_STOCK = int(os.environ.get("RC_BENCH_PEER_STOCK", "5000"))
PEER_TIMEOUT = float(os.environ.get("RC_BENCH_PEER_TIMEOUT", "600"))
PEER_PHASES = os.environ.get("RC_BENCH_PEER_PHASES",
                             "intake,orders,exactness,stock,catalogue").split(",")
STOCK_PREFIX = "BENCHPEER"


class PeerFigures:
    """Rows of (name, ours, peer, unit, note); ``None`` for the peer means it cannot."""

    def __init__(self):
        self.rows = []

    def add(self, name, ours, oca, unit, note=""):
        ratio = ours / oca if isinstance(ours, (int, float)) and isinstance(
            oca, (int, float)) and oca else None
        self.rows.append((name, ours, oca, unit, ratio, note))
        text = f"BENCH peer_{name}_ours={_fmt(ours)} peer_{name}_oca=" \
               f"{'cannot' if oca is None else _fmt(oca)} {unit}"
        text += f" ratio={ratio:.3f}" if ratio is not None else " ratio=n/a"
        log(text + (f" ({note})" if note else ""))

    def table(self):
        lines = [("figure", "ours", "OCA peer", "ours/peer", "note")]
        for name, ours, oca, unit, ratio, note in self.rows:
            lines.append((name, f"{_fmt(ours)} {unit}",
                          "cannot" if oca is None else f"{_fmt(oca)} {unit}",
                          f"{ratio:.3f}" if ratio is not None else "n/a", note))
        widths = [max(len(str(row[i])) for row in lines) for i in range(4)]
        out = []
        for index, row in enumerate(lines):
            out.append("  ".join(str(c).ljust(w) for c, w in zip(row[:4], widths, strict=True)) +
                       "  " + row[4])
            if index == 0:
                out.append("  ".join("-" * w for w in widths) + "  ----")
        return "\n".join(out)


def _fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def _calls(operations, names=None):
    picked = {k: v for k, v in operations.items() if names is None or k in names}
    return (sum(v["calls"] for v in picked.values()),
            sum(v["actual_cost"] for v in picked.values()))


def _errors(operations):
    return sorted({f"{name}: {v['last_error']}" for name, v in operations.items()
                   if v.get("last_error")})


def bench_peer(stack, main_figures, *, database, port, tls_port=0, helpers=None):
    """Set the peer up next to ``stack``, run the phases, print its table; never raises for
    the peer's own failures (they are rows), only for a broken stack."""
    from tests.sandbox.shopify import RETAIL_CATALOGUE

    log(f"\n== peer race: the OCA Shopify connector next to ours (database {database}) ==")
    figures = PeerFigures()
    peer = Peer(stack.shopify, database, port, stack.workdir, workers=stack.workers,
                tls_port=tls_port, stock_quantity=stack.stock_quantity)
    try:
        try:
            peer.setup(RETAIL_CATALOGUE)
        except PeerUnavailable as error:
            log(f"BENCH peer=unavailable ({error})")
            return figures
        figures.add("setup_webhook_topics", len(_our_subscriptions(stack)),
                    len(peer.subscriptions()), "topics", "subscriptions registered")
        phases = {
            "intake": lambda: peer_intake(stack, peer, figures),
            "orders": lambda: peer_orders(stack, peer, figures),
            "exactness": lambda: peer_exactness(stack, peer, figures),
            "stock": lambda: peer_stock(stack, peer, figures, helpers),
            "catalogue": lambda: peer_catalogue(stack, peer, figures, main_figures),
        }
        for name, phase in phases.items():
            if name not in PEER_PHASES:
                continue
            try:
                phase()
            except Exception as error:  # one broken phase must not hide the others' rows
                log(f"BENCH peer_{name}=failed ({type(error).__name__}: {error})")
    finally:
        peer.close()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    log(f"\nPeer race ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared, load "
        f"average {load}: times are noisy, compare the ratios; OCA shopify_connector "
        f"{peer.version}, Admin API 2026-01 for the peer):\n")
    log(figures.table())
    return figures


def _our_subscriptions(stack):
    store = stack.shopify.store
    with store.lock:
        return [s for s in store.webhook_subscriptions.values() if s.get("app") is None]


# -- orders --------------------------------------------------------------------------------------
def peer_orders(stack, peer, figures, count=PEER_ORDERS):
    from tests.bench.bench import catalogue_skus, order_specs, webhook_to_order_latencies

    log(f"\n-- peer orders: {count} paid 3-line orders, webhooks to both --")
    sc.wait_idle(stack, timeout=180)
    ours_job, peer_job = _max_job(stack.database), peer.max_job_id()
    stack.shopify.counters.reset()
    specs = order_specs(count, catalogue_skus(), seed=23)
    started = time.perf_counter()
    ids = sc.place_orders(stack, specs)
    wanted = [str(i) for i in ids]
    ours_at = peer_at = None
    ours_done = peer_done = 0
    deadline = time.time() + PEER_TIMEOUT
    while time.time() < deadline:
        ours_done = _ours_confirmed(stack, wanted)
        peer_done = _peer_confirmed(peer, wanted)
        now = time.perf_counter() - started
        if ours_at is None and ours_done >= count:
            ours_at = now
        if peer_at is None and peer_done >= count:
            peer_at = now
        if ours_at is not None and (peer_at is not None or _peer_settled(peer, wanted, peer_job)):
            break
        time.sleep(0.5)
    peer_jobs, ours_jobs = peer.jobs_since(peer_job), _jobs_since(stack.database, ours_job)
    errors = peer.job_errors(peer_job)
    log(f"  ours: {ours_done}/{count} confirmed, jobs {ours_jobs}; peer: {peer_done}/{count} "
        f"confirmed, jobs {peer_jobs}, failures {errors}")
    reason = "" if peer_done >= count else \
        f"{count - peer_done} left unconfirmed{_contract_verdict('ShopifyOrder')}; jobs " \
        f"failed with: {'; '.join(errors)[:160] or 'nothing'}"
    figures.add("orders_confirmed", ours_done, peer_done, "orders", reason)
    figures.add("orders_wall", ours_at, peer_at, "s", "" if peer_at else "never all confirmed")
    figures.add("orders_rate", count / ours_at if ours_at else None,
                count / peer_at if peer_at else None, "orders/s")
    figures.add("orders_jobs", sum(ours_jobs.values()), sum(peer_jobs.values()), "jobs",
                "queue jobs created by the phase")
    ours_lat = webhook_to_order_latencies(stack, wanted)
    peer_lat = _peer_latencies(peer, wanted)
    figures.add("order_latency_p95", percentile(ours_lat, 0.95),
                percentile(peer_lat, 0.95) if peer_lat else None, "s",
                "webhook stored -> order imported")
    per_token = stack.shopify.counters.snapshot()["tokens"]
    ours_calls = per_token.get(stack.shopify.token, {})
    peer_calls = per_token.get(peer.token, {})
    figures.add("orders_api_calls", _calls(ours_calls)[0], _calls(peer_calls)[0], "calls",
                "; ".join(_errors(peer_calls))[:200])


def _contract_verdict(operation):
    """", which Shopify's schema rejects: …" when the peer's ``operation`` is invalid there."""
    try:
        from tests.bench.peer_contract import check

        for _label, name, shopify, _sandbox in check():
            if name == operation and shopify:
                return f" (Shopify's own schema rejects its {operation}: {shopify[0]})"
    except Exception as error:  # the verdict is a note; the figures stand without it
        return f" (contract check unavailable: {error})"
    return ""


def _max_job(database):
    return odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job", database=database)[0][0]


def _jobs_since(database, job_id):
    return dict(odoo_env.psql(f"SELECT state, count(*) FROM queue_job WHERE id > {int(job_id)} "
                              "GROUP BY state", database=database))


def _ours_confirmed(stack, wanted):
    return stack.rpc.call("sale.order", "search_count", [
        ("retail_binding_ids.external_id", "in", wanted),
        ("retail_binding_ids.backend_id", "=", stack.shopify_backend), ("state", "=", "sale")])


def _id_list(wanted):
    return ",".join(f"'{int(i)}','gid://shopify/Order/{int(i)}'" for i in wanted)


def _peer_confirmed(peer, wanted):
    return peer.psql(
        "SELECT count(DISTINCT b.shopify_id) FROM shopify_order b JOIN sale_order s "
        f"ON s.id = b.odoo_id WHERE s.state = 'sale' AND b.shopify_id IN ({_id_list(wanted)})"
    )[0][0]


def _peer_settled(peer, wanted, since_job):
    """Every order's webhook stored by the peer and none of its jobs left to run."""
    received = peer.psql(
        "SELECT count(DISTINCT payload->>'id') FROM shopify_webhook_event WHERE topic = "
        f"'orders/create' AND payload->>'id' IN ({','.join(repr(str(i)) for i in wanted)})"
    )[0][0]
    busy = peer.psql(f"SELECT count(*) FROM queue_job WHERE id > {int(since_job)} AND state "
                     "IN ('wait_dependencies', 'pending', 'enqueued', 'started')")[0][0]
    return received >= len(wanted) and not busy


def _peer_latencies(peer, wanted):
    rows = peer.psql(
        "SELECT e.payload->>'id', min(e.create_date), min(b.write_date) "
        "FROM shopify_webhook_event e JOIN shopify_order b ON b.shopify_id IN "
        "(e.payload->>'id', 'gid://shopify/Order/' || (e.payload->>'id')) "
        "JOIN sale_order s ON s.id = b.odoo_id AND s.state = 'sale' "
        f"WHERE e.topic = 'orders/create' AND e.payload->>'id' IN "
        f"({','.join(repr(str(i)) for i in wanted)}) GROUP BY 1")
    return [(done - received).total_seconds() for _id, received, done in rows
            if done and received]

