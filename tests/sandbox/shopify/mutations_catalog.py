"""Catalogue and customer mutations: ``productCreate``, ``productUpdate``, ``productSet``,
``productVariantsBulkCreate``, ``productVariantsBulkUpdate``, ``customerCreate``,
``customerUpdate``.

They follow the 2024-10+ product model: ``productCreate`` makes the product with one variant,
variants come from the bulk mutations or ``productSet`` (whose ``variants`` list replaces the
existing one; variants are matched by id, then by SKU). SKU lives in ``inventoryItem.sku``.
``productSet``'s ``files`` / variant ``file`` and ``collections`` are accepted as Shopify
declares them and not stored: the sandbox models no media and no collections (``media`` and
``collections`` stay empty connections).
"""

from graphql import GraphQLError

from .metafield_definitions import custom_id_target, set_metafield
from .mutations_inventory import user_error
from .store import money, parse_gid

PRODUCT_SCALARS = {"title": "title", "handle": "handle", "descriptionHtml": "description_html",
                   "vendor": "vendor", "productType": "product_type", "status": "status",
                   "tags": "tags"}
MAX_VARIANTS = 100


def _product_fields(data):
    return {PRODUCT_SCALARS[k]: v for k, v in data.items()
            if k in PRODUCT_SCALARS and v is not None}


def _options_from_input(options):
    """Options in ``position`` order (given positions first, then the others as listed)."""
    ordered = sorted(enumerate(options or []), key=lambda pair: (
        pair[1].get("position") is None, pair[1].get("position") or 0, pair[0]))
    return [{"name": o.get("name"), "values": [v.get("name") for v in o.get("values") or []]}
            for _index, o in ordered]


def _variant_options(option_values):
    return {v.get("optionName"): v.get("name") for v in option_values or []}


def _sync_options(store, product):
    """Make the product's option list contain every value its variants use."""
    names = [o["name"] for o in product["options"]]
    values = {o["name"]: list(o["values"]) for o in product["options"]}
    for variant_id in product["variant_ids"]:
        for option in store.variants[variant_id]["selected_options"]:
            if option["name"] not in values:
                names.append(option["name"])
                values[option["name"]] = []
            if option["value"] not in values[option["name"]]:
                values[option["name"]].append(option["value"])
    used = {o["name"] for v in product["variant_ids"]
            for o in store.variants[v]["selected_options"]}
    store.set_options(product, [{"name": n, "values": values[n]} for n in names if n in used])


def _apply_variant_input(store, variant, data):
    """Write ProductVariantsBulkInput / ProductVariantSetInput fields onto a variant."""
    item = store.inventory_items[variant["inventory_item_id"]]
    for key, target in (("barcode", "barcode"), ("taxable", "taxable"),
                        ("inventoryPolicy", "inventory_policy"), ("position", "position")):
        if data.get(key) is not None:
            variant[target] = data[key]
    if data.get("price") is not None:
        variant["price"] = money(data["price"])
    if "compareAtPrice" in data:
        variant["compare_at_price"] = money(data["compareAtPrice"]) if data[
            "compareAtPrice"] else None
    sku = data.get("sku", (data.get("inventoryItem") or {}).get("sku"))
    if sku is not None:
        variant["sku"] = item["sku"] = sku
    item_input = data.get("inventoryItem") or {}
    if item_input.get("tracked") is not None:
        item["tracked"] = item_input["tracked"]
    if item_input.get("cost") is not None:
        item["unit_cost"] = money(item_input["cost"])
    if data.get("optionValues"):
        variant["selected_options"] = [{"name": k, "value": v} for k, v in
                                       _variant_options(data["optionValues"]).items()]
    store.touch(variant)
    store.touch(item)


def _set_variant_stock(store, variant, entries):
    for entry in entries or []:
        location_id = parse_gid(entry.get("locationId"), "Location")
        if location_id not in store.locations:
            continue
        level = store.activate(variant["inventory_item_id"], location_id)
        name = entry.get("name", "available")
        quantity = entry.get("quantity", entry.get("availableQuantity", 0))
        store.change_quantity(level, name, quantity - store.quantity(level, name))


def product_create(_root, info, product=None):
    store = info.context["store"]
    data = product or {}
    if not (data.get("title") or "").strip():
        return {"product": None, "userErrors": [user_error(["title"], "Title can't be blank")]}
    with store.lock:
        options = _options_from_input(data.get("productOptions")) or None
        first = {o["name"]: o["values"][0] for o in options or [] if o["values"]}
        fields = _product_fields(data)
        record = store.add_product(fields.pop("title"), variants=[{"options": first or None}],
                                   options=options, **fields)
        store.emit("products/create", record)
        return {"product": record, "userErrors": []}


