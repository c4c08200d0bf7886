"""The reliability scenarios; each takes a ready ``Stack`` and returns a ``Result``."""

import json
import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env
from tests.reliability import bad_inputs as more_bad_inputs
from tests.reliability import books as ledger
from tests.reliability import outage as outage_scenario

ORDERS = int(os.environ.get("RC_REL_ORDERS", "200"))
CONCURRENT = int(os.environ.get("RC_REL_CONCURRENT", "20"))
CATCHUP = int(os.environ.get("RC_REL_CATCHUP", "50"))
KILL = int(os.environ.get("RC_REL_KILL", "40"))
TIMEOUT = float(os.environ.get("RC_REL_TIMEOUT", "600"))
FAULT_SECONDS = float(os.environ.get("RC_REL_FAULT_SECONDS", "120"))
SF_DOWN_SECONDS = float(os.environ.get("RC_REL_SF_DOWN_SECONDS", "120"))
SF_ORDERS = int(os.environ.get("RC_REL_SF_ORDERS", "30"))
ROTATION_ORDERS = int(os.environ.get("RC_REL_ROTATION_ORDERS", "40"))
ROTATION_PACE = float(os.environ.get("RC_REL_ROTATION_PACE", "0.5"))
SKUS = ["TSHIRT-BLUE-S", "TSHIRT-BLUE-M", "TSHIRT-BLUE-L", "TSHIRT-WHITE-S", "TSHIRT-WHITE-M",
        "TSHIRT-WHITE-L", "TOTE-NATURAL", "BEANIE-GREY", "BEANIE-NAVY"]


@dataclass
class Result:
    name: str
    sent: int
    expected: int
    created: int
    lost: int
    duplicates: int
    ok: bool = True
    note: str = ""
    seconds: float = 0.0
    books: object = None  # books.Books of the scenario's Shopify orders, when it placed any

    @property
    def passed(self):
        return (self.ok and self.lost == 0 and self.duplicates == 0
                and (self.books is None or self.books.ok))

    def line(self):
        text = (f"RELIABILITY scenario={self.name} sent={self.sent} expected={self.expected} "
                f"created={self.created} lost={self.lost} duplicates={self.duplicates} "
                f"result={'pass' if self.passed else 'FAIL'} seconds={self.seconds:.0f}")
        if self.books is not None:
            text += f" books=\"{self.books.summary()}\""
        return text + (f" note=\"{self.note}\"" if self.note else "")


def specs(count, rng):
    return [[{"sku": sku, "quantity": rng.randint(1, 3)} for sku in rng.sample(SKUS, 3)]
            for _index in range(count)]


def settle(stack, label, timeout=TIMEOUT):
    started = time.time()
    idle = sc.wait_idle(stack, timeout=timeout)
    events, jobs = sc.busy_counts(stack)
    log(f"  {label}: {'idle' if idle else 'NOT idle'} after {time.time() - started:.0f}s "
        f"(events pending {events}, jobs pending {jobs})")
    return idle


def outcome(stack, name, ids, sent, note="", ok=True):
    """The scenario's Result: sale orders per Shopify order (lost, duplicates), failed and
    stuck events, and the books of its Shopify orders (see ``books``)."""
    created, lost, duplicates = sc.lost_and_duplicates(stack, ids)
    failed = odoo_env.psql(
        "SELECT count(*), string_agg(DISTINCT left(error_message, 120), ' | ') FROM retail_event "
        f"WHERE state = 'failed' AND external_id IN ({','.join(repr(str(i)) for i in ids)})",
        database=stack.database,
    )[0] if ids else (0, None)
    if failed[0]:
        note = (note + "; " if note else "") + f"{failed[0]} failed events: {failed[1]}"
    stuck = sc.stuck_events(stack)
    if stuck:
        ok = False
        note = (note + "; " if note else "") + (
            f"{len(stuck)} events stuck (their job is over): "
            + " | ".join(f"event {row[0]} {row[1]} job {row[3]}: {row[4].strip()[-100:]}"
                         for row in stuck[:2]))
        # settle them for the next scenarios: they would otherwise stay queued
        odoo_env.psql("UPDATE retail_event SET state = 'ignored' WHERE id IN "
                      f"({','.join(str(row[0]) for row in stuck)})", database=stack.database)
    checked = ledger.check(stack, ids) if ids else None
    if checked is not None:
        log(f"  books: {checked.summary()}")
        # the sale orders per reference are counted by both; the other kinds only by the books
        duplicates += checked.duplicated - checked.duplicates.get("sale orders", 0)
    return Result(name, sent, len(ids), created, lost, duplicates, ok=ok, note=note,
                  books=checked)


