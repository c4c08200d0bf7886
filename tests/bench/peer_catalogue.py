"""The catalogue part of the peer race (see ``peer.py``): templates of 3 variants published to
Shopify by each connector, calls and wall time until the sandbox holds every variant.

Ours: the bench's catalogue phase (``bench.bench_catalogue``: published in one write, one
bulk ``productSet`` operation); its figures are taken from this run's table when that phase
ran, else it runs here. The peer: the same templates created in its database with the same
ORM script (``catalogue_setup.py``), of the instance's company (the peer exports nothing
else), then exported as its user would, with its *Export to Shopify* wizard on all of them:
one job per template. Measured the same way for both: Admin API calls under the
connector's token, seconds from the publishing commit until the sandbox has every variant.
"""

import json
import os
import subprocess
import sys
import time

from tests.e2e.harness import log, odoo_env

PREFIX = "BENCHOCACAT"


def peer_catalogue(stack, peer, figures, main_figures=None):
    from tests.bench import bench
    from tests.bench import peer as race
    from tests.bench.peer_stock import _busy, _max_job

    count = int(os.environ.get("RC_BENCH_PEER_CATALOGUE", str(bench.CATALOGUE_PRODUCTS)))
    log(f"\n-- peer catalogue: {count} templates x 3 variants published by each --")
    ours = _our_figures(main_figures)
    if ours is None or ours.get("count") != count:
        local = bench.Figures()
        saved = bench.CATALOGUE_PRODUCTS, bench.CATALOGUE_FOLLOW
        bench.CATALOGUE_PRODUCTS, bench.CATALOGUE_FOLLOW = count, 0
        try:
            bench.bench_catalogue(stack, local)
        finally:
            bench.CATALOGUE_PRODUCTS, bench.CATALOGUE_FOLLOW = saved
        ours = _our_figures(local)
    ours["count"] = count
    with stack.shopify.store.lock:
        ours["variants"] = sum(1 for v in stack.shopify.store.variants.values()
                               if str(v.get("sku") or "").startswith("BENCHCAT-"))

    created = _create_templates(peer, count)
    wanted = created["variants"]
    peer.rpc.call("product.template", "write", created["templates"],
                  {"company_id": peer.rpc.ref("base.main_company")})
    store = stack.shopify.store
    stack.shopify.counters.reset()
    since = _max_job(peer.database)
    begin = time.time()
    wizard = peer.rpc.call("shopify.product.export.wizard", "create", {
        "instance_id": peer.instance, "product_tmpl_ids": [(6, 0, created["templates"])]})
    peer.rpc.button("shopify.product.export.wizard", "action_export", wizard)
    committed = time.time()

    def in_sandbox():
        with store.lock:
            return sum(1 for v in store.variants.values()
                       if str(v.get("sku") or "").startswith(PREFIX + "-"))

    held_at, quiet_since = None, None
    while time.time() - committed < race.PEER_TIMEOUT:
        if in_sandbox() >= wanted:
            held_at = time.time()
            break
        if _busy(peer.database, since) == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= 3:
                break
        else:
            quiet_since = None
        time.sleep(0.2)
    operations = peer.calls()
    calls = race._calls(operations)[0]
    errors = race._errors(operations) + peer.job_errors(since)
    jobs = race._jobs_since(peer.database, since)
    log(f"  peer: wizard {committed - begin:.1f}s, {in_sandbox()}/{wanted} variants in the "
        f"sandbox, jobs {jobs}, calls {json.dumps({k: v['calls'] for k, v in operations.items()})}"
        f", errors {errors[:3]}")
    done = held_at is not None
    reason = "" if done else (
        f"{wanted - in_sandbox()} of {wanted} variants never reached the sandbox"
        f"{_sandbox_gap(('ProductCustomIdDefinition', 'CreateProductCustomIdDefinition'))}; "
        f"{'; '.join(errors)[:220] or 'no error recorded'}")
    figures.add("catalogue_variants_in_shopify", ours.get("variants"), in_sandbox(),
                "variants", reason)
    figures.add("catalogue_api_calls", ours.get("calls"), calls if done else None, "calls",
                "every Admin API call of the export" + (
                    f"; the peer's made {calls} before stopping" if not done else ""))
    figures.add("catalogue_jobs", None, sum(jobs.values()), "jobs",
                "peer: one export job per template (ours: see catalogue_export_*)")
    figures.add("catalogue_wall", ours.get("wall"),
                held_at - committed if done else None, "s",
                "publishing committed -> sandbox holds every variant")


def _sandbox_gap(operations):
    """" (… the sandbox does not serve yet; Shopify does)" when the peer's ``operations`` are
    valid in Shopify's schema but not in the sandbox's: then "cannot" is the sandbox's gap."""
    try:
        from tests.bench.peer_contract import check

        gaps = [name for _label, name, shopify, sandbox in check()
                if name in operations and sandbox and not shopify]
    except Exception as error:  # a note only
        return f" (contract check unavailable: {error})"
    return (f" (its {', '.join(gaps)} the sandbox does not serve yet, Shopify does: a gap "
            "of the sandbox, not of the peer)") if gaps else ""


def _our_figures(figures):
    if figures is None:
        return None
    rows = {row[0]: row[1] for row in figures.rows}
    if "catalogue_export_calls" not in rows:
        return None
    from tests.bench import bench

    return {"calls": rows["catalogue_export_calls"], "wall": rows.get("catalogue_export_wall"),
            "count": bench.CATALOGUE_PRODUCTS}


def _create_templates(peer, count):
    from tests.bench.bench import ROOT

    config = peer.odoo.workdir / "odoo.conf"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "bench" / "catalogue_setup.py"), str(config),
         peer.database, "create", str(count), PREFIX],
        env=odoo_env.python_env(), cwd="/", capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"catalogue_setup failed: {result.stderr[-1500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
