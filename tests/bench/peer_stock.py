"""The stock part of the peer race (see ``peer.py``): the same level changes, one database at
a time, measured in the sandbox (calls and cost per access token, quantities in the store)."""

import json
import subprocess
import sys
import time

from tests.e2e.harness import log, odoo_env

PREFIX = "BENCHPEER"
SETTLE = 3.0  # seconds without a running job before a connector counts as finished


def peer_stock(stack, peer, figures, helpers=None, count=None):
    from tests.bench import peer as race

    count = count or race.PEER_STOCK
    if helpers is None:
        from tests.bench.bench import bind_seeded_variants, odoo_script
    else:
        bind_seeded_variants, odoo_script = helpers
    store, control = stack.shopify.store, stack.shopify.control
    locations = list(store.locations)
    log(f"\n-- peer stock: {count} variants x {len(locations)} locations, quantities changed "
        "in one transaction, one connector at a time --")
    skus = [f"{PREFIX}-{p:05d}" for p in range(count)]
    # the peer's Odoo has the products first (storable, the instance's company): the sandbox
    # sends products/create to the peer as it seeds them, and the peer matches by SKU; a
    # product it does not find it creates, as a consumable that never syncs stock
    peer.rpc.call("product.product", "create", [
        {"name": f"Bench {sku}", "default_code": sku, "is_storable": True,
         "list_price": 10.0, "taxes_id": [(5, 0, 0)],
         "company_id": peer.rpc.ref("base.main_company")} for sku in skus])
    # single-variant products (Shopify's "Default Title"): the peer matches an Odoo template
    # by SKU, so one Odoo product per Shopify product keeps both sides the same catalogue
    control.seed({"products": [
        {"title": f"Bench peer {p}", "variants": [
            {"sku": sku, "price": "10.00",
             "options": {"Title": "Default Title"}, "stock": dict.fromkeys(locations, 5)}]}
        for p, sku in enumerate(skus)]})
    rows = bind_seeded_variants(stack, PREFIX)
    items = [int(row["inventory_item_id"]) for row in rows]
    levels = len(items) * len(locations)
    # then its Import Products binds what the webhooks did not (as a user would click it)
    stack.shopify.counters.reset()
    since = peer.max_job_id()
    peer.rpc.button("shopify.instance", "action_import_products", peer.instance)
    _wait_settled(lambda: _busy(peer.database, since), race.PEER_TIMEOUT)
    bound = peer.psql(
        "SELECT count(*) FROM shopify_product_variant v JOIN product_product p ON "
        f"p.id = v.odoo_id WHERE p.default_code LIKE '{PREFIX}-%' AND v.state = 'synced'")[0][0]
    import_errors = race._errors(peer.calls()) + peer.job_errors(since)
    figures.add("stock_variants_bound", len(rows), bound, "variants",
                "ours: bound by the bench's ORM setup; peer: its Import Products" +
                (f"; {'; '.join(import_errors)[:200]}" if bound < len(rows) else ""))

    results = {}
    for side, quantity in (("ours", 42), ("oca", 43)):
        database = stack.database if side == "ours" else peer.database
        config = (stack.odoo if side == "ours" else peer.odoo).workdir / "odoo.conf"
        token = stack.shopify.token if side == "ours" else peer.token
        stack.shopify.counters.reset()
        since = _max_job(database)
        begin = time.time()
        _set_quantities(config, database, f"{PREFIX}-", quantity,
                        "WH/Stock" if side == "ours" else ",".join(peer.stock_locations))
        held_at = _wait_held(store, items, locations, quantity,
                             lambda d=database, s=since: _busy(d, s), race.PEER_TIMEOUT, begin)
        operations = stack.shopify.counters.snapshot()["tokens"].get(token, {})
        results[side] = {
            "wall": held_at - begin if held_at else None,
            "held": _held(store, items, locations, quantity),
            "set_calls": race._calls(operations, {"InventorySetQuantities"})[0],
            "calls": race._calls(operations)[0], "cost": race._calls(operations)[1],
            "errors": race._errors(operations) + (
                peer.job_errors(since) if side == "oca" else []),
            "jobs": sum(race._jobs_since(database, since).values()),
            "job_states": race._jobs_since(database, since)}
        log(f"  {side}: {json.dumps(results[side], default=str)[:600]}")
    ours, oca = results["ours"], results["oca"]
    why = "" if oca["held"] == levels else (
        f"{levels - oca['held']} levels never reached the sandbox"
        f"{race._contract_verdict('InventoryLevelForItem')}"
        + f"; its jobs when the wait ended: {oca['job_states']}"
        + (f"; {'; '.join(oca['errors'])[:200]}" if oca["errors"] else
           f"; {bound} variants bound"))
    figures.add("stock_levels_held", ours["held"], oca["held"], "levels",
                f"of {levels} changed" + (f"; {why}" if why else ""))
    figures.add("stock_set_calls", ours["set_calls"],
                oca["set_calls"] if oca["held"] == levels else None, "calls",
                "inventorySetQuantities")
    figures.add("stock_api_calls", ours["calls"], oca["calls"], "calls", "every GraphQL call")
    figures.add("stock_cost", ours["cost"], oca["cost"], "points", "actual GraphQL cost")
    figures.add("stock_jobs", ours["jobs"], oca["jobs"], "jobs")
    figures.add("stock_wall", ours["wall"], oca["wall"], "s",
                "change committed -> sandbox holds every quantity")
    _rerun(stack, peer, figures, odoo_script)


