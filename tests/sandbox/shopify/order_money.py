"""Order money as Shopify computes it: discount allocations, taxes, totals, current totals.

Pure functions over the store's order / line / shipping-line dicts (amounts are two-decimal
strings in the records, ``Decimal`` in the arithmetic). Nothing here touches the store.

Discounts (Shopify's model, REST ``discount_applications`` + ``discount_allocations``):

- a line-level discount (``target_selection: explicit``) applies to one line, first;
- an order-level discount applies to every discountable line (not gift cards, not tips) on
  what the line-level discounts left: ``across`` splits one amount (a fixed value, or the
  percentage of the lines' sum rounded once) over the lines in proportion to their amounts,
  cents exact (largest remainder); ``each`` applies the value to every line (a percentage of
  the line, or the fixed value per unit);
- a shipping discount (``target_type: shipping_line``) applies to the shipping lines the same
  way; 100 % gives free shipping. No allocation exceeds what it discounts.

Taxes: one tax line per tax per taxable line (and per shipping line), computed on the line's
amount after its discount allocations and **rounded per line and per tax, half up** — the
"line-level" rounding Shopify adopted with its 2020 sales-tax engine (tax rate applied to each
line, result rounded, then summed; see the Cleverific Order Editor note "Shopify's tax
calculation" and shopify.dev ``TaxLine``). Tax-excluded shops: ``round(amount × rate)``.
Tax-included shops: ``round(amount × rate / (1 + Σ rates))`` (the tax inside the price).
The order's ``tax_lines`` are the sums per (title, rate) of the lines' and shipping lines'.

Shares of a line for some of its units (refunds, edits) are cumulative:
``share(amount, units, quantity) = round(amount × units / quantity)``, so refunding a line in
several steps refunds exactly its amount in the end.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def dec(value):
    """A Decimal from a string, number or None (None -> 0)."""
    return Decimal(str(value if value not in (None, "") else "0"))


def cents(value):
    return dec(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def fmt(value):
    """Two-decimal string of an amount, as Shopify renders money."""
    return str(cents(value))


def allocate(total, weights):
    """Split ``total`` over ``weights`` in proportion, cents exact (largest remainder).

    No share exceeds its weight when ``total <= sum(weights)``.
    """
    total = cents(total)
    weight_sum = sum(weights, ZERO)
    if not weight_sum or not total:
        return [ZERO for _ in weights]
    raw = [total * w / weight_sum for w in weights]
    shares = [r.quantize(CENTS, rounding=ROUND_DOWN) for r in raw]
    left = int((total - sum(shares, ZERO)) / CENTS)
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - raw[i], i))
    for i in order[:left]:
        shares[i] += CENTS
    return shares


def share(amount, units, quantity):
    """The part of ``amount`` belonging to ``units`` of ``quantity`` units (cumulative)."""
    if not quantity or units >= quantity:
        return cents(amount) if units else ZERO
    return cents(dec(amount) * units / quantity)


def line_gross(line):
    return dec(line["price"]) * line["quantity"]


def allocated(holder):
    return sum((dec(a["amount"]) for a in holder["discount_allocations"]), ZERO)


def discountable(line):
    return not line.get("gift_card") and not line.get("tip")


def _pct_amount(base, percentage):
    return cents(base * dec(percentage) / 100)


def _pct_text(value):
    """A percentage as Shopify writes it: ``"10.0"``, ``"12.5"``."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def _application(applications, spec, target_type, selection, allocation):
    code = spec.get("code")
    automatic = bool(spec.get("automatic"))
    if "percentage" in spec:
        value, value_type = dec(spec["percentage"]), "percentage"
    else:
        value, value_type = cents(spec.get("amount")), "fixed_amount"
    application = {
        "_type": ("DiscountCodeApplication" if code else "AutomaticDiscountApplication"
                  if automatic else "ManualDiscountApplication"),
        "index": len(applications),
        "type": "discount_code" if code else "automatic" if automatic else "manual",
        "code": code, "title": spec.get("title") or code or "Discount",
        "description": spec.get("description", spec.get("title") or code),
        "value": _pct_text(value) if value_type == "percentage" else fmt(value),
        "value_type": value_type, "allocation_method": allocation.upper(),
        "target_selection": selection.upper(), "target_type": target_type.upper(),
        "amount": "0.00"}
    applications.append(application)
    return application


def _allocate_to(holders, application, amounts):
    total = ZERO
    for holder, amount in zip(holders, amounts, strict=True):
        if amount > 0:
            holder["discount_allocations"].append(
                {"amount": fmt(amount), "discount_application_index": application["index"]})
            total += amount
    application["amount"] = fmt(total)


def _spread(holders, bases, spec, allocation):
    """Amounts of one discount over holders whose undiscounted rests are ``bases``."""
    if allocation == "each":
        if "percentage" in spec:
            return [min(_pct_amount(b, spec["percentage"]), b) for b in bases]
        per_unit = cents(spec.get("amount"))
        return [min(per_unit * h.get("quantity", 1), b) for h, b in zip(holders, bases,
                                                                        strict=True)]
    base = sum(bases, ZERO)
    if "percentage" in spec:
        total = min(_pct_amount(base, spec["percentage"]), base)
    else:
        total = min(cents(spec.get("amount")), base)
    return allocate(total, bases)


