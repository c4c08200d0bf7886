"""Reliability scenario ``secret_rotation``: a webhook secret rotated while orders flow."""

import os
import random
import time
import uuid

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log

ROTATION_ORDERS = int(os.environ.get("RC_REL_ROTATION_ORDERS", "40"))
ROTATION_PACE = float(os.environ.get("RC_REL_ROTATION_PACE", "0.5"))


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
    from tests.reliability.scenarios import TIMEOUT, event_by_key, outcome, settle, specs

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
