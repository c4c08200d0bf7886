"""Scenario ``sf_limit``: the Salesforce org's daily API requests are used up for longer than
the backend's retry schedule while Salesforce events flow in.

The Salesforce sandbox refuses every REST call with 403 ``REQUEST_LIMIT_EXCEEDED``
"TotalRequests Limit exceeded." (its ``exhaust_limits`` fault: the usage is set to the daily
maximum, ``/limits`` and ``Sforce-Limit-Info`` say so) for ``RC_REL_SF_LIMIT_SECONDS`` (120).
The backend's ``max_attempts`` is lowered to 3 for the run, so its retry schedule (10 s, 30 s,
then give up) is far shorter than the exhaustion. Meanwhile:

* ``RC_REL_SF_LIMIT_ACCOUNTS`` (20) Accounts are created in Salesforce; its Outbound Messages
  deliver them to Odoo (no API call), and their import reads each Account (refused);
* ``RC_REL_SF_LIMIT_ORDERS`` (10) paid Shopify orders are placed and imported (Shopify is
  fine); confirming and paying them marks their status for export to Salesforce (refused).

Pass: while the limit is used up no event ends failed and none spends an attempt, the
Salesforce backend is paused (``paused_until``) with its circuit closed, and its responsible
has one ``[quota]`` to-do. Then the sandbox lifts the limit (usage back to 0); when the pause
ends the backend asks ``/limits`` and resumes by itself (the engine's pause is 900 s, so the
scenario waits for it), and everything flows exactly once: one partner per Account (counted
in ``res_partner`` by name and binding), each Account holding its partner's id, one
Salesforce Order per sale order with the status Odoo computes, no repeated status write, and
the Shopify books exact.
"""

import os
import random
import time
import uuid

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env
from tests.reliability import duplicates as extra_records

LIMIT_SECONDS = float(os.environ.get("RC_REL_SF_LIMIT_SECONDS", "120"))
ACCOUNTS = int(os.environ.get("RC_REL_SF_LIMIT_ACCOUNTS", "20"))
ORDERS = int(os.environ.get("RC_REL_SF_LIMIT_ORDERS", "10"))
MAX_ATTEMPTS = 3


def backend_health(stack):
    (row,) = stack.rpc.call("retail.backend", "read", [stack.salesforce_backend],
                            ["paused_until", "paused_reason", "circuit_state", "max_attempts",
                             "sf_outbound_token"])
    return row


def quota_alerts(stack):
    return odoo_env.psql(
        "SELECT count(*) FROM mail_activity WHERE res_model = 'retail.backend' AND res_id = "
        f"{int(stack.salesforce_backend)} AND summary LIKE '[quota]%'",
        database=stack.database)[0][0]


def events_of(stack, since_event):
    """{state: count} and the attempts spent by the Salesforce backend's events since."""
    rows = odoo_env.psql(
        "SELECT state, count(*), coalesce(sum(attempts), 0) FROM retail_event WHERE backend_id "
        f"= {int(stack.salesforce_backend)} AND id > {int(since_event)} GROUP BY state",
        database=stack.database)
    return {state: count for state, count, _attempts in rows}, sum(r[2] for r in rows)


def failed_since(stack, since_event, since_time):
    """Events of the Salesforce backend failed during the run (new ones, and outbound failure
    rows updated since it started)."""
    return odoo_env.psql(
        "SELECT count(*), string_agg(DISTINCT left(coalesce(error_message, ''), 100), ' | ') "
        f"FROM retail_event WHERE backend_id = {int(stack.salesforce_backend)} AND state = "
        f"'failed' AND (id > {int(since_event)} OR write_date >= to_timestamp({since_time}) "
        "AT TIME ZONE 'UTC')", database=stack.database)[0]


