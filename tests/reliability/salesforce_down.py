"""Reliability scenario ``salesforce_down``: Salesforce down for minutes while Shopify orders
flow; and what it and ``sf_limit`` count in the Salesforce sandbox (each order's status in
exactly one Salesforce Order, written once)."""

import os
import random
import time

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env

SF_DOWN_SECONDS = float(os.environ.get("RC_REL_SF_DOWN_SECONDS", "120"))
SF_ORDERS = int(os.environ.get("RC_REL_SF_ORDERS", "30"))


def salesforce_down(stack):
    """Salesforce unreachable for at least ``RC_REL_SF_DOWN_SECONDS`` (120; longer with e.g.
    ``RC_REL_SF_DOWN_SECONDS=600``): 503 SERVER_UNAVAILABLE for the first half, then the port
    closed (connection refused). Meanwhile ``RC_REL_SF_ORDERS`` (30) paid Shopify orders are
    placed over the first half and delivered by the sandbox's webhooks. The outage goes on
    until every one of them is confirmed in Odoo and the Salesforce circuit has opened (at
    most ``RC_REL_TIMEOUT`` more): with the default threshold (5 consecutive failures) and
    the export backoff (10, 30, 60, 120 s) the circuit opens about 220 s after the first
    failed export, so the outage lasts about 4 minutes by default.

    Pass: every order imported and confirmed while Salesforce is down, the Salesforce backend's
    circuit opened and Shopify's did not, and once Salesforce answers again (after the
    cooldown and the export retries) each order's status is in a Salesforce Order exactly
    once: one Order per sale order, holding the status Odoo computes now, and no write that
    repeats the status the Order already had (every write is recorded in the sandbox's
    store). ``lost`` adds the orders missing in Odoo and the statuses missing in the CRM;
    ``duplicates`` the extra sale orders, extra Salesforce Orders and repeated status writes.
    """
    from tests.reliability.scenarios import (
        TIMEOUT,
        Result,
        circuit_openings,
        outcome,
        settle,
        specs,
    )

    if not stack.salesforce_backend:
        return Result("salesforce_down", 0, 0, 0, 0, 0, ok=False,
                      note="needs the stack with the Salesforce sandbox (run.py starts it when "
                      "this scenario is selected)")
    rng = random.Random(6)
    sandbox = stack.salesforce
    store = sandbox.app.store
    writes = []

    def on_change(event):  # the sandbox's store calls its listeners after each commit
        if event["object"] == "Order":
            record = event["record"]
            writes.append((record.get("Odoo_Id__c"), record["Id"], record.get("Odoo_Status__c")))

    settle(stack, "before the outage (earlier exports)")
    health = lambda: {row["id"]: row for row in stack.rpc.call(  # noqa: E731
        "retail.backend", "read", [stack.shopify_backend, stack.salesforce_backend],
        ["circuit_state", "circuit_failure_count"])}
    openings = {b: circuit_openings(stack, b) for b in (stack.shopify_backend,
                                                         stack.salesforce_backend)}
    states = {stack.shopify_backend: set(), stack.salesforce_backend: set()}
    store.listeners.append(on_change)
    ids, refused, confirmed, opened_after = [], False, 0, None
    interval = SF_DOWN_SECONDS / 2 / max(SF_ORDERS, 1)
    try:
        sandbox.control.outage("503")
        started = time.time()
        log(f"  Salesforce answers 503 (then refuses connections after "
            f"{SF_DOWN_SECONDS / 2:g}s); {SF_ORDERS} Shopify orders placed one every "
            f"{interval:.1f}s...")
        next_order = next_sample = started
        while time.time() - started < SF_DOWN_SECONDS + TIMEOUT:
            now = time.time()
            if len(ids) < SF_ORDERS and now >= next_order:
                ids += sc.place_orders(stack, specs(1, rng))
                next_order += interval
            if not refused and now - started >= SF_DOWN_SECONDS / 2:
                sandbox.control.outage("none")
                sandbox.refuse_connections()
                refused = True
                log(f"  {now - started:.0f}s: Salesforce now refuses connections")
            if now >= next_sample:
                next_sample = now + 2
                for backend_id, row in health().items():
                    states[backend_id].add(row["circuit_state"])
                confirmed = confirmed_count(stack, ids)
                if opened_after is None and (
                        "open" in states[stack.salesforce_backend]
                        or circuit_openings(stack, stack.salesforce_backend)
                        > openings[stack.salesforce_backend]):
                    opened_after = now - started
                    log(f"  {opened_after:.0f}s: the Salesforce circuit is open")
                if (len(ids) == SF_ORDERS and confirmed == SF_ORDERS and opened_after
                        and now - started >= SF_DOWN_SECONDS):
                    break
            time.sleep(0.2)
        outage = time.time() - started
    finally:
        sandbox.restore_connections()
        sandbox.control.outage("none")
    log(f"  Salesforce back after {outage:.0f}s; {confirmed}/{len(ids)} orders confirmed "
        f"meanwhile; circuit states seen: Salesforce {sorted(states[stack.salesforce_backend])},"
        f" Shopify {sorted(states[stack.shopify_backend])}; waiting for the cooldown "
        f"and the export retries...")
    try:
        sale_ids = sale_ids_of(stack, ids)
        drain_started = time.time()
        delivered = 0
        while time.time() - drain_started < TIMEOUT:
            expected = expected_statuses(stack, list(sale_ids.values()))
            delivered = len(crm_statuses(store, expected, writes)[0])
            if delivered == len(expected) and sc.busy_counts(stack) == (0, 0):
                break
            time.sleep(5)
        idle = settle(stack, "drain", timeout=max(30, TIMEOUT - (time.time() - drain_started)))
        expected = expected_statuses(stack, list(sale_ids.values()))
    finally:
        store.listeners.remove(on_change)
    good, missing, extra_orders, repeats, sf_writes = crm_statuses(store, expected, writes)
    sf_opened = circuit_openings(stack, stack.salesforce_backend) - openings[
        stack.salesforce_backend]
    shop_opened = circuit_openings(stack, stack.shopify_backend) - openings[
        stack.shopify_backend]
    checks = {
        "all confirmed during the outage": confirmed == len(ids) == SF_ORDERS,
        "Salesforce circuit opened": sf_opened > 0 or "open" in states[stack.salesforce_backend],
        "Shopify circuit stayed closed": shop_opened == 0
        and states[stack.shopify_backend] <= {"closed"},
        "idle": idle,
    }
    failed_checks = [label for label, ok in checks.items() if not ok]
    note = (f"CRM statuses delivered {len(good)}/{len(expected)} after "
            f"{time.time() - drain_started:.0f}s ({sf_writes} Order writes, "
            f"{extra_orders} extra Orders, {repeats} repeated status writes); outage "
            f"{outage:.0f}s, {confirmed}/{len(ids)} confirmed during it; circuit opened "
            f"Salesforce {sf_opened}x (first after {opened_after or 0:.0f}s), Shopify "
            f"{shop_opened}x")
    if missing:
        note += "; not in the CRM: " + ", ".join(
            f"sale {sale_id}: {want!r} vs {got!r}" for sale_id, want, got in missing[:3])
    if failed_checks:
        note += "; FAILED: " + ", ".join(failed_checks)
    result = outcome(stack, "salesforce_down", ids, len(ids), note=note,
                     ok=not failed_checks)
    result.lost += len(missing)
    result.duplicates += extra_orders + repeats
    return result


