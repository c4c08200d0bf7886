"""Bench phase ``picking``: a warehouse user validates deliveries while a stock export of the
same products waits on a slow Shopify.

The floor is the same validation with no export running (the queue waited idle after each
one). Then every stock mutation of the sandbox is slowed (its fault control's ``latency``),
the quantities of all bench products are changed so that an export claims them and waits in
its call, and the deliveries are validated meanwhile. Each figure is the time of the
``button_validate`` call over XML-RPC (the transaction has committed when Odoo answers); a
validation that waited on the export's row locks would show here, or as a serialization
conflict in the Odoo logs (counted by the run's diagnostics).
"""

import os
import time

from tests.bench.load import percentile
from tests.e2e import shopify_client as sc
from tests.e2e.harness import log, odoo_env

PICKINGS = int(os.environ.get("RC_BENCH_PICKINGS", "15"))
PICK_VARIANTS = int(os.environ.get("RC_BENCH_PICK_VARIANTS", "200"))
SLOW_CALL = float(os.environ.get("RC_BENCH_PICK_SLOW_CALL", "4"))
PREFIX = "BENCHPICK-"
# a binding waiting for export: marked on its row, or by a stock change not taken yet
DIRTY = ("(b.export_pending OR EXISTS (SELECT 1 FROM retail_export_mark m "
         "WHERE m.binding_model = 'retail.product.binding' AND m.binding_id = b.id))")


def started_exports(stack):
    return odoo_env.psql(
        "SELECT count(*) FROM queue_job WHERE state = 'started' AND name LIKE '%export stock%'",
        database=stack.database)[0][0]


def bench_picking(stack, figures, bind_seeded_variants, odoo_script):
    log(f"\n== picking validation during a stock export: {PICKINGS} deliveries, "
        f"{PICK_VARIANTS} variants, Shopify's stock mutation slowed by {SLOW_CALL:g}s ==")
    rpc, control = stack.rpc, stack.shopify.control
    locations = list(stack.shopify.store.locations)
    control.seed({"products": [{"title": "Bench picking", "variants": [
        {"sku": f"{PREFIX}{v:04d}", "price": "10.00", "options": {"Title": f"K{v}"},
         "stock": dict.fromkeys(locations, 5)} for v in range(start, min(start + 100,
                                                                          PICK_VARIANTS))]}
        for start in range(0, PICK_VARIANTS, 100)]})
    bind_seeded_variants(stack, PREFIX.rstrip("-"))
    odoo_script(stack, "stock_setup.py", "change", 500, PREFIX)
    sc.wait_idle(stack, timeout=300)
    products = [p["id"] for p in rpc.call(
        "product.product", "search_read", [("default_code", "=like", PREFIX + "%")],
        fields=["id"], order="id")]
    kind = rpc.call("stock.picking.type", "search_read",
                    [("code", "=", "outgoing"), ("company_id", "!=", False)],
                    fields=["default_location_src_id"], limit=1)[0]
    source = kind["default_location_src_id"][0]
    customers = rpc.ref("stock.stock_location_customers")
    # Odoo 19 has no stock.move.name (18 requires it)
    named = "name" in rpc.call("stock.move", "fields_get", ["name"])

    def validate(product_id):
        move = {"product_id": product_id, "product_uom_qty": 1, "location_id": source,
                "location_dest_id": customers, **({"name": "bench delivery"} if named else {})}
        picking = rpc.call("stock.picking", "create", {
            "picking_type_id": kind["id"], "location_id": source,
            "location_dest_id": customers, "move_ids": [(0, 0, move)]})
        rpc.button("stock.picking", "action_confirm", [picking])
        rpc.button("stock.picking", "action_assign", [picking])
        moves = rpc.call("stock.picking", "read", [picking], ["move_ids"])[0]["move_ids"]
        rpc.call("stock.move", "write", moves, {"quantity": 1, "picked": True})
        started = time.perf_counter()
        rpc.button("stock.picking", "button_validate", [picking])
        return (time.perf_counter() - started) * 1000

    floor = []
    for index in range(PICKINGS):
        floor.append(validate(products[index % len(products)]))
        sc.wait_idle(stack, timeout=120, settle=0.5, poll=0.2)  # no export during the next

    control.add_fault("latency", operation="InventorySetQuantities", seconds=SLOW_CALL)
    during, overlapped = [], 0
    try:
        odoo_script(stack, "stock_setup.py", "change", 400, PREFIX)
        deadline = time.time() + 60
        while not started_exports(stack) and time.time() < deadline:
            time.sleep(0.05)
        for index in range(PICKINGS):
            busy = started_exports(stack)
            during.append(validate(products[index % len(products)]))
            overlapped += bool(busy and started_exports(stack))
    finally:
        control.clear_faults()
    sc.wait_idle(stack, timeout=300)
    pending = odoo_env.psql(
        f"SELECT count(*) FROM retail_product_binding b JOIN product_product p "
        f"ON p.id = b.odoo_id WHERE p.default_code LIKE '{PREFIX}%' AND {DIRTY}",
        database=stack.database)[0][0]
    floor_p95, p95 = percentile(floor, 0.95), percentile(during, 0.95)
    log(f"  floor p50 {percentile(floor, 0.5):.0f} ms / p95 {floor_p95:.0f} ms; during the "
        f"export p50 {percentile(during, 0.5):.0f} ms / p95 {p95:.0f} ms; {overlapped}/"
        f"{PICKINGS} validations ran while an export job was in its call; {pending} bench "
        "bindings still dirty after the queue went idle")
    figures.add("picking_validate_during_export_p95", p95, "ms", "<=1.5x floor",
                floor=floor_p95, ratio=p95 / floor_p95 if floor_p95 else None,
                ok=bool(floor_p95) and p95 <= 1.5 * floor_p95 and overlapped > 0)
