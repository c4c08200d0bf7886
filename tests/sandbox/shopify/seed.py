"""Seed data: the seed format, a small retail catalogue, and the loader.

Seed format (JSON-compatible dict; every key optional)::

    {
      "shop": {"name": "...", "myshopify_domain": "x.myshopify.com", "currency": "EUR",
               "email": "...", "taxes_included": false},
      "app": {"client_id": "...", "client_secret": "...", "scopes": ["read_orders", ...]},
      "tokens": [{"token": "shpat_...", "scopes": "all" | ["read_products", ...]}],
      "locations": [{"key": "main", "name": "Main Warehouse", "address": {...}}],
      "products": [{"title": "T-Shirt", "vendor": "...", "product_type": "...", "tags": [],
                    "options": [{"name": "Color", "values": ["Blue"]}, ...],
                    "variants": [{"sku": "TSHIRT-BLUE-M", "price": "19.90",
                                  "options": {"Color": "Blue", "Size": "M"},
                                  "barcode": "...", "cost": "6.50",
                                  "stock": {"main": 25}}]}],
      "customers": [{"email": "...", "first_name": "...", "last_name": "...",
                     "addresses": [{...snake_case address...}]}],
      "webhooks": [{"topic": "orders/create", "callback_url": "http://127.0.0.1:9/hook"}]
    }

``stock`` maps a location ``key`` (or name) to its available quantity. Loading returns a map
of what was created (location ids by key, variant ids by SKU, customer ids by email).
"""

RETAIL_CATALOGUE = {
    "locations": [
        {"key": "main", "name": "Main Warehouse",
         "address": {"address1": "1 Rue du Dépôt", "city": "Lyon", "zip": "69007",
                     "country_code": "FR", "country": "France"}},
        {"key": "store", "name": "Paris Store",
         "address": {"address1": "12 Rue de Rivoli", "city": "Paris", "zip": "75004",
                     "country_code": "FR", "country": "France"}},
    ],
    "products": [
        {"title": "Classic T-Shirt", "vendor": "Sandbox Apparel", "product_type": "Shirts",
         "tags": ["cotton", "summer"], "description_html": "<p>Soft cotton tee.</p>",
         "options": [{"name": "Color", "values": ["Blue", "White"]},
                     {"name": "Size", "values": ["S", "M", "L"]}],
         "variants": [
             {"sku": f"TSHIRT-{color.upper()}-{size}", "price": "19.90", "cost": "6.50",
              "barcode": f"3700000000{index:03d}", "options": {"Color": color, "Size": size},
              "stock": {"main": 25, "store": 5}}
             for index, (color, size) in enumerate(
                 (c, s) for c in ("Blue", "White") for s in ("S", "M", "L"))]},
        {"title": "Canvas Tote Bag", "vendor": "Sandbox Apparel", "product_type": "Bags",
         "tags": ["accessories"],
         "variants": [{"sku": "TOTE-NATURAL", "price": "24.00", "cost": "8.00",
                       "barcode": "3700000000100", "stock": {"main": 40}}]},
        {"title": "Wool Beanie", "vendor": "Sandbox Knits", "product_type": "Hats",
         "tags": ["winter"], "options": [{"name": "Color", "values": ["Grey", "Navy"]}],
         "variants": [
             {"sku": "BEANIE-GREY", "price": "15.00", "options": {"Color": "Grey"},
              "stock": {"main": 12}},
             {"sku": "BEANIE-NAVY", "price": "15.00", "compare_at_price": "18.00",
              "options": {"Color": "Navy"}, "stock": {"main": 0, "store": 3}}]},
    ],
    "customers": [
        {"email": "jane.doe@example.com", "first_name": "Jane", "last_name": "Doe",
         "phone": "+33612345678", "tags": ["vip"],
         "addresses": [{"first_name": "Jane", "last_name": "Doe", "address1": "5 Rue Verte",
                        "city": "Paris", "zip": "75011", "country": "France",
                        "country_code": "FR", "phone": "+33612345678"}]},
    ],
}


def load_seed(store, seed, create_subscription=None):
    """Load a seed dict into ``store`` (without firing webhooks); return created ids."""
    created = {"locations": {}, "variants": {}, "products": {}, "customers": {}, "tokens": []}
    with store.lock:
        store.shop.update(seed.get("shop") or {})
        if seed.get("app"):
            store.app.update(seed["app"])
        for token in seed.get("tokens") or []:
            created["tokens"].append(store.add_token(token.get("token"), token.get("scopes"),
                                                     token.get("expires_in")))
        for location in seed.get("locations") or []:
            record = store.add_location(location["name"], location.get("address"),
                                        location.get("is_active", True),
                                        location.get("fulfills_online_orders", True))
            created["locations"][location.get("key") or location["name"]] = record["id"]
        for product in seed.get("products") or []:
            spec = dict(product)
            variants = []
            for variant_spec in spec.pop("variants", None) or [{}]:
                variant = dict(variant_spec)
                stock = variant.pop("stock", {}) or {}
                variant["quantities"] = {created["locations"].get(key, key): qty
                                         for key, qty in stock.items()}
                variants.append(variant)
            record = store.add_product(spec.pop("title"), variants=variants,
                                       options=spec.pop("options", None), **spec)
            created["products"][record["title"]] = record["id"]
            for variant_id in record["variant_ids"]:
                variant = store.variants[variant_id]
                created["variants"][variant.get("sku") or str(variant_id)] = variant_id
        for customer in seed.get("customers") or []:
            record = store.add_customer(announce=False, **customer)
            created["customers"][record.get("email") or str(record["id"])] = record["id"]
        for hook in seed.get("webhooks") or []:
            if create_subscription:
                create_subscription(store, hook["topic"], hook["callback_url"],
                                    api_version=hook.get("api_version"),
                                    include_fields=hook.get("include_fields"))
    return created