def confirmed_count(stack, external_ids):
    """Shopify orders (of ``external_ids``) whose sale order is confirmed in Odoo."""
    if not external_ids:
        return 0
    return odoo_env.psql(
        "SELECT count(DISTINCT b.external_id) FROM retail_order_binding b JOIN sale_order s "
        f"ON s.id = b.odoo_id WHERE b.backend_id = {int(stack.shopify_backend)} AND "
        f"s.state = 'sale' AND b.external_id IN ({','.join(repr(str(i)) for i in external_ids)})",
        database=stack.database)[0][0]


def sale_ids_of(stack, external_ids):
    """{Shopify order id: sale order id} (one of them when an order was duplicated)."""
    if not external_ids:
        return {}
    return dict(odoo_env.psql(
        "SELECT b.external_id, min(b.odoo_id) FROM retail_order_binding b WHERE b.backend_id = "
        f"{int(stack.shopify_backend)} AND b.external_id IN "
        f"({','.join(repr(str(i)) for i in external_ids)}) GROUP BY b.external_id",
        database=stack.database))


def expected_statuses(stack, sale_ids):
    """{sale order id: the status Odoo sends to the CRM}, read over XML-RPC. The rule of the
    Salesforce addon's README: cancelled, refunded, paid, invoiced, shipped, confirmed (the
    first that applies); nothing while the order is a quotation."""
    rpc = stack.rpc
    sales = rpc.call("sale.order", "read", sale_ids, ["state", "invoice_ids", "picking_ids"])
    move_ids = sorted({m for sale in sales for m in sale["invoice_ids"]})
    picking_ids = sorted({p for sale in sales for p in sale["picking_ids"]})
    moves = {m["id"]: m for m in rpc.call("account.move", "read", move_ids,
                                          ["move_type", "state", "payment_state"])}
    pickings = {p["id"]: p for p in rpc.call("stock.picking", "read", picking_ids,
                                             ["state", "picking_type_code"])}
    expected = {}
    for sale in sales:
        posted = [moves[m] for m in sale["invoice_ids"] if moves[m]["state"] == "posted"]
        invoices = [m for m in posted if m["move_type"] == "out_invoice"]
        shipped = any(pickings[p]["state"] == "done" and pickings[p]["picking_type_code"]
                      == "outgoing" for p in sale["picking_ids"])
        if sale["state"] == "cancel":
            status = "cancelled"
        elif sale["state"] != "sale":
            status = None
        elif any(m["move_type"] == "out_refund" for m in posted):
            status = "refunded"
        elif invoices and all(m["payment_state"] in ("paid", "in_payment") for m in invoices):
            status = "paid"
        elif invoices:
            status = "invoiced"
        else:
            status = "shipped" if shipped else "confirmed"
        expected[sale["id"]] = status
    return expected


def crm_statuses(store, expected, writes):
    """Compare the Salesforce sandbox's Orders with ``expected`` ({sale id: status}).

    Returns (sale ids whose Order holds the expected status, [(sale id, expected, found)]
    missing, extra Orders for one sale order, writes repeating the status the Order had,
    number of Order writes of these sale orders)."""
    orders = {}
    for record in store.all("Order", include_deleted=True):
        key = record.get("Odoo_Id__c") or ""
        if key.isdigit() and int(key) in expected:
            orders.setdefault(int(key), []).append(record)
    good, missing = [], []
    for sale_id, status in expected.items():
        found = [r.get("Odoo_Status__c") for r in orders.get(sale_id, []) if not r["IsDeleted"]]
        if found == [status]:
            good.append(sale_id)
        else:
            missing.append((sale_id, status, found))
    extra = sum(len(records) - 1 for records in orders.values())
    last, repeats, count = {}, 0, 0
    for key, record_id, status in list(writes):
        if not (key or "").isdigit() or int(key) not in expected:
            continue
        count += 1
        if record_id in last and last[record_id] == status:
            repeats += 1
        last[record_id] = status
    return good, missing, extra, repeats, count
