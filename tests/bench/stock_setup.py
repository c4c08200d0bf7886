"""ORM side of the stock push benchmark, run with Odoo's Python in its own process.

``python3 tests/bench/stock_setup.py CONFIG DATABASE setup VARIANTS_JSON``: create one storable
product per sandbox variant (``[{"sku", "variant_id", "inventory_item_id", "product_id"}]``)
and its Shopify binding, without exporting anything.
``... change QUANTITY [PREFIX]``: set every bench product's (default code starting with PREFIX,
default ``BENCHSTOCK-``) quantity on hand at WH/Stock to QUANTITY in one transaction (the
connector marks the bindings dirty and enqueues one export job).
``... rerun [- PREFIX]``: mark every bench binding dirty without changing anything and enqueue
the export.
Prints one JSON line.
"""

import json
import sys
import time

PREFIX = "BENCHSTOCK-"


def main(config, database, command, argument=None, prefix=PREFIX):
    from odoo import api, tools
    from odoo.modules.registry import Registry

    tools.config.parse_config(["-c", config, "-d", database])
    registry = Registry(database)
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        backend = env["retail.backend"].search([("backend_type", "=", "shopify")], limit=1)
        if command == "setup":
            variants = json.loads(open(argument).read())
            quiet = env(context=dict(env.context, retail_no_export=True, tracking_disable=True))
            products = quiet["product.product"].create([
                {"name": f"Bench {v['sku']}", "default_code": v["sku"], "is_storable": True,
                 "list_price": 10.0, "taxes_id": [(5, 0, 0)]}
                for v in variants
            ])
            quiet["retail.product.binding"].create([
                {"backend_id": backend.id, "odoo_id": product.id,
                 "external_id": str(v["variant_id"]),
                 "inventory_item_id": str(v["inventory_item_id"]),
                 "product_external_id": str(v["product_id"])}
                for product, v in zip(products, variants, strict=True)
            ])
            result = {"products": len(products)}
        elif command == "change":
            stock = env.ref("stock.stock_location_stock")
            products = env["product.product"].search([("default_code", "=like", prefix + "%")])
            Quant = env["stock.quant"]
            for product in products:
                Quant._update_available_quantity(product, stock, float(argument))
            result = {"products": len(products)}
        elif command == "rerun":
            bindings = env["retail.product.binding"].search(
                [("backend_id", "=", backend.id), ("odoo_id.default_code", "=like", prefix + "%")])
            bindings.write({"export_pending": True})
            backend._schedule_export("stock")
            result = {"bindings": len(bindings)}
        else:
            raise SystemExit(f"unknown command {command}")
        cr.commit()
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