def accounts_flowed(stack, accounts, first_partner):
    """(Accounts imported once and holding their partner's id, Accounts with no partner,
    extra partners, Accounts whose Odoo_Id__c is not their partner's id): partners counted in
    ``res_partner`` per Account, by its binding and by its name among the partners made since
    the run started."""
    database = stack.database
    store = stack.salesforce.app.store
    names = {a["Id"]: a["Name"] for a in accounts}
    by_name = extra_records.partners_by_name(database, list(names.values()), first_partner)
    bound = extra_records.bound_partners(database, stack.salesforce_backend, list(names))
    per_account = {account_id: set(bound[account_id]) | set(by_name[name])
                   for account_id, name in names.items()}
    good, wrong = 0, []
    for account_id, partners in per_account.items():
        odoo_id = (store.get("Account", account_id) or {}).get("Odoo_Id__c")
        if len(partners) == 1 and odoo_id == str(next(iter(partners))):
            good += 1
        elif partners:
            wrong.append(f"{account_id}: Odoo_Id__c {odoo_id} vs partner(s) {sorted(partners)}")
    missing = sum(1 for partners in per_account.values() if not partners)
    extra = extra_records.counts(external_partners=per_account)["partners per external id"]
    return good, missing, extra, wrong


def sf_limit(stack):
    from tests.reliability.salesforce_down import crm_statuses, expected_statuses, sale_ids_of
    from tests.reliability.scenarios import Result, outcome, settle, specs

    if not stack.salesforce_backend:
        return Result("sf_limit", 0, 0, 0, 0, 0, ok=False,
                      note="needs the stack with the Salesforce sandbox")
    rng = random.Random(9)
    sandbox, rpc, backend = stack.salesforce, stack.rpc, stack.salesforce_backend
    control, store = sandbox.control, sandbox.app.store
    settle(stack, "before the limit (earlier exports)")
    health = backend_health(stack)
    saved_attempts = health["max_attempts"]
    rpc.call("retail.backend", "write", [backend], {"max_attempts": MAX_ATTEMPTS})
    endpoint = (f"{stack.odoo.url}/retail/salesforce/outbound/{backend}/"
                f"{health['sf_outbound_token']}")
    control.configure_outbound("Account", endpoint, fields=["Name", "BillingCountry"])
    writes = []

    def on_change(event):  # the sandbox's store calls its listeners after each commit
        if event["object"] == "Order":
            record = event["record"]
            writes.append((record.get("Odoo_Id__c"), record["Id"], record.get("Odoo_Status__c")))

    first_event = odoo_env.psql("SELECT coalesce(max(id), 0) FROM retail_event",
                                database=stack.database)[0][0]
    first_partner = odoo_env.psql("SELECT coalesce(max(id), 0) FROM res_partner",
                                  database=stack.database)[0][0]
    refused_before = control.counters().get("limit_exceeded", 0)
    store.listeners.append(on_change)
    accounts, ids, paused_seen, circuit_seen = [], [], False, set()
    run = uuid.uuid4().hex[:6]
    started = time.time()
    try:
        control.faults(exhaust_limits=True)
        log(f"  Salesforce refuses every REST call (REQUEST_LIMIT_EXCEEDED, daily limit used "
            f"up) for {LIMIT_SECONDS:g}s; max_attempts {MAX_ATTEMPTS}; {ACCOUNTS} Accounts "
            f"created in Salesforce (Outbound Messages) and {ORDERS} Shopify orders placed...")
        interval = LIMIT_SECONDS / 2 / max(ACCOUNTS + ORDERS, 1)
        next_item = next_sample = started
        while time.time() - started < LIMIT_SECONDS:
            now = time.time()
            if now >= next_item and (len(accounts) < ACCOUNTS or len(ids) < ORDERS):
                if len(accounts) * ORDERS <= len(ids) * ACCOUNTS and len(accounts) < ACCOUNTS:
                    accounts.append(control.create_record(
                        "Account", {"Name": f"Limit {run} {len(accounts) + 1:03d}",
                                    "BillingCountry": "US"}))
                else:
                    ids += sc.place_orders(stack, specs(1, rng))
                next_item += interval
            if now >= next_sample:
                next_sample = now + 3
                health = backend_health(stack)
                paused_seen = paused_seen or bool(health["paused_until"])
                circuit_seen.add(health["circuit_state"])
            time.sleep(0.1)
        states, attempts = events_of(stack, first_event)
        failed_during = failed_since(stack, first_event, started)
        health = backend_health(stack)
        alerts = quota_alerts(stack)
        refused = control.counters().get("limit_exceeded", 0) - refused_before
    finally:
        control.settings(api_used=0)  # the rolling window frees requests again
    lifted = time.time()
    paused_until = health["paused_until"]
    log(f"  limit lifted after {lifted - started:.0f}s: {refused} calls refused; Salesforce "
        f"events {states} with {attempts} attempts spent; failed {failed_during[0]}; "
        f"paused until {paused_until} (seen paused: {paused_seen}), circuit {sorted(circuit_seen)}"
        f", [quota] to-dos {alerts}; waiting for the pause to end and the backlog to flow...")
    try:
        sale_ids = sale_ids_of(stack, ids)
        deadline = time.time() + 900 + float(os.environ.get("RC_REL_TIMEOUT", "600"))
        good = delivered = quiet = 0
        while time.time() < deadline:
            expected = expected_statuses(stack, list(sale_ids.values()))
            delivered = len(crm_statuses(store, expected, writes)[0])
            good = accounts_flowed(stack, accounts, first_partner)[0]
            busy = sc.busy_counts(stack) != (0, 0)
            if good == len(accounts) and delivered == len(expected) and not busy:
                break
            # resumed and nothing left to run for 15 s: what is wrong now stays wrong
            quiet = 0 if busy or backend_health(stack)["paused_until"] else quiet + 1
            if quiet >= 3:
                break
            time.sleep(5)
        idle = settle(stack, "drain", timeout=60)
        expected = expected_statuses(stack, list(sale_ids.values()))
    finally:
        store.listeners.remove(on_change)
        control.remove_outbound("Account")
        rpc.call("retail.backend", "write", [backend], {"max_attempts": saved_attempts})
    drained = time.time() - lifted
    statuses_good, missing, extra_orders, repeats, sf_writes = crm_statuses(store, expected,
                                                                            writes)
    good, no_partner, extra_partners, wrong = accounts_flowed(stack, accounts, first_partner)
    failed_after = failed_since(stack, first_event, started)
    resumed = odoo_env.psql(
        "SELECT count(*) FROM mail_message WHERE model = 'retail.backend' AND res_id = "
        f"{int(backend)} AND body ILIKE '%quota allows calls again%' AND date >= "
        f"to_timestamp({started}) AT TIME ZONE 'UTC'", database=stack.database)[0][0]
    checks = {
        "paused while the limit was used up": paused_seen and bool(paused_until),
        "circuit stayed closed": circuit_seen <= {"closed"},
        "no attempt spent while paused": attempts == 0,
        "no event failed": not failed_during[0] and not failed_after[0],
        "one [quota] to-do": alerts == 1,
        "resumed by itself": resumed >= 1,
        "every Account imported once": good == len(accounts),
        "idle": idle,
    }
    failed_checks = [label for label, ok in checks.items() if not ok]
    note = (f"{refused} calls refused over {lifted - started:.0f}s; {attempts} attempts spent "
            f"while paused; [quota] to-dos {alerts}; resumed messages {resumed}; after the "
            f"lift: Accounts {good}/{len(accounts)} imported once with their partner id "
            f"({extra_partners} extra partners), CRM statuses {len(statuses_good)}/"
            f"{len(expected)} ({sf_writes} Order writes, {extra_orders} extra Orders, {repeats} "
            f"repeated status writes) in {drained:.0f}s; failed events {failed_after[0]}"
            + (f" ({failed_after[1]})" if failed_after[0] else ""))
    if wrong:
        note += f"; {len(wrong)} Accounts not holding their partner's id: " + " | ".join(wrong[:3])
    if failed_checks:
        note += "; FAILED: " + ", ".join(failed_checks)
    result = outcome(stack, "sf_limit", ids, len(ids) + len(accounts), note=note,
                     ok=not failed_checks)
    result.expected += len(accounts)
    result.created += good
    result.lost += len(missing) + no_partner
    result.duplicates += extra_orders + repeats + extra_partners
    return result
