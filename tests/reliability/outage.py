"""Scenario ``outage``: Shopify fails every call for minutes while orders keep arriving.

Every GraphQL call to the Shopify sandbox answers 503 (its fault control) for
``RC_REL_OUTAGE_SECONDS`` (120; the issue's figure is 600 with ``RC_REL_OUTAGE_ORDERS=1000``)
while ``RC_REL_OUTAGE_ORDERS`` (200) paid orders are placed at an even pace and delivered by
the sandbox's webhooks. A paid order's import reads its transactions from Shopify, so the
imports fail and the backend's circuit opens; the events then wait parked in the inbox. The
backend's cooldown is ``RC_REL_OUTAGE_COOLDOWN`` (60 s) during the scenario. Then the fault
clears and the probe closes the circuit.

Pass: fewer than ``RC_REL_OUTAGE_JOB_LIMIT`` (20) ``queue.job`` rows created from the start
of the outage to its end, whatever the number of orders, then every order imported once.
"""

import os
import random
import time

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env

OUTAGE_SECONDS = float(os.environ.get("RC_REL_OUTAGE_SECONDS", "120"))
OUTAGE_ORDERS = int(os.environ.get("RC_REL_OUTAGE_ORDERS", "200"))
OUTAGE_COOLDOWN = int(os.environ.get("RC_REL_OUTAGE_COOLDOWN", "60"))
JOB_LIMIT = int(os.environ.get("RC_REL_OUTAGE_JOB_LIMIT", "20"))


def last_job_id(stack):
    return odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job",
                         database=stack.database)[0][0]


def jobs_since(stack, job_id):
    """``{method: count}`` of the queue.job rows created after ``job_id``."""
    rows = odoo_env.psql(f"SELECT method_name, count(*) FROM queue_job WHERE id > {int(job_id)} "
                         "GROUP BY method_name ORDER BY 2 DESC", database=stack.database)
    return dict(rows)


def circuit_state(stack):
    (row,) = stack.rpc.call("retail.backend", "read", [stack.shopify_backend],
                            ["circuit_state", "circuit_cooldown"])
    return row


def outage(stack):
    from tests.reliability.scenarios import outcome, settle, specs

    rng = random.Random(8)
    control = stack.shopify.control
    settle(stack, "before the outage (earlier scenarios)")
    saved_cooldown = circuit_state(stack)["circuit_cooldown"]
    stack.rpc.call("retail.backend", "write", [stack.shopify_backend],
                   {"circuit_cooldown": OUTAGE_COOLDOWN})
    parked_max = 0
    ids, states = [], set()
    try:
        first_job = last_job_id(stack)
        control.add_fault("http_error", status=503)
        started = time.time()
        interval = OUTAGE_SECONDS / max(OUTAGE_ORDERS, 1)
        log(f"  every Shopify GraphQL call answers 503 for {OUTAGE_SECONDS:g}s; "
            f"{OUTAGE_ORDERS} paid orders placed one every {interval:.2f}s (cooldown "
            f"{OUTAGE_COOLDOWN}s)...")
        next_order = next_sample = started
        while time.time() - started < OUTAGE_SECONDS:
            now = time.time()
            if len(ids) < OUTAGE_ORDERS and now >= next_order:
                ids += sc.place_orders(stack, specs(1, rng))
                next_order += interval
            if now >= next_sample:
                next_sample = now + 5
                states.add(circuit_state(stack)["circuit_state"])
                parked = odoo_env.psql("SELECT count(*) FROM retail_event WHERE parked",
                                       database=stack.database)[0][0]
                parked_max = max(parked_max, parked)
            time.sleep(max(0.0, min(next_order, next_sample) - time.time()))
        if len(ids) < OUTAGE_ORDERS:  # placing was slower than the pace: the rest now
            ids += sc.place_orders(stack, specs(OUTAGE_ORDERS - len(ids), rng))
        jobs = jobs_since(stack, first_job)
        seconds = time.time() - started
    finally:
        control.clear_faults()
    cleared = time.time()
    log(f"  fault cleared after {seconds:.0f}s: queue.job rows created during it "
        f"{sum(jobs.values())} {jobs}; circuit states seen {sorted(states)}; parked events "
        f"up to {parked_max}")
    idle = settle(stack, "after the outage")
    drained = time.time() - cleared
    stack.rpc.call("retail.backend", "write", [stack.shopify_backend],
                   {"circuit_cooldown": saved_cooldown})
    created_jobs = sum(jobs.values())
    note = (f"queue.job rows created during the {seconds:.0f}s outage: {created_jobs} "
            f"(target < {JOB_LIMIT}) {jobs}; parked events up to {parked_max}; circuit "
            f"{'opened' if 'open' in states else 'never opened'}; backlog imported "
            f"{drained:.0f}s after the fault cleared")
    return outcome(stack, "outage", ids, len(ids), note=note,
                   ok=idle and created_jobs < JOB_LIMIT and "open" in states)
