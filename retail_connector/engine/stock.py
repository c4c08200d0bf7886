"""Stock levels as a channel sees them: what can still be sold at a location."""


def available_quantities(env, products, location):
    """Return ``{product id: available}`` in ``location`` and its children.

    Available means on hand minus reserved, never negative: what a store may still sell.
    One grouped query for all products, whatever their number.
    """
    groups = (
        env["stock.quant"]
        # sudo: stock levels are read for the channel whoever triggers the export (a Retail Manager
        # need not be an Inventory user)
        .sudo()
        ._read_group(
            [("product_id", "in", products.ids), ("location_id", "child_of", location.id)],
            ["product_id"],
            ["quantity:sum", "reserved_quantity:sum"],
        )
    )
    available = dict.fromkeys(products.ids, 0.0)
    for product, quantity, reserved in groups:
        available[product.id] = max(0.0, (quantity or 0.0) - (reserved or 0.0))
    return available
