"""Webhook intake in the peer race (see ``peer.py``): signed ``orders/create`` bodies POSTed
to each connector's webhook route at the same steady rate, one connector at a time, with the
queue runner off for both (events are stored, their jobs wait), so that both figures measure
the HTTP path alone. The bodies are the same sandbox orders; each is signed with the app
secret the connector was configured with; every request carries a new webhook id."""

import os

from tests.bench.load import paced, percentile
from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env

RATE = float(os.environ.get("RC_BENCH_PEER_RATE", os.environ.get("RC_BENCH_RATE", "100")))
SECONDS = float(os.environ.get("RC_BENCH_PEER_SECONDS",
                               os.environ.get("RC_BENCH_SECONDS", "30")))


def peer_intake(stack, peer, figures):
    from tests.bench.bench import catalogue_skus, order_specs

    log(f"\n-- peer intake: signed orders/create at {RATE:g} req/s for {SECONDS:g}s to each, "
        "runner off --")
    saved = stack.pause_webhooks()
    try:
        ids = sc.place_orders(stack, order_specs(20, catalogue_skus(), seed=31))
    finally:
        stack.resume_webhooks(saved)
    bodies = [sc.order_body(stack, order_id) for order_id in ids]
    sides = {
        "ours": (stack.odoo, stack.webhook_url, stack.shopify.client_secret, stack.database),
        "oca": (peer.odoo, f"{peer.odoo.url}/shopify/webhook/{peer.instance}", peer.secret,
                peer.database),
    }
    results = {}
    for side, (server, url, secret, database) in sides.items():
        last_job = odoo_env.psql("SELECT coalesce(max(id), 0) FROM queue_job",
                                 database=database)[0][0]
        last_event = odoo_env.psql("SELECT coalesce(max(id), 0) FROM retail_event",
                                   database=database)[0][0] if side == "ours" else 0
        server.stop()
        server.start(runner=False)
        try:
            def webhook(index, url=url, secret=secret, side=side):
                body = bodies[index % len(bodies)]
                headers = sc.webhook_headers(body, "orders/create",
                                             f"race-{side}-{index}", secret=secret)
                status, _text, elapsed = sc.post(url, body, headers)
                return status, elapsed

            paced(webhook, 20, 0.5)  # warm-up (worker caches, registry), not measured
            results[side] = paced(lambda i, w=webhook: w(i + 1000), RATE, SECONDS)
        finally:
            # the backlog of stored webhooks would only compete with the next phases
            odoo_env.psql(f"DELETE FROM queue_job WHERE id > {int(last_job)} AND state IN "
                          "('pending', 'enqueued')", database=database)
            _discard_events(side, database, last_event)
            server.stop()
            server.start(runner=True)
        result = results[side]
        log(f"  {side}: sent {result['sent']}, 2xx {result['ok']}, statuses "
            f"{result['statuses']}, late sends {result['late']}, wall {result['wall']:.1f}s")
    ours, oca = results["ours"], results["oca"]
    for name, fraction in (("intake_p50", 0.5), ("intake_p99", 0.99)):
        figures.add(name, _ms(percentile(ours["latencies"], fraction)),
                    _ms(percentile(oca["latencies"], fraction)), "ms",
                    f"{RATE:g} req/s offered for {SECONDS:g}s")
    figures.add("intake_throughput", ours["throughput"], oca["throughput"], "req/s")
    figures.add("intake_errors", ours["errors"], oca["errors"], "requests", "non-2xx answers")


def _ms(seconds):
    return seconds * 1000 if seconds is not None else None


def _discard_events(side, database, last_event):
    if side == "ours":
        odoo_env.psql(f"UPDATE retail_event SET state = 'ignored' WHERE id > {int(last_event)} "
                      "AND state IN ('received', 'queued')", database=database)
    else:
        odoo_env.psql("DELETE FROM shopify_webhook_event WHERE webhook_id LIKE 'race-oca-%'",
                      database=database)