def product_update(_root, info, product=None):
    store = info.context["store"]
    data = product or {}
    record = store.products.get(parse_gid(data.get("id"), "Product"))
    if record is None:
        return {"product": None, "userErrors": [user_error(["id"], "Product does not exist")]}
    with store.lock:
        record.update(_product_fields(data))
        store.touch(record)
        store.emit("products/update", record)
        return {"product": record, "userErrors": []}


def _bulk_payload(product, variants, errors):
    return {"product": product, "productVariants": None if errors else variants,
            "userErrors": errors}


def variants_bulk_create(_root, info, productId, variants, strategy="DEFAULT"):
    store = info.context["store"]
    product = store.products.get(parse_gid(productId, "Product"))
    if product is None:
        return _bulk_payload(None, None, [user_error(["productId"], "Product does not exist",
                                                     "PRODUCT_DOES_NOT_EXIST")])
    with store.lock:
        existing = {tuple(sorted((o["name"], o["value"]) for o in v["selected_options"]))
                    for v in (store.variants[i] for i in product["variant_ids"])}
        errors = []
        for index, data in enumerate(variants):
            key = tuple(sorted(_variant_options(data.get("optionValues")).items()))
            if key in existing:
                errors.append(user_error(["variants", str(index)], "Variant already exists",
                                         "VARIANT_ALREADY_EXISTS"))
            existing.add(key)
        if errors:
            return _bulk_payload(product, None, errors)
        standalone = [v for v in product["variant_ids"]
                      if store.variant_title(store.variants[v]) == "Default Title"]
        created = []
        for data in variants:
            variant = store.add_variant(product, options=_variant_options(
                data.get("optionValues")) or None)
            _apply_variant_input(store, variant, data)
            _set_variant_stock(store, variant, data.get("inventoryQuantities"))
            created.append(variant)
        if strategy != "PRESERVE_STANDALONE_VARIANT" and len(standalone) == 1:
            store.delete_variant(standalone[0])
        _sync_options(store, product)
        store.touch(product)
        store.emit("products/update", product)
        return _bulk_payload(product, created, [])


def variants_bulk_update(_root, info, productId, variants, allowPartialUpdates=False):
    store = info.context["store"]
    product = store.products.get(parse_gid(productId, "Product"))
    if product is None:
        return _bulk_payload(None, None, [user_error(["productId"], "Product does not exist",
                                                     "PRODUCT_DOES_NOT_EXIST")])
    with store.lock:
        errors, plan = [], []
        for index, data in enumerate(variants):
            field = ["variants", str(index)]
            variant = store.variants.get(parse_gid(data.get("id"), "ProductVariant"))
            if not data.get("id"):
                errors.append(user_error([*field, "id"], "Product variant is missing ID "
                                         "attribute", "PRODUCT_VARIANT_ID_MISSING"))
            elif variant is None or variant["product_id"] != product["id"]:
                errors.append(user_error([*field, "id"], "Product variant does not exist",
                                         "PRODUCT_VARIANT_DOES_NOT_EXIST"))
            elif data.get("price") is not None and float(data["price"]) < 0:
                errors.append(user_error([*field, "price"], "Price must be greater than or "
                                         "equal to 0", "GREATER_THAN_OR_EQUAL_TO"))
            else:
                plan.append((variant, data))
        if errors and not allowPartialUpdates:
            return _bulk_payload(product, None, errors)
        for variant, data in plan:
            _apply_variant_input(store, variant, data)
        _sync_options(store, product)
        store.touch(product)
        store.emit("products/update", product)
        return {"product": product, "productVariants": [v for v, _ in plan],
                "userErrors": errors}


def product_set(_root, info, input, synchronous=True, identifier=None):
    """``identifier``: ``id``, ``handle`` or ``customId`` (a unique ``id`` metafield value:
    the product holding it is updated, else one is created holding it)."""
    store = info.context["store"]
    with store.lock:
        product, created, custom = None, False, None
        if sum(v is not None for v in (identifier or {}).values()) > 1:  # @oneOf
            raise GraphQLError("ProductSetIdentifiers requires exactly one argument",
                               extensions={"code": "BAD_REQUEST"})
        product_gid = (identifier or {}).get("id") or input.get("id")
        if (identifier or {}).get("handle"):
            product = next((p for p in store.products.values()
                            if p["handle"] == identifier["handle"]), None)
        if (identifier or {}).get("customId"):
            definition, product, error = custom_id_target(
                store, info.context.get("token"), identifier["customId"])
            if error:
                return _set_payload(None, [error], synchronous)
            custom = (definition, identifier["customId"]["value"])
        if product is not None:
            pass
        elif product_gid:
            product = store.products.get(parse_gid(product_gid, "Product"))
            if product is None:
                return _set_payload(None, [user_error(["input", "id"], "Product does not exist",
                                                      "PRODUCT_DOES_NOT_EXIST")], synchronous)
        elif not (input.get("title") or "").strip():
            return _set_payload(None, [user_error(["input", "title"], "Title can't be blank",
                                                  "INVALID_INPUT")], synchronous)
        variants_input = input.get("variants")
        if variants_input is not None and len(variants_input) > MAX_VARIANTS:
            return _set_payload(None, [user_error(
                ["input", "variants"], f"Exceeded the maximum of {MAX_VARIANTS} variants.",
                "VARIANTS_OVER_LIMIT")], synchronous)
        fields = _product_fields(input)
        if product is None:
            product = store.add_product(fields.pop("title"), **fields)
            created = True
        else:
            product.update(fields)
        if input.get("productOptions") is not None:
            store.set_options(product, _options_from_input(input["productOptions"]))
        if variants_input is not None:
            _replace_variants(store, product, variants_input)
        if custom:
            set_metafield(store, product, *custom)
        _sync_options(store, product)
        store.touch(product)
        store.emit("products/create" if created else "products/update", product)
        return _set_payload(product, [], synchronous)


