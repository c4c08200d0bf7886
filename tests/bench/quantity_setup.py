"""Set stock in one transaction, in any database (ours or the peer's), with Odoo's Python.

``python3 tests/bench/quantity_setup.py CONFIG DATABASE PREFIX QUANTITY [LOCATIONS]``: every
storable product whose internal reference starts with PREFIX gets QUANTITY on hand at each of
LOCATIONS (comma-separated complete names, default ``WH/Stock``), through
``stock.quant`` as an inventory adjustment does, then commits. Each connector reacts as it
does to any stock change (ours marks bindings dirty and enqueues one export; the peer
enqueues one job per variant and location). Prints one JSON line.
"""

import json
import sys
import time


def main(config, database, prefix, quantity, locations="WH/Stock"):
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", config, "-d", database])
    registry = Registry(database)
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        places = [env["stock.location"].search([("complete_name", "=", name)], limit=1)
                  for name in locations.split(",")]
        if not all(places):
            raise SystemExit(f"unknown location among {locations}")
        products = env["product.product"].search([("default_code", "=like", prefix + "%")])
        quants = env["stock.quant"].with_context(inventory_mode=True)
        touched = quants.browse()
        for product in products:
            for place in places:
                quant = quants._gather(product, place)[:1] or quants.create(
                    {"product_id": product.id, "location_id": place.id})
                quant.inventory_quantity = float(quantity)
                touched |= quant
        touched._apply_inventory()
        cr.commit()
    print(json.dumps({"products": len(products), "seconds": time.perf_counter() - started}),
          flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