def send_all(stack, deliveries, threads=8):
    """POST (body, topic, webhook id) deliveries with a bounded pool; returns status counts."""
    statuses = {}
    lock = threading.Lock()

    def one(delivery):
        body, topic, webhook_id = delivery
        for attempt in range(5):  # as Shopify: a failed delivery is sent again
            try:
                status, _text, _elapsed = sc.send_order(stack, body, topic, webhook_id)
            except OSError:
                status = "error"
            if status == 200:
                break
            time.sleep(0.5 * (attempt + 1))
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, deliveries))
    return statuses


# -- 1. every order delivered three times, shuffled ------------------------------------------
def duplicates(stack):
    rng = random.Random(1)
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, specs(ORDERS, rng))
    finally:
        stack.resume_webhooks(saved)
    deliveries = []
    for order_id in ids:
        body = sc.order_body(stack, order_id)
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        # a retry of the same delivery (same webhook id) and orders/updated with its own id
        deliveries += [(body, "orders/create", first), (body, "orders/create", first),
                       (body, "orders/updated", second)]
    rng.shuffle(deliveries)
    log(f"  {len(ids)} orders, {len(deliveries)} deliveries in shuffled order...")
    statuses = send_all(stack, deliveries)
    log(f"  HTTP answers: {statuses}")
    idle = settle(stack, "import")
    return outcome(stack, "duplicates", ids, len(deliveries), ok=idle)


# -- 2. the same order received by two workers at once ----------------------------------------
def concurrent(stack):
    rng = random.Random(2)
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, specs(CONCURRENT, rng))
    finally:
        stack.resume_webhooks(saved)
    sent = 0
    statuses = {}
    for order_id in ids:
        body = sc.order_body(stack, order_id)
        same = str(uuid.uuid4())
        copies = [(body, "orders/create", same), (body, "orders/create", same),
                  (body, "orders/create", str(uuid.uuid4())),
                  (body, "orders/paid", str(uuid.uuid4()))]
        barrier = threading.Barrier(len(copies))

        def one(delivery, barrier=barrier):
            barrier.wait()
            status, _text, _elapsed = sc.send_order(stack, *delivery)
            return status

        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            for status in pool.map(one, copies):
                statuses[status] = statuses.get(status, 0) + 1
        sent += len(copies)
    log(f"  {len(ids)} orders, 4 simultaneous deliveries each (2 with the same webhook id); "
        f"HTTP answers: {statuses}")
    idle = settle(stack, "import")
    return outcome(stack, "concurrent", ids, sent, ok=idle and set(statuses) == {200})