def _rerun(stack, peer, figures, odoo_script):
    """Unchanged rerun: ours exports its stock again, the peer's *Push Inventory*."""
    from tests.bench import peer as race

    counts = {}
    for side in ("ours", "oca"):
        database = stack.database if side == "ours" else peer.database
        token = stack.shopify.token if side == "ours" else peer.token
        stack.shopify.counters.reset()
        since = _max_job(database)
        if side == "ours":
            odoo_script(stack, "stock_setup.py", "rerun", "-", f"{PREFIX}-")
        else:
            peer.rpc.button("shopify.instance", "action_push_inventory", peer.instance)
        _wait_settled(lambda d=database, s=since: _busy(d, s), race.PEER_TIMEOUT)
        operations = stack.shopify.counters.snapshot()["tokens"].get(token, {})
        counts[side] = (race._calls(operations, {"InventorySetQuantities"})[0],
                        race._calls(operations)[0], race._errors(operations))
    figures.add("stock_rerun_set_calls", counts["ours"][0], counts["oca"][0], "calls",
                "unchanged rerun (target 0)")
    figures.add("stock_rerun_api_calls", counts["ours"][1], counts["oca"][1], "calls",
                "; ".join(counts["oca"][2])[:200])


def _set_quantities(config, database, prefix, quantity, locations):
    from tests.bench.bench import ROOT

    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "quantity_setup.py"), str(config),
         database, prefix, str(quantity), locations],
        env=odoo_env.python_env(), cwd="/", capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"quantity_setup failed: {result.stderr[-1500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _max_job(database):
    return odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job", database=database)[0][0]


def _busy(database, since):
    return odoo_env.psql(
        f"SELECT count(*) FROM queue_job WHERE id > {int(since)} AND state IN "
        "('wait_dependencies', 'pending', 'enqueued', 'started')", database=database)[0][0]


def _held(store, items, locations, quantity):
    with store.lock:
        return sum(1 for item in items for location in locations
                   if (level := store.levels.get((item, location)))
                   and store.quantity(level, "available") == quantity)


def _wait_held(store, items, locations, quantity, busy, timeout, begin):
    """Time when the store holds ``quantity`` at every level, else None once the connector's
    jobs have settled (or at the timeout)."""
    wanted = len(items) * len(locations)
    quiet_since = None
    while time.time() - begin < timeout:
        if _held(store, items, locations, quantity) >= wanted:
            return time.time()
        if busy() == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= SETTLE:
                return None
        else:
            quiet_since = None
        time.sleep(0.05)
    return None


def _wait_settled(busy, timeout):
    begin, quiet_since = time.time(), None
    while time.time() - begin < timeout:
        if busy() == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= SETTLE:
                return True
        else:
            quiet_since = None
        time.sleep(0.25)
    return False
