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
from tests.reliability import salesforce_down as sf_down_scenario
from tests.reliability import secret_rotation as rotation_scenario

ORDERS = int(os.environ.get("RC_REL_ORDERS", "200"))
CONCURRENT = int(os.environ.get("RC_REL_CONCURRENT", "20"))
CATCHUP = int(os.environ.get("RC_REL_CATCHUP", "50"))
KILL = int(os.environ.get("RC_REL_KILL", "40"))
TIMEOUT = float(os.environ.get("RC_REL_TIMEOUT", "600"))
FAULT_SECONDS = float(os.environ.get("RC_REL_FAULT_SECONDS", "120"))
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


SCENARIOS = {
    "duplicates": duplicates,
    "concurrent": concurrent,
    "faults": faults,
    "bad_inputs": bad_inputs,
    "bad_inputs_salesforce": bad_inputs_salesforce,
    "kill": kill,
    "salesforce_down": sf_down_scenario.salesforce_down,
    "secret_rotation": rotation_scenario.secret_rotation,
    "outage": outage_scenario.outage,
}