# -- 3. 5xx, 429 and throttling during a catch-up poll ----------------------------------------
def faults(stack):
    rng = random.Random(3)
    control = stack.shopify.control
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, specs(CATCHUP, rng))
        control.add_fault("http_error", ratio=0.10, status=503)
        control.add_fault("rate_limit", ratio=0.05, retry_after=1.0)
        control.add_fault("throttled", count=5)
        control.throttle(currently_available=0, restore_rate=50)
        log(f"  {len(ids)} orders placed with webhooks off; faults: 10% 503, 5% 429, "
            "5 THROTTLED, bucket emptied (restores at 50/s); catch-up poll triggered as the "
            "cron would, whenever no catch-up job is pending or running...")
        storm = poll_catch_up(stack, ids, FAULT_SECONDS)
        counters = control.counters()
    finally:
        control.clear_faults()
        control.throttle(restore_rate=100)
        stack.resume_webhooks(saved)
    recovered = dict(storm, triggers=0)  # nothing left to recover
    if storm["lost"]:
        log(f"  faults cleared after {FAULT_SECONDS:g}s: catch-up goes on without faults...")
        recovered = poll_catch_up(stack, ids, TIMEOUT)
    settle(stack, "import", timeout=120)
    operations = counters.get("operations", {})
    listed = operations.get("OrdersUpdatedIds", {})
    read = operations.get("OrdersByIds", {})
    note = (f"during the faults: {storm['polled']}/{len(ids)} read into the inbox, "
            f"{storm['created']}/{len(ids)} imported by "
            f"{storm['triggers']} catch-up runs in {storm['seconds']:.0f}s; after them: "
            f"{recovered['created']}/{len(ids)} by {recovered['triggers']} more runs; "
            f"OrdersUpdatedIds calls {listed.get('calls')} {listed.get('outcomes')}, "
            f"OrdersByIds calls {read.get('calls')} {read.get('outcomes')}")
    # What the faults attack is the poll: it must read every order while they last. How
    # soon the imports follow is the machine's load (the bench measures it), so the import
    # of all of them is checked after the faults, as lost and duplicates.
    return outcome(stack, "faults", ids, len(ids), note=note,
                   ok=storm["polled"] == len(ids))


def poll_catch_up(stack, ids, seconds):
    """Run the catch-up as its cron would (whenever none is pending or running) until every
    order is imported or ``seconds`` have passed."""
    cron = stack.rpc.ref("retail_connector.ir_cron_retail_catch_up")
    started = time.time()
    triggers = created = 0
    lost = len(ids)
    while time.time() - started < seconds:
        running = odoo_env.psql(
            "SELECT count(*) FROM queue_job WHERE name LIKE '%catch-up%' AND state IN "
            "('pending', 'enqueued', 'started')", database=stack.database)[0][0]
        if not running:
            stack.rpc.button("ir.cron", "method_direct_trigger", cron)
            triggers += 1
        time.sleep(5)
        created, lost, _dups = sc.lost_and_duplicates(stack, ids)
        if lost == 0:
            break
    polled = polled_orders(stack, ids)
    log(f"  catch-up triggered {triggers}x in {time.time() - started:.0f}s: "
        f"{polled}/{len(ids)} read into the inbox, {created}/{len(ids)} imported")
    return {"created": created, "lost": lost, "triggers": triggers, "polled": polled,
            "seconds": time.time() - started}


def polled_orders(stack, ids):
    """How many of the orders ``ids`` the catch-up poll has stored in the inbox."""
    wanted = ", ".join(f"'{int(order_id)}'" for order_id in ids)
    return odoo_env.psql(
        "SELECT count(DISTINCT external_id) FROM retail_event "
        f"WHERE topic = 'orders/updated' AND external_id IN ({wanted})",
        database=stack.database)[0][0]


