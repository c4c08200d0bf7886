"""ORM side of the catalogue export benchmark, run with Odoo's Python in its own process.

``python3 tests/bench/catalogue_setup.py CONFIG DATABASE create COUNT PREFIX``: create COUNT
product templates with 3 variants each (a "Bench size" attribute S/M/L), SKUs
``PREFIX-<n>-<size>``, storable, in one transaction and without any export (context
``retail_no_export``): nothing is published yet. Prints one JSON line ``{"templates": [ids],
"variants": N, "seconds": S}``. Publishing them (the export's trigger) is the bench's job.
"""

import json
import sys
import time

SIZES = ("S", "M", "L")


def main(config, database, command, count, prefix):
    from odoo import api, tools
    from odoo.modules.registry import Registry

    tools.config.parse_config(["-c", config, "-d", database])
    registry = Registry(database)
    started = time.perf_counter()
    if command != "create":
        raise SystemExit(f"unknown command {command}")
    count = int(count)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env = env(context=dict(env.context, retail_no_export=True, tracking_disable=True,
                               mail_create_nolog=True, mail_create_nosubscribe=True))
        attribute = env["product.attribute"].create({
            "name": f"Bench size {prefix}", "create_variant": "always",
            "value_ids": [(0, 0, {"name": size, "sequence": index})
                          for index, size in enumerate(SIZES)],
        })
        values = attribute.value_ids.ids
        templates = env["product.template"].create([
            {"name": f"Bench catalogue {prefix} {index:05d}", "is_storable": True,
             "list_price": 10.0 + index % 50, "taxes_id": [(5, 0, 0)],
             "description_sale": f"Bench product {index}",
             "attribute_line_ids": [(0, 0, {"attribute_id": attribute.id,
                                            "value_ids": [(6, 0, values)]})]}
            for index in range(count)
        ])
        variants = 0
        for index, template in enumerate(templates):
            for product in template.product_variant_ids:
                size = product.product_template_attribute_value_ids[:1].name
                product.default_code = f"{prefix}-{index:05d}-{size}"
                variants += 1
        cr.commit()
        result = {"templates": templates.ids, "variants": variants}
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:6])
