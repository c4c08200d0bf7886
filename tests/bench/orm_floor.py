"""The ORM floor of order ingestion: the same orders created, confirmed, invoiced and paid
directly with the ORM in one process (one transaction per order), no HTTP, no queue.

Run with Odoo's Python: ``python3 tests/bench/orm_floor.py CONFIG DATABASE SPECS_JSON``;
SPECS_JSON is a list of orders, each a list of ``{"sku", "quantity"}``. Prints one JSON line:
``{"orders": N, "seconds": S}``.
"""

import json
import sys
import time

from psycopg2.errors import LockNotAvailable, SerializationFailure


def main(config, database, specs_path):
    from odoo import api, tools
    from odoo.modules.registry import Registry

    tools.config.parse_config(["-c", config, "-d", database])
    specs = json.loads(open(specs_path).read())
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        skus = {line["sku"] for spec in specs for line in spec}
        products = {p.default_code: p for p in env["product.product"].search(
            [("default_code", "in", list(skus))])}
        tax = env["account.tax"].search([("name", "=", "VAT 20% (Shopify)")], limit=1)
        shipping = env["product.product"].search([("name", "=", "Shipping (Shopify)")], limit=1)
        bank = env["account.journal"].search([("type", "=", "bank")], limit=1)
        product_ids = {sku: p.id for sku, p in products.items()}
        prices = {sku: p.list_price for sku, p in products.items()}
        ids = (tax.id, shipping.id, bank.id)
    started = time.perf_counter()
    retried = 0
    for index, spec in enumerate(specs):
        # Jobs of the runner may still touch the same quants: a serialization failure is
        # retried, as Odoo retries a request (the retry's time counts in the floor).
        for attempt in range(5):
            try:
                one_order(registry, index, spec, ids, product_ids, prices)
                break
            except (SerializationFailure, LockNotAvailable):
                if attempt == 4:
                    raise
                retried += 1
                time.sleep(0.1 * (attempt + 1))
    seconds = time.perf_counter() - started
    print(json.dumps({"orders": len(specs), "seconds": seconds, "retried": retried}),
          flush=True)


def one_order(registry, index, spec, ids, product_ids, prices):
    """Create, confirm, invoice and pay one order in its own transaction."""
    from odoo import api

    from odoo.addons.retail_connector.compat import SALE_LINE_TAXES

    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        tax_id, shipping_id, bank_id = ids
        partner = env["res.partner"].create(
            {"name": f"ORM floor {index}", "email": f"floor{index}@example.com"})
        lines = [
            (0, 0, {"product_id": product_ids[line["sku"]],
                    "product_uom_qty": line["quantity"],
                    "price_unit": prices[line["sku"]], SALE_LINE_TAXES: [(6, 0, [tax_id])]})
            for line in spec
        ]
        lines.append((0, 0, {"product_id": shipping_id, "product_uom_qty": 1,
                             "price_unit": 4.90, SALE_LINE_TAXES: [(6, 0, [tax_id])]}))
        sale = env["sale.order"].create({
            "partner_id": partner.id, "client_order_ref": f"FLOOR-{index}",
            "order_line": lines,
        })
        sale.action_confirm()
        invoices = sale._create_invoices()
        invoices.action_post()
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"journal_id": bank_id, "group_payment": True})._create_payments()


if __name__ == "__main__":
    main(*sys.argv[1:4])
