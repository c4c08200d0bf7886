"""The exactness part of the peer race (see ``peer.py``): generated orders delivered to both
connectors, counted from each database's books against what Shopify recorded.

RC_BENCH_PEER_EXACT (200) orders are drawn by the sandbox's order generator
(``tests/sandbox/shopify/order_generator.py``, the one our money properties use) with a fixed
seed (RC_BENCH_PEER_SEED, 15): catalogue lines, custom items, gift cards, tips, line, order
and shipping discounts, 0–3 taxes, shipping, gift card + card payments. A shop either
includes taxes in its prices or not, so the orders go in two batches, prices excluding taxes
first, then including, and before each batch both connectors get a tax of the right kind for
every (title, rate) the batch carries, as an accountant maps them (ours: one tax per title and
rate; the peer: one per rate, country and kind). Each order's ``orders/create`` webhook
reaches both. Once both have settled, an order is exact in a database when its sale order's
total and its one posted invoice's total equal Shopify's ``total_price`` to the cent, and the
payments matched to that invoice add up to the successful sale and capture transactions
Shopify holds for it. Every other order is counted as left failed.
"""

import os
import time
from decimal import Decimal

from tests.e2e import shopify_client as sc
from tests.e2e.harness import log

EXACT_ORDERS = int(os.environ.get("RC_BENCH_PEER_EXACT", "200"))
SEED = int(os.environ.get("RC_BENCH_PEER_SEED", "15"))
SHIPPING_CODES = ("STA", "EXP")  # the generator's shipping lines: title[:3].upper()
GATEWAYS = ("shopify_payments", "gift_card")


def d(value):
    return Decimal(str(value or "0"))


