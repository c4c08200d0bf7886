"""Hypothesis strategies of sandbox orders and refunds, for property-based tests.

``place_order_kwargs(skus)`` draws the keyword arguments of ``SandboxControl.place_order``
(``line_items`` included): 1–20 lines of the seeded catalogue (``skus``, default the retail
seed's), custom items and gift cards, prices 0.01–9,999.99, quantities 1–50, fixed and
percentage discounts on lines, on the order (across / each) and on shipping, tax included or
excluded with 1–3 tax lines, 0–2 shipping lines, a tip, and gift card + card payments.

``refund_spec(order_rest)`` draws the keyword arguments of ``SandboxControl.refund_order`` for
a placed order (its REST body): partial refunds of some lines with or without restock, with or
without shipping (full or partial), and sometimes a refund of less than the calculated amount
(a restocking fee): ``restocking_fee`` is then an amount to keep, which the test subtracts
from the sandbox's calculated refund (``SandboxControl.calculate_refund``) and passes as
``amount``; pop it before calling ``refund_order``.

Only the catalogue's SKUs are needed; no product is created.
"""

from decimal import Decimal

from hypothesis import strategies as st

RETAIL_SKUS = (*(f"TSHIRT-{c}-{s}" for c in ("BLUE", "WHITE") for s in "SML"),
               "TOTE-NATURAL", "BEANIE-GREY", "BEANIE-NAVY")
TAX_TITLES = ("State", "County", "City")


def _money(low="0.01", high="9999.99"):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2,
                       allow_nan=False, allow_infinity=False).map(str)


def _discount(with_target=False):
    value = st.one_of(
        st.builds(lambda a: {"amount": a}, _money("0.01", "500.00")),
        st.builds(lambda p: {"percentage": p}, st.sampled_from((5, 10, 12.5, 15, 33, 50, 100))))
    label = st.one_of(st.builds(lambda c: {"code": c}, st.sampled_from(("SAVE", "VIP", "WELCOME"))),
                      st.builds(lambda t: {"title": t}, st.sampled_from(("Staff", "Promo"))))
    spec = st.builds(lambda v, lab: {**v, **lab}, value, label)
    if not with_target:
        return spec
    return st.builds(lambda s, target, allocation: dict(s, target=target, allocation=allocation),
                     spec, st.sampled_from(("line_item", "line_item", "shipping_line")),
                     st.sampled_from(("across", "each")))


def _properties():
    return st.lists(st.builds(lambda n, v: {"name": n, "value": v},
                              st.sampled_from(("Engraving", "Gift wrap", "_note")),
                              st.text("abcXYZ 123", min_size=1, max_size=12)),
                    max_size=2, unique_by=lambda p: p["name"])


def _catalogue_line(skus):
    return st.builds(
        lambda sku, quantity, price, props, discounts: {
            "sku": sku, "quantity": quantity, **({"price": price} if price else {}),
            **({"properties": props} if props else {}),
            **({"discounts": discounts} if discounts else {})},
        st.sampled_from(skus), st.integers(1, 50), st.one_of(st.none(), _money()),
        _properties(), st.lists(_discount(), max_size=1))


def _custom_line():
    return st.builds(
        lambda title, price, quantity, taxable, shipped: {
            "title": title, "price": price, "quantity": quantity, "taxable": taxable,
            "requires_shipping": shipped},
        st.sampled_from(("Protection plan", "Setup fee", "Engraving service")), _money(),
        st.integers(1, 5), st.booleans(), st.booleans())


def _gift_card_line():
    return st.builds(lambda price: {"gift_card": True, "title": "Gift Card", "price": price},
                     st.sampled_from(("10.00", "25.00", "50.00", "100.00")))


def _tax_lines():
    rates = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.25"), places=4)
    return st.integers(0, 3).flatmap(lambda n: st.lists(rates, min_size=n, max_size=n)).map(
        lambda rs: [{"title": TAX_TITLES[i], "rate": str(r)} for i, r in enumerate(rs)])


def _shipping():
    return st.lists(st.builds(lambda title, price: {"title": title, "code": title[:3].upper(),
                                                    "price": price},
                              st.sampled_from(("Standard", "Express")), _money("0.00", "99.99")),
                    max_size=2)


@st.composite
def place_order_kwargs(draw, skus=RETAIL_SKUS):
    """Keyword arguments of ``place_order`` (see the module docstring)."""
    lines = draw(st.lists(st.one_of(_catalogue_line(skus), _catalogue_line(skus),
                                    _custom_line(), _gift_card_line()),
                          min_size=1, max_size=20))
    kwargs = {"line_items": lines, "taxes_included": draw(st.booleans()),
              "tax_lines": draw(_tax_lines()), "shipping": draw(_shipping()),
              "discounts": draw(st.lists(_discount(with_target=True), max_size=2)),
              "customer": {"email": "property@example.com"}}
    if draw(st.booleans()):
        kwargs["tip"] = draw(_money("0.01", "50.00"))
    if draw(st.booleans()):
        kwargs["payments"] = [{"gateway": "gift_card", "amount": draw(
            st.sampled_from(("0.01", "5.00", "20.00")))}, {"gateway": "shopify_payments"}]
    else:
        kwargs["payments"] = [{"gateway": "shopify_payments"}]
    return kwargs


@st.composite
def refund_spec(draw, order):
    """Keyword arguments of ``refund_order`` for ``order`` (its REST body)."""
    candidates = [li for li in order["line_items"] if li["current_quantity"] > 0
                  and "tip" not in li]
    chosen = draw(st.lists(st.sampled_from(candidates), unique_by=lambda li: li["id"],
                           max_size=len(candidates))) if candidates else []
    lines = [{"line_item_id": li["id"],
              "quantity": draw(st.integers(1, li["current_quantity"])),
              "restock_type": draw(st.sampled_from(
                  ("no_restock", "cancel", "return") if li["requires_shipping"]
                  else ("no_restock",)))} for li in chosen]
    kwargs = {"line_items": lines}
    shipping_left = sum(Decimal(s["current_discounted_price_set"]["shop_money"]["amount"])
                        for s in order["shipping_lines"])
    if shipping_left > 0 and draw(st.booleans()):
        kwargs["shipping"] = draw(st.one_of(
            st.just({"full_refund": True}),
            st.decimals(min_value=Decimal("0.01"), max_value=shipping_left, places=2).map(
                lambda a: {"amount": str(a)})))
    kwargs["restocking_fee"] = draw(st.one_of(st.none(), st.sampled_from(("0.01", "1.00",
                                                                         "5.00"))))
    return kwargs
