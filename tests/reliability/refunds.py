"""`refunds`: paid orders, then partial refunds made in Shopify, all delivered by the Shopify
sandbox's webhooks (orders/create, orders/paid, refunds/create, orders/updated), so that the
books check holds credit notes and refund payments to Shopify's refund transactions.

``RC_REL_REFUNDS`` (10) orders are placed (three lines, shipping, VAT 20%) and imported; then
each gets the refund of its turn in ``PLANS``: one unit returned; a whole line cancelled with
the shipping; one unit kept with a restocking fee of 1.00 (the refund pays back less than
its lines, a refund discrepancy); two refunds one after the other (a unit, then part of the
shipping); a goodwill refund of 5.00 without lines.
"""

import os
import random

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log
from tests.reliability import scenarios as base
from tests.reliability.books import money

REFUND_ORDERS = int(os.environ.get("RC_REL_REFUNDS", "10"))
RESTOCKING_FEE = "1.00"


def _unit(line, restock_type):
    return {"sku": line["sku"], "quantity": 1, "restock_type": restock_type}


def one_unit_returned(control, order_id, lines):
    return [control.refund_order(order_id, [_unit(lines[0], "RETURN")])]


def line_and_shipping(control, order_id, lines):
    line = dict(_unit(lines[1], "CANCEL"), quantity=lines[1]["quantity"])
    return [control.refund_order(order_id, [line], shipping={"full_refund": True})]


def restocking_fee(control, order_id, lines):
    units = [_unit(lines[0], "NO_RESTOCK")]
    calculated = money(control.calculate_refund(order_id, units)["amount"])
    amount = calculated - money(RESTOCKING_FEE)
    return [control.refund_order(order_id, units, amount=str(amount),
                                 discrepancy_reason="RESTOCK")]


def two_refunds(control, order_id, lines):
    return [control.refund_order(order_id, [_unit(lines[2], "RETURN")]),
            control.refund_order(order_id, [], shipping={"amount": "2.00"})]


def goodwill(control, order_id, _lines):
    return [control.refund_order(order_id, [], amount="5.00", discrepancy_reason="CUSTOMER")]


PLANS = [one_unit_returned, line_and_shipping, restocking_fee, two_refunds, goodwill]


def refunds(stack):
    rng = random.Random(8)
    orders = base.specs(REFUND_ORDERS, rng)
    ids = sc.place_orders(stack, orders)  # the sandbox sends the webhooks
    answered = base.wait_deliveries(stack)
    idle = base.settle(stack, "orders imported") and answered
    control = stack.shopify.control
    made = {}
    for index, (order_id, lines) in enumerate(zip(ids, orders, strict=True)):
        plan = PLANS[index % len(PLANS)]
        made[plan.__name__] = made.get(plan.__name__, 0) + len(plan(control, order_id, lines))
    count = sum(made.values())
    log(f"  {count} refunds made in Shopify on {len(ids)} orders: {made}")
    answered = base.wait_deliveries(stack)
    idle = base.settle(stack, "refunds imported") and answered and idle
    note = f"{count} refunds: " + ", ".join(f"{kind} {n}" for kind, n in made.items())
    return base.outcome(stack, "refunds", ids, len(ids) + count, note=note, ok=idle)