def draw_orders(count, seed):
    """``count`` keyword arguments of ``place_order``, the same for the same seed."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    from tests.sandbox.shopify.order_generator import place_order_kwargs

    drawn = []

    @hypothesis_seed(seed)
    @settings(max_examples=count, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(place_order_kwargs())
    def collect(kwargs):
        if len(drawn) < count:
            drawn.append(kwargs)

    collect()
    return drawn


def peer_exactness(stack, peer, figures, count=None):
    from tests.bench import peer as race

    count = count or EXACT_ORDERS
    orders = draw_orders(count, SEED)
    log(f"\n-- peer exactness: {len(orders)} generated orders (seed {SEED}) to both, counted "
        "from each database's books --")
    _configure_ours(stack)
    _configure_peer(peer)
    sc.wait_idle(stack, timeout=180)
    peer_job = peer.max_job_id()
    placed = []
    for included in (False, True):
        batch = [kwargs for kwargs in orders if bool(kwargs.get("taxes_included")) == included]
        _map_taxes_ours(stack, batch, included)
        _map_taxes_peer(peer, batch, included)
        ids = []
        for kwargs in batch:
            kwargs = dict(kwargs)
            try:
                order = stack.shopify.control.place_order(kwargs.pop("line_items"), **kwargs)
            except Exception as error:  # the generator's orders are all valid in the sandbox
                log(f"  could not place a generated order: {error}")
                continue
            ids.append(order["id"])
        wanted = [str(i) for i in ids]
        _wait_both(stack, peer, wanted, peer_job, race.PEER_TIMEOUT)
        placed += ids
        log(f"  batch with taxes {'included' if included else 'excluded'}: {len(ids)} orders")
    truth = {str(i): _shopify_truth(stack, i) for i in placed}
    ours = _exact(stack.rpc, _our_sales(stack, truth), truth)
    oca = _exact(peer.rpc, _peer_sales(peer, truth), truth)
    log(f"  ours: {ours['exact']} exact, {ours['booked']} booked, reasons "
        f"{ours['reasons'][:3]}; peer: {oca['exact']} exact, {oca['booked']} booked, reasons "
        f"{oca['reasons'][:3]}")
    # the order import's failures first (its other jobs, crons, fail on their own queries)
    errors = sorted(peer.job_errors(peer_job, limit=10), key=lambda e: "'Order'" not in e)
    note = f"of {len(placed)} generated orders (seed {SEED})"
    figures.add("exact_orders", ours["exact"], oca["exact"], "orders",
                note + ("" if oca["exact"] else
                        f"; peer: {'; '.join(errors)[:160] or 'no order booked'}"))
    figures.add("exact_failed", len(placed) - ours["exact"], len(placed) - oca["exact"],
                "orders", "not booked exactly once both settled" + (
                    f"; ours: {'; '.join(ours['reasons'][:2])[:160]}" if ours["reasons"] else ""))


# -- configuration, as an accountant --------------------------------------------------------
def _configure_ours(stack):
    rpc, backend = stack.rpc, stack.shopify_backend
    rpc.call("res.company", "write", [rpc.ref("base.main_company")],
             {"tax_calculation_rounding_method": "round_per_line"})
    shipping = rpc.call("product.product", "search", [("name", "=", "Shipping (Shopify)")],
                        limit=1)[0]
    bank = rpc.call("account.journal", "search", [("type", "=", "bank")], limit=1)[0]
    wanted = [("shipping", code, {"product_id": shipping}) for code in SHIPPING_CODES] + [
        ("gateway", gateway, {"journal_id": bank, "payment_workflow": "invoice_pay"})
        for gateway in GATEWAYS]
    for kind, value, target in wanted:
        if not rpc.call("retail.value.mapping", "search", [
                ("backend_id", "=", backend), ("kind", "=", kind),
                ("external_value", "=", value)]):
            rpc.call("retail.value.mapping", "create", {
                "backend_id": backend, "kind": kind, "external_value": value, **target})


def _configure_peer(peer):
    rpc = peer.rpc
    rpc.call("res.company", "write", [rpc.ref("base.main_company")],
             {"tax_calculation_rounding_method": "round_per_line"})
    bank = rpc.call("account.journal", "search", [("type", "=", "bank")], limit=1)[0]
    for gateway in GATEWAYS:
        if not rpc.call("shopify.gateway.journal", "search", [
                ("instance_id", "=", peer.instance), ("gateway", "=", gateway)]):
            rpc.call("shopify.gateway.journal", "create",
                     {"instance_id": peer.instance, "gateway": gateway, "journal_id": bank})


def _tax_lines(batch):
    seen = {}
    for kwargs in batch:
        for tax in kwargs.get("tax_lines") or []:
            seen[(tax["title"], str(d(tax["rate"]).normalize()))] = tax
    return seen


def _new_tax(rpc, name, rate, included):
    return rpc.call("account.tax", "create", {
        "name": name, "amount": float(d(rate) * 100), "type_tax_use": "sale",
        "price_include_override": "tax_included" if included else "tax_excluded"})


def _map_taxes_ours(stack, batch, included):
    rpc, backend = stack.rpc, stack.shopify_backend
    kind = "incl" if included else "excl"
    for (title, rate), _tax in _tax_lines(batch).items():
        key = f"{title} {float(d(rate) * 100):g}%"  # the connector's mapping key
        tax = _new_tax(rpc, f"{key} ({kind}, bench)", rate, included)
        found = rpc.call("retail.value.mapping", "search", [
            ("backend_id", "=", backend), ("kind", "=", "tax"), ("external_value", "=", key)])
        if found:
            rpc.call("retail.value.mapping", "write", found, {"tax_id": tax})
        else:
            rpc.call("retail.value.mapping", "create", {
                "backend_id": backend, "kind": "tax", "external_value": key, "tax_id": tax})


def _map_taxes_peer(peer, batch, included):
    rpc = peer.rpc
    country = rpc.ref("base.fr")
    kind = "incl" if included else "excl"
    for rate in sorted({rate for _title, rate in _tax_lines(batch)}):
        if rpc.call("shopify.tax.mapping", "search", [
                ("instance_id", "=", peer.instance), ("rate", "=", rate),
                ("country_id", "=", country), ("price_included", "=", included)]):
            continue
        tax = _new_tax(rpc, f"Shopify {rate} ({kind}, bench)", rate, included)
        rpc.call("shopify.tax.mapping", "create", {
            "instance_id": peer.instance, "rate": rate, "country_id": country,
            "price_included": included, "tax_id": tax})


# -- waiting and counting -------------------------------------------------------------------
def _wait_both(stack, peer, wanted, peer_job, timeout):
    from tests.bench import peer as race

    begin = time.time()
    sc.wait_idle(stack, timeout=timeout)
    while time.time() - begin < timeout and not race._peer_settled(peer, wanted, peer_job):
        time.sleep(1)


def _shopify_truth(stack, order_id):
    store = stack.shopify.store
    with store.lock:
        order = store.orders[order_id]
        paid = sum((d(t["amount"]) for t in order["transactions"]
                    if t["kind"] in ("SALE", "CAPTURE") and t["status"] == "SUCCESS"),
                   Decimal(0))
        return {"total": d(order["total_price"]), "paid": paid}


def _our_sales(stack, truth):
    rows = stack.rpc.call("retail.order.binding", "search_read", [
        ("backend_id", "=", stack.shopify_backend), ("external_id", "in", list(truth))],
        ["external_id", "odoo_id"])
    return {row["external_id"]: row["odoo_id"][0] for row in rows if row["odoo_id"]}


def _peer_sales(peer, truth):
    keys = list(truth) + [f"gid://shopify/Order/{i}" for i in truth]
    rows = peer.rpc.call("shopify.order", "search_read", [
        ("instance_id", "=", peer.instance), ("shopify_id", "in", keys)],
        ["shopify_id", "odoo_id"])
    return {row["shopify_id"].rsplit("/", 1)[-1]: row["odoo_id"][0] for row in rows
            if row["odoo_id"]}


def _exact(rpc, sales, truth):
    """{"exact": n, "booked": n, "reasons": [first reasons an order is not exact]}."""
    result = {"exact": 0, "booked": len(sales), "reasons": []}
    if not sales:
        return result
    orders = {row["id"]: row for row in rpc.call(
        "sale.order", "read", list(set(sales.values())), ["amount_total", "invoice_ids"])}
    invoice_ids = sorted({i for row in orders.values() for i in row["invoice_ids"]})
    invoices = {row["id"]: row for row in rpc.call(
        "account.move", "read", invoice_ids,
        ["move_type", "state", "amount_total", "matched_payment_ids"])} if invoice_ids else {}
    payment_ids = sorted({p for row in invoices.values() for p in row["matched_payment_ids"]})
    payments = {row["id"]: row for row in rpc.call(
        "account.payment", "read", payment_ids, ["amount"])} if payment_ids else {}
    for external, sale_id in sales.items():
        want, sale = truth[external], orders[sale_id]
        posted = [invoices[i] for i in sale["invoice_ids"]
                  if invoices[i]["move_type"] == "out_invoice" and invoices[i]["state"] ==
                  "posted"]
        paid = sum((d(round(payments[p]["amount"], 2)) for inv in posted
                    for p in inv["matched_payment_ids"]), Decimal(0))
        reason = None
        if d(round(sale["amount_total"], 2)) != want["total"]:
            reason = f"sale order {sale['amount_total']:.2f} != Shopify {want['total']}"
        elif len(posted) != 1:
            reason = f"{len(posted)} posted invoices"
        elif d(round(posted[0]["amount_total"], 2)) != want["total"]:
            reason = f"invoice {posted[0]['amount_total']:.2f} != Shopify {want['total']}"
        elif paid != want["paid"]:
            reason = f"payments {paid} != Shopify's transactions {want['paid']}"
        if reason is None:
            result["exact"] += 1
        elif len(result["reasons"]) < 5:
            result["reasons"].append(f"{external}: {reason}")
    missing = len(truth) - len(sales)
    if missing:
        result["reasons"].insert(0, f"{missing} orders not booked")
    return result