def _replace_variants(store, product, variants_input):
    current = [store.variants[v] for v in product["variant_ids"]]
    by_sku = {v.get("sku"): v for v in current if v.get("sku")}
    keep = []
    for position, data in enumerate(variants_input, start=1):
        variant = store.variants.get(parse_gid(data.get("id"), "ProductVariant")) \
            if data.get("id") else by_sku.get(data.get("sku") or (
                data.get("inventoryItem") or {}).get("sku"))
        if variant is None or variant["product_id"] != product["id"]:
            variant = store.add_variant(product, options=_variant_options(
                data.get("optionValues")) or None)
        _apply_variant_input(store, variant, dict(data, position=data.get("position")
                                                  or position))
        _set_variant_stock(store, variant, data.get("inventoryQuantities"))
        keep.append(variant["id"])
    for variant_id in list(product["variant_ids"]):
        if variant_id not in keep:
            store.delete_variant(variant_id)
    product["variant_ids"] = keep


def _set_payload(product, errors, synchronous):
    if synchronous:
        return {"product": product, "productSetOperation": None, "userErrors": errors}
    operation = {"id": "gid://shopify/ProductSetOperation/1", "status": "COMPLETE",
                 "product": product, "userErrors": errors}
    return {"product": None, "productSetOperation": operation, "userErrors": errors}


def _customer_fields(store, data):
    fields = {key: data[key_in] for key_in, key in (
        ("email", "email"), ("firstName", "first_name"), ("lastName", "last_name"),
        ("phone", "phone"), ("tags", "tags"), ("note", "note")) if key_in in data}
    if data.get("addresses") is not None:
        fields["addresses"] = [store.address({
            "first_name": a.get("firstName"), "last_name": a.get("lastName"),
            "company": a.get("company"), "address1": a.get("address1"),
            "address2": a.get("address2"), "city": a.get("city"),
            "province": a.get("province"), "province_code": a.get("provinceCode"),
            "zip": a.get("zip"), "country": a.get("country"),
            "country_code": a.get("countryCode"), "phone": a.get("phone")})
            for a in data["addresses"]]
    return fields


def customer_create(_root, info, input):
    store = info.context["store"]
    with store.lock:
        if not any(input.get(k) for k in ("email", "phone", "firstName", "lastName")):
            return {"customer": None, "userErrors": [user_error(
                ["input"], "A name, phone number, or email address must be present")]}
        if input.get("email") and store.customer_by_email(input["email"]):
            return {"customer": None, "userErrors": [user_error(
                ["input", "email"], "Email has already been taken")]}
        fields = _customer_fields(store, input)
        addresses = fields.pop("addresses", [])
        customer = store.add_customer(**fields, announce=False)
        customer["addresses"] = addresses
        store.emit("customers/create", customer)
        return {"customer": customer, "userErrors": []}


def customer_update(_root, info, input):
    store = info.context["store"]
    with store.lock:
        customer = store.customers.get(parse_gid(input.get("id"), "Customer"))
        if customer is None:
            return {"customer": None, "userErrors": [user_error(
                ["input", "id"], "Customer does not exist")]}
        other = store.customer_by_email(input.get("email"))
        if other is not None and other is not customer:
            return {"customer": None, "userErrors": [user_error(
                ["input", "email"], "Email has already been taken")]}
        customer.update(_customer_fields(store, input))
        store.touch(customer)
        store.emit("customers/update", customer)
        return {"customer": customer, "userErrors": []}


MUTATIONS = {
    "productCreate": product_create, "productUpdate": product_update,
    "productSet": product_set, "productVariantsBulkCreate": variants_bulk_create,
    "productVariantsBulkUpdate": variants_bulk_update, "customerCreate": customer_create,
    "customerUpdate": customer_update,
}