def apply_discounts(lines, shipping_lines, line_discounts, order_discounts):
    """Build ``discount_applications`` and fill every holder's ``discount_allocations``.

    ``line_discounts``: one list of specs per line (``{"amount"|"percentage", "title"|
    "code"}``); ``order_discounts``: specs with ``target`` ("line_item" | "shipping_line")
    and ``allocation`` ("across" | "each"). Returns the applications (index order).
    """
    applications = []
    for line, specs in zip(lines, line_discounts, strict=True):
        for spec in specs or ():
            if not discountable(line):
                continue
            application = _application(applications, spec, "line_item", "explicit", "across")
            rest = line_gross(line) - allocated(line)
            _allocate_to([line], application, _spread([line], [rest], spec, "across"))
    for spec in order_discounts or ():
        target = str(spec.get("target") or "line_item").lower()
        allocation = str(spec.get("allocation") or (
            "each" if target == "shipping_line" else "across")).lower()
        if target == "shipping_line":
            holders = list(shipping_lines)
            bases = [dec(s["price"]) - allocated(s) for s in holders]
        else:
            holders = [li for li in lines if discountable(li)]
            bases = [line_gross(li) - allocated(li) for li in holders]
        application = _application(applications, spec, target, "all", allocation)
        _allocate_to(holders, application, _spread(holders, bases, spec, allocation))
    return applications


def tax_amounts(amount, tax_defs, included):
    """One rounded tax per definition on ``amount`` (see module docstring)."""
    rates = [dec(t["rate"]) for t in tax_defs]
    divisor = 1 + sum(rates, ZERO) if included else Decimal(1)
    return [cents(amount * rate / divisor) for rate in rates]


def apply_taxes(lines, shipping_lines, tax_defs, included, shipping_taxable=True):
    """Fill ``tax_lines`` of every taxable line and shipping line."""
    for line in lines:
        taxable = line["taxable"] and discountable(line) and tax_defs
        line["tax_lines"] = _tax_lines(line_gross(line) - allocated(line), tax_defs,
                                       included) if taxable else []
    for shipping in shipping_lines:
        taxable = shipping.get("taxable", shipping_taxable) and tax_defs
        shipping["tax_lines"] = _tax_lines(dec(shipping["price"]) - allocated(shipping),
                                           tax_defs, included) if taxable else []


def _tax_lines(amount, tax_defs, included):
    return [{"title": t["title"], "rate": float(dec(t["rate"])), "price": fmt(price),
             "channel_liable": t.get("channel_liable", False)}
            for t, price in zip(tax_defs, tax_amounts(amount, tax_defs, included),
                                strict=True)]


def line_net(line):
    """A line's amount after its discounts (tax inside it when the shop includes taxes)."""
    return line_gross(line) - allocated(line)


def line_tax(line):
    return sum((dec(t["price"]) for t in line["tax_lines"]), ZERO)


def gone_units(line):
    return line.get("refunded_quantity", 0) + line.get("removed_quantity", 0)


def _sum(values):
    return sum(values, ZERO)


def recompute_totals(order):
    """Derive every total of the order from its lines, shipping, discounts, taxes, refunds.

    Original totals (``total_price`` …) cover everything ever ordered (edits that add units
    included); ``current_*`` totals leave out refunded and removed units and refunded
    shipping; ``current_total_price`` is ``total_price`` minus the refunds' transactions and
    minus what edits removed (so a refund discrepancy — a restocking fee kept — stays in it).
    """
    lines = order["line_items"]
    goods = [li for li in lines if not li.get("tip")]
    tips = [li for li in lines if li.get("tip")]
    included = order["taxes_included"]
    line_items_price = _sum(line_gross(li) for li in goods)
    line_discounts = _sum(allocated(li) for li in goods)
    shipping_price = _sum(dec(s["price"]) for s in order["shipping_lines"])
    shipping_discounts = _sum(allocated(s) for s in order["shipping_lines"])
    tip = _sum(line_gross(li) for li in tips)
    by_key = {}
    for holder in lines + order["shipping_lines"]:
        for tax_line in holder["tax_lines"]:
            key = (tax_line["title"], tax_line["rate"])
            by_key[key] = by_key.get(key, ZERO) + dec(tax_line["price"])
    tax = _sum(by_key.values())
    subtotal = line_items_price - line_discounts
    total = subtotal + shipping_price - shipping_discounts + (0 if included else tax) + tip

    current_sub, current_disc, current_tax = ZERO, shipping_discounts, ZERO
    for line in goods:
        gone, quantity = gone_units(line), line["quantity"]
        current_sub += line_net(line) - share(line_net(line), gone, quantity)
        current_disc += allocated(line) - share(allocated(line), gone, quantity)
        current_tax += line_tax(line) - share(line_tax(line), gone, quantity)
    shipping_tax = _sum(dec(t["price"]) for s in order["shipping_lines"]
                        for t in s["tax_lines"])
    current_tax += shipping_tax - dec(order.get("refunded_shipping_tax"))
    current_shipping = shipping_price - shipping_discounts - dec(order.get("refunded_shipping"))
    current_total = total - dec(order.get("total_refunded")) - dec(order.get("removed_value"))
    order.update(
        total_line_items_price=fmt(line_items_price), total_discounts=fmt(
            line_discounts + shipping_discounts), subtotal_price=fmt(subtotal),
        total_shipping_price=fmt(shipping_price), total_tax=fmt(tax), total_price=fmt(total),
        total_tip_received=fmt(tip), current_subtotal_price=fmt(current_sub),
        current_total_discounts=fmt(current_disc), current_total_tax=fmt(current_tax),
        current_shipping_price=fmt(current_shipping), current_total_price=fmt(current_total),
        tax_lines=[{"title": title, "rate": rate, "price": fmt(amount),
                    "channel_liable": False} for (title, rate), amount in by_key.items()])
    return order