# -- 4. bad inputs through the HTTP controller ------------------------------------------------
def bad_inputs(stack):
    rng = random.Random(4)
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, specs(8, rng))
    finally:
        stack.resume_webhooks(saved)
    payloads = [json.loads(sc.order_body(stack, order_id)) for order_id in ids]
    checks = []

    def expect_http(label, body, status, **kwargs):
        key = str(uuid.uuid4())
        got, text, _elapsed = sc.send_order(stack, body, "orders/create", key, **kwargs)
        stored = event_by_key(stack, key)
        ok = got == status and stored is None
        checks.append((label, ok, f"HTTP {got} {text[:40]!r}, event stored: {bool(stored)}"))

    def expect_failed(label, payload, needle, mapping=None, raw=None):
        key = str(uuid.uuid4())
        body = raw if raw is not None else json.dumps(payload).encode()
        got, _text, _elapsed = sc.send_order(stack, body, "orders/create", key)
        event = wait_event(stack, key)
        external = str(payload.get("id")) if payload else None
        partial = partial_records(stack, external, payload)
        message = (event or {}).get("error_message") or ""
        ok = (got == 200 and event is not None and event["state"] == "failed"
              and needle.lower() in message.lower() and not partial)
        detail = f"HTTP {got}, event {event and event['state']}: {message[:90]!r}"
        if mapping:
            draft = odoo_env.psql(
                "SELECT count(*) FROM retail_value_mapping WHERE backend_id = "
                f"{int(stack.shopify_backend)} AND kind = 'tax' AND external_value ILIKE "
                f"'%{mapping}%'", database=stack.database)[0][0]
            ok = ok and draft > 0
            detail += f", draft mapping: {draft}"
        if partial:
            detail += f", PARTIAL: {partial}"
        checks.append((label, ok, detail))

    good = json.dumps(payloads[0]).encode()
    expect_http("bad signature", good, 401, secret="not-the-secret")
    expect_http("wrong shop", good, 403, shop="someone-else.myshopify.com")
    limit = stack.rpc.call("retail.backend", "read", [stack.shopify_backend],
                           ["max_body_bytes"])[0]["max_body_bytes"]
    oversized = dict(payloads[0], note="x" * (limit + 1024))
    expect_http("oversized body", json.dumps(oversized).encode(), 413)
    expect_failed("malformed JSON", None, "JSON", raw=b'{"id": 1, "line_items": [')

    unknown_sku = payloads[1]
    unknown_sku["line_items"][0].update(sku="NO-SUCH-SKU-42", variant_id=1, product_id=1)
    expect_failed("unknown SKU", unknown_sku, "NO-SUCH-SKU-42")

    unmapped_tax = payloads[2]
    for line in unmapped_tax["line_items"] + unmapped_tax["shipping_lines"]:
        for tax in line.get("tax_lines", []):
            tax["title"] = "GST"
    for tax in unmapped_tax.get("tax_lines", []):
        tax["title"] = "GST"
    expect_failed("unmapped tax", unmapped_tax, "GST", mapping="GST")

    negative = payloads[3]
    negative["line_items"][0]["quantity"] = -1
    negative["line_items"][0]["current_quantity"] = -1
    expect_failed("negative quantity", negative, "quantit")

    currency = payloads[4]
    currency["currency"] = currency["presentment_currency"] = "XYZ"
    expect_failed("unknown currency", currency, "XYZ")

    checks.extend(more_bad_inputs.shopify(stack, payloads[5], wait_event, payloads[6:8]))
    checks.extend(more_bad_inputs.generic(stack, wait_event))
    return checks_result("bad_inputs", checks)


def bad_inputs_salesforce(stack):
    """Hostile Outbound Messages (on the stack with the Salesforce backend)."""
    return checks_result("bad_inputs_salesforce", more_bad_inputs.salesforce(stack))


def checks_result(name, checks):
    passed = sum(1 for _label, ok, _detail in checks if ok)
    for label, ok, detail in checks:
        log(f"  {'ok  ' if ok else 'FAIL'} {label}: {detail}")
    partial = sum(1 for _label, _ok, detail in checks if "PARTIAL" in detail)
    return Result(name, len(checks), len(checks), passed, len(checks) - passed, partial,
                  ok=passed == len(checks),
                  note="created = inputs with their clear outcome; duplicates = partial records")


def event_by_key(stack, key):
    rows = stack.rpc.call("retail.event", "search_read", [("idempotency_key", "=", key)],
                          fields=["state", "error_message", "mapping_id"])
    return rows[0] if rows else None


def wait_event(stack, key, timeout=90):
    deadline = time.time() + timeout
    event = None
    while time.time() < deadline:
        event = event_by_key(stack, key)
        if event and event["state"] in ("failed", "done", "ignored"):
            return event
        time.sleep(1)
    return event


