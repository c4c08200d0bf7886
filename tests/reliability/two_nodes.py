"""Scenario ``two_nodes``: two Odoo servers on one database, one of them killed mid-run.

As docs/admin-guide.md ("Running on several Odoo nodes") says: node A is the stack's Odoo
(HTTP workers, cron, and the only ``queue_job`` runner, which sends jobs to node A); node B
is a second server on the same database and ``data_dir`` with its own HTTP workers and cron, and
``base,web`` only as server-wide modules (no runner). ``RC_REL_TWO_NODES_ORDERS`` (60) paid
orders are placed with the sandbox's webhooks paused, then each is delivered twice
(orders/create, orders/paid, each with its own webhook id) by 8 senders through a
round-robin "load balancer" over both nodes, which sends a delivery to the next node when
one does not answer (as a load balancer's health check would; Shopify retries a failed
delivery). When a third of the deliveries are answered, node A (the runner's node) gets a
SIGKILL of its whole process group; node B alone answers for ``RC_REL_TWO_NODES_DOWN`` (10)
seconds while no job runs, then node A starts again, its runner re-queues the jobs that
were running and runs those that waited.

Pass: every delivery answered 200 (by one node or the other), every order imported exactly
once, nothing stuck, and the books exact (``books.py``, duplicates counted from the records).
"""

import os
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e import shopify_client as sc
from tests.e2e.harness import WEBHOOK_ROUTE, OdooServer, Rpc, log

ORDERS = int(os.environ.get("RC_REL_TWO_NODES_ORDERS", "60"))
DOWN_SECONDS = float(os.environ.get("RC_REL_TWO_NODES_DOWN", "10"))
# Node B's port: RC_REL_NODE_B_PORT, else 6 above node A's (node A's gevent port is +3).
NODE_B_OFFSET = 6


class Balancer:
    """Round robin over the nodes' webhook URLs; a node that does not answer is skipped."""

    def __init__(self, urls):
        self.urls = urls
        self.lock = threading.Lock()
        self.turn = 0
        self.answers = {url: {} for url in urls}

    def post(self, body, topic, webhook_id, secret, attempts=40):
        status = None
        for attempt in range(attempts):
            with self.lock:
                url = self.urls[self.turn % len(self.urls)]
                self.turn += 1
            headers = sc.webhook_headers(body, topic, webhook_id, secret=secret)
            try:
                status, _text, _seconds = sc.post(url, body, headers, timeout=60)
            except OSError:
                status = "down"
            with self.lock:
                counts = self.answers[url]
                counts[status] = counts.get(status, 0) + 1
            if status == 200:
                return status
            time.sleep(min(0.2 * (attempt + 1), 2))
        return status


def two_nodes(stack):
    from tests.reliability.scenarios import outcome, settle, specs

    rng = random.Random(10)
    settle(stack, "before two nodes (earlier scenarios)")
    node_a = stack.odoo
    port_b = int(os.environ.get("RC_REL_NODE_B_PORT", node_a.port + NODE_B_OFFSET))
    workdir_b = Path(f"{node_a.workdir}-node-b")
    workdir_b.mkdir(exist_ok=True)
    (node_a.workdir / "data").mkdir(exist_ok=True)
    if not (workdir_b / "data").exists():
        (workdir_b / "data").symlink_to(node_a.workdir / "data")  # one shared data_dir
    node_b = OdooServer(stack.database, port_b, workdir_b, workers=node_a.workers,
                        cron_threads=node_a.cron_threads, runner=False,
                        channels=node_a.channels, log_level=node_a.log_level)
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, specs(ORDERS, rng))
    finally:
        stack.resume_webhooks(saved)
    deliveries = []
    for order_id in ids:
        body = sc.order_body(stack, order_id)
        deliveries += [(body, "orders/create", str(uuid.uuid4())),
                       (body, "orders/paid", str(uuid.uuid4()))]
    route = f"{WEBHOOK_ROUTE}/{stack.shopify_backend}"
    statuses, answered = {}, [0]
    lock = threading.Lock()
    killed = threading.Event()
    try:
        node_b.start()
        log(f"  node A {node_a.url} (runner), node B {node_b.url} (no runner), one database; "
            f"{len(ids)} orders, {len(deliveries)} deliveries over both nodes...")
        balancer = Balancer([node_a.url + route, node_b.url + route])
        secret = stack.shopify.client_secret

        def send(delivery):
            status = balancer.post(*delivery, secret=secret)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                answered[0] += 1
                due = answered[0] >= len(deliveries) // 3 and not killed.is_set()
                if due:
                    killed.set()
            if due:
                kill_and_restart(stack, node_a, node_b)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(send, deliveries))
        log(f"  HTTP answers {statuses}; per node: "
            + "; ".join(f"{url.split('/retail')[0]} {counts}"
                        for url, counts in balancer.answers.items()))
        idle = settle(stack, "import")
    finally:
        node_b.stop()
    requeued = sum(1 for line in open(node_a.logfile, errors="replace")
                   if "Re-queued dead job" in line)
    node_b_errors = sum(1 for line in open(node_b.logfile, errors="replace")
                        if " ERROR " in line)
    note = (f"node A killed after {len(deliveries) // 3} answered deliveries, down "
            f"{DOWN_SECONDS:g}s; jobs re-queued by its runner after the restart: {requeued}; "
            f"answers per node: " + ", ".join(
                f"{'A' if index == 0 else 'B'} {counts}"
                for index, counts in enumerate(balancer.answers.values()))
            + f"; ERROR lines in node B's log: {node_b_errors}")
    return outcome(stack, "two_nodes", ids, len(deliveries), note=note,
                   ok=idle and set(statuses) == {200})


def kill_and_restart(stack, node_a, node_b):
    """SIGKILL of node A (the runner's node); node B answers alone meanwhile; then node A
    starts again with its runner."""
    log(f"  SIGKILL of node A's process group (node B {node_b.url} stays up)...")
    node_a.kill()
    time.sleep(DOWN_SECONDS)
    node_a.start()
    stack.rpc = Rpc(node_a.url, stack.database)
    log("  node A restarted with the runner")