def partial_records(stack, external, payload):
    """What a refused order left behind: sale orders bound to it, its new customer."""
    found = []
    if external and external != "None":
        orders = odoo_env.psql(
            f"SELECT count(*) FROM retail_order_binding WHERE external_id = '{external}'",
            database=stack.database)[0][0]
        if orders:
            found.append(f"{orders} sale order(s)")
    email = (payload or {}).get("email")
    if email:
        partners = odoo_env.psql(
            f"SELECT count(*) FROM res_partner WHERE email = '{email}'",
            database=stack.database)[0][0]
        if partners:
            found.append(f"{partners} partner(s) {email}")
    return ", ".join(found)


# -- 5. Odoo killed in the middle of a batch --------------------------------------------------
def kill(stack):
    rng = random.Random(5)
    before = odoo_env.psql("SELECT coalesce(max(id), 0) FROM retail_event",
                           database=stack.database)[0][0]
    ids = sc.place_orders(stack, specs(KILL, rng))  # the sandbox sends the webhooks
    deadline = time.time() + 120
    while time.time() < deadline:
        done = odoo_env.psql(
            f"SELECT count(*) FROM retail_event WHERE id > {before} AND state = 'done'",
            database=stack.database)[0][0]
        if done >= max(1, KILL // 5):
            break
        time.sleep(0.2)
    states = dict(odoo_env.psql("SELECT state, count(*) FROM queue_job GROUP BY state",
                                database=stack.database))
    log(f"  {len(ids)} orders placed; {done} events done; SIGKILL of the Odoo process group "
        f"(jobs: {states})")
    stack.odoo.kill()
    time.sleep(2)
    stack.restart_odoo()
    log("  Odoo restarted; the sandbox retries its failed deliveries, the runner requeues "
        "dead jobs")
    answered = wait_deliveries(stack)
    idle = settle(stack, "import") and answered
    requeued = sum(1 for line in open(stack.odoo.logfile, errors="replace")
                   if "Re-queued dead job" in line)
    return outcome(stack, "kill", ids, len(ids), ok=idle,
                   note=f"jobs re-queued after the kill: {requeued} (log at warning level)")


def wait_deliveries(stack, timeout=TIMEOUT):
    """Wait until the Shopify sandbox has no delivery left to (re)try; True if so. Odoo being
    idle says nothing about deliveries the sandbox will retry later."""
    webhooks = stack.shopify.webhooks
    deadline = time.time() + timeout
    while time.time() < deadline:
        with webhooks.cond:
            waiting = sum(1 for d in webhooks.deliveries if d["state"] in ("pending", "retrying"))
        if not waiting:
            return True
        time.sleep(1)
    log(f"  {waiting} webhook deliveries still waiting for a retry after {timeout:g}s")
    return False


def circuit_openings(stack, backend=None):
    """"Circuit opened" messages posted on the backends (on ``backend`` only when given)."""
    only = f" AND res_id = {int(backend)}" if backend else ""
    return odoo_env.psql(
        "SELECT count(*) FROM mail_message WHERE model = 'retail.backend' "
        f"AND body ILIKE '%circuit%opened%'{only}", database=stack.database)[0][0]


# -- 6. Salesforce down for minutes while Shopify orders flow --------------------------------
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


# -- 7. webhook secret rotation while orders flow ---------------------------------------------
def secret_rotation(stack):
    """A webhook secret rotation during traffic, in the order that loses nothing:

    ``RC_REL_ROTATION_ORDERS`` (40) paid orders are placed one every ``RC_REL_ROTATION_PACE``
    (0.5) seconds and the sandbox delivers their webhooks. After a quarter of them, Odoo gets
    the new secret as current and keeps the old one as previous; after half, the sandbox (the
    Shopify app) signs with the new secret; once every delivery made before that switch is
    answered, Odoo drops the previous secret; the other orders keep flowing meanwhile.

    Pass: every order imported once, every delivery eventually accepted, and after the
    rotation a body signed with the old secret is refused (401, nothing stored). The note
    counts the 401 answers the sandbox got (retried deliveries that ended accepted are fine).
    """
    rng = random.Random(7)
    shopify, rpc, backend = stack.shopify, stack.rpc, stack.shopify_backend
    webhooks = shopify.webhooks
    old = shopify.client_secret
    new = f"rotated-{uuid.uuid4().hex}"
    with webhooks.cond:
        first_delivery = len(webhooks.deliveries)
    ids, steps, switched_at = [], {}, None
    try:
        started = time.time()
        next_order = started
        while len(ids) < ROTATION_ORDERS or "dropped" not in steps:
            now = time.time()
            if len(ids) < ROTATION_ORDERS and now >= next_order:
                ids += sc.place_orders(stack, specs(1, rng))
                next_order += ROTATION_PACE
            if "odoo_new" not in steps and len(ids) >= ROTATION_ORDERS // 4:
                rpc.call("retail.backend", "write", [backend],
                         {"webhook_secret": new, "webhook_secret_previous": old})
                steps["odoo_new"] = len(ids)
            elif "sandbox_new" not in steps and "odoo_new" in steps and (
                    len(ids) >= ROTATION_ORDERS // 2):
                with webhooks.cond:
                    switched_at = len(webhooks.deliveries)
                shopify.control.rotate_secret(new)
                steps["sandbox_new"] = len(ids)
            elif "dropped" not in steps and "sandbox_new" in steps:
                with webhooks.cond:
                    before = webhooks.deliveries[first_delivery:switched_at]
                    drained = all(d["state"] in ("delivered", "failed") for d in before)
                if drained:
                    rpc.call("retail.backend", "write", [backend],
                             {"webhook_secret_previous": False})
                    steps["dropped"] = len(ids)
            if time.time() - started > TIMEOUT:
                break
            time.sleep(0.05)
        log(f"  {len(ids)} orders placed in {time.time() - started:.0f}s; Odoo took the new "
            f"secret after order {steps.get('odoo_new')}, the sandbox signed with it after "
            f"{steps.get('sandbox_new')}, Odoo dropped the old one after {steps.get('dropped')}")
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:  # the sandbox retries on its own schedule
            with webhooks.cond:
                pending = [d for d in webhooks.deliveries[first_delivery:]
                           if d["state"] not in ("delivered", "failed")]
            if not pending:
                break
            time.sleep(1)
        body = sc.order_body(stack, ids[0])
        key = str(uuid.uuid4())
        status_old, _text, _elapsed = sc.send_order(stack, body, "orders/updated", key,
                                                    secret=old)
        old_refused = status_old == 401 and event_by_key(stack, key) is None
    finally:
        current = shopify.client_secret
        rpc.call("retail.backend", "write", [backend],
                 {"webhook_secret": current, "webhook_secret_previous": False})
    idle = settle(stack, "import")
    with webhooks.cond:
        mine = [dict(d, attempts=list(d["attempts"]))
                for d in webhooks.deliveries[first_delivery:]]
    refusals = sum(1 for d in mine for a in d["attempts"] if a["status"] == 401)
    retried = sum(1 for d in mine if any(a["status"] == 401 for a in d["attempts"])
                  and d["state"] == "delivered")
    undelivered = sum(1 for d in mine if d["state"] != "delivered")
    other = sum(1 for d in mine for a in d["attempts"] if a["status"] not in (200, 401))
    note = (f"{len(mine)} deliveries, {refusals} answered 401 ({retried} of them accepted on "
            f"a retry), {other} other failed attempts, {undelivered} never accepted; "
            f"old secret after the rotation: HTTP {status_old}")
    checks = {"all steps done": len(steps) == 3, "all deliveries accepted": undelivered == 0,
              "old secret refused": old_refused, "idle": idle}
    failed_checks = [label for label, ok in checks.items() if not ok]
    if failed_checks:
        note += "; FAILED: " + ", ".join(failed_checks)
    return outcome(stack, "secret_rotation", ids, len(mine), note=note, ok=not failed_checks)


SCENARIOS = {
    "duplicates": duplicates,
    "concurrent": concurrent,
    "faults": faults,
    "bad_inputs": bad_inputs,
    "bad_inputs_salesforce": bad_inputs_salesforce,
    "kill": kill,
    "salesforce_down": salesforce_down,
    "secret_rotation": secret_rotation,
    "outage": outage_scenario.outage,
}
