"""The books check of `make reliability`: Shopify's figures read from the sandbox, and the
comparison that fails a scenario on a duplicate, a wrong invoice, a missing payment or a
credit note without a refund."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.reliability import books, duplicates
from tests.sandbox.shopify import ShopifySandbox

LINES = [{"sku": "TSHIRT-BLUE-M", "quantity": 2}, {"sku": "TOTE-NATURAL", "quantity": 1}]


@pytest.fixture(scope="module")
def stack():
    sandbox = ShopifySandbox().start()
    yield SimpleNamespace(shopify=sandbox)
    sandbox.stop()


def place(stack):
    return stack.shopify.control.place_order(
        LINES, customer={"email": "ada@example.com"}, financial_status="paid", tax_rate=0.2,
        shipping={"title": "Standard", "code": "STD", "price": "4.90"})


def test_shopify_side_reads_totals_captures_and_refund_transactions(stack):
    order = place(stack)
    control = stack.shopify.control
    refund = control.refund_order(order["id"], [{"sku": "TOTE-NATURAL", "quantity": 1}])
    goodwill = control.refund_order(order["id"], [], amount="5.00")
    recorded = books.shopify_side(stack, [order["id"]])[str(order["id"])]
    assert recorded["name"] == order["name"]
    assert recorded["total"] == Decimal(order["total_price"])
    assert recorded["captured"] == {"manual": Decimal(order["total_price"])}
    assert recorded["refunds"] == {
        str(refund["id"]): {"manual": Decimal(refund["total_refunded"])},
        str(goodwill["id"]): {"manual": Decimal("5.00")},
    }


def shop(name="#1001", total="53.64", refunds=None):
    return {"name": name, "total": Decimal(total), "captured": {"manual": Decimal(total)},
            "refunds": refunds or {}}


def test_exact_books_pass():
    recorded = {"1": shop(refunds={"9": {"manual": Decimal("23.88")}})}
    sales = {"#1001": [10]}
    moves = {10: [(100, "out_invoice", Decimal("53.64"), ""),
                  (101, "out_refund", Decimal("23.88"), "Refund 9")]}
    payments = {100: {"manual": Decimal("53.64")}, 101: {"manual": Decimal("23.88")}}
    result = books.compare(recorded, sales, moves, payments)
    assert result.ok
    assert result.summary() == ("orders 1/1, invoices 1 exact, payments 1 exact, credit notes "
                                "1/1, refund payments 1 exact")


def test_each_disagreement_fails_with_both_figures():
    recorded = {"1": shop(), "2": shop("#1002", "10.00"), "3": shop("#1003", "20.00"),
                "4": shop("#1004", "30.00", refunds={"7": {"manual": Decimal("5.00")}})}
    sales = {"#1001": [10, 11], "#1002": [12], "#1003": [13], "#1004": [14]}
    moves = {
        10: [(100, "out_invoice", Decimal("53.64"), "")],
        11: [(101, "out_invoice", Decimal("53.64"), "")],  # a second sale order, invoiced
        12: [(102, "out_invoice", Decimal("9.99"), "")],  # a cent lost
        13: [(103, "out_invoice", Decimal("20.00"), ""),
             (104, "out_refund", Decimal("20.00"), "Refund 8")],  # no such refund
        14: [(105, "out_invoice", Decimal("30.00"), ""),
             (106, "out_refund", Decimal("5.00"), "Refund 7")],
    }
    payments = {100: {"manual": Decimal("53.64")}, 101: {"manual": Decimal("53.64")},
                102: {"manual": Decimal("9.99")}, 103: {"manual": Decimal("20.00")},
                105: {"manual": Decimal("30.00")}}  # the refund was never paid back
    result = books.compare(recorded, sales, moves, payments)
    assert not result.ok
    assert (result.one_sale, result.invoices_exact, result.payments_exact) == (3, 2, 2)
    assert (result.refunds, result.credit_notes_exact, result.refund_payments_exact) == (1, 1, 0)
    assert result.extra_credit_notes == 1
    text = " | ".join(result.mismatches)
    assert "#1001 (1): 2 sale orders vs 1; invoices ['53.64', '53.64'] vs total_price 53.64" in text
    assert "#1002 (2): invoices ['9.99'] vs total_price 10.00; payments manual 9.99 vs captured " \
           "manual 10.00" in text
    assert "credit notes without a Shopify refund: [('Refund 8', '20.00')]" in text
    assert "refund 7: refund payments none vs refunded manual 5.00" in text


def test_duplicates_are_counted_per_kind_and_fail_the_books():
    clean = duplicates.counts(
        sales={"#1001": [10]}, invoices={10: [100]}, payments={"#1001": [500]},
        captures={"#1001": 1}, email_partners={"ada@example.com": [7]},
        external_partners={"42": {7}}, sku_products={"TOTE-NATURAL": [900]})
    assert set(clean.values()) == {0}
    assert duplicates.shown(clean) == (
        "sale orders 0, invoices 0, payments 0, partners per e-mail 0, "
        "partners per external id 0, products per SKU 0")
    doubled = duplicates.counts(
        sales={"#1001": [10, 11]}, invoices={10: [100, 101]}, payments={"#1001": [500, 501]},
        captures={"#1001": 1}, email_partners={"ada@example.com": [7, 8]},
        external_partners={"42": {7, 8}, "43": {9}},
        sku_products={"TOTE-NATURAL": [900, 901], "BEANIE-GREY": [902]})
    assert doubled == {"sale orders": 1, "invoices": 1, "payments": 1, "partners per e-mail": 1,
                       "partners per external id": 1, "products per SKU": 1}
    result = books.compare({"1": shop()}, {"#1001": [10]},
                           {10: [(100, "out_invoice", Decimal("53.64"), "")]},
                           {100: {"manual": Decimal("53.64")}})
    assert result.ok
    result.duplicates = doubled
    assert not result.ok and result.duplicated == 6
    assert "duplicates: sale orders 1, invoices 1, payments 1, partners per e-mail 1" in (
        result.summary())


def test_a_product_created_twice_in_the_sandbox_store_is_a_duplicate(stack):
    store = stack.shopify.store
    before = duplicates.sandbox_products_by_sku(stack.shopify, {"BEANIE-NAVY"})
    assert [len(set(ids)) for ids in before.values()] == [1]
    assert duplicates.counts(sku_products=before)["products per SKU"] == 0
    store.add_product("Beanie again", variants=[{"sku": "BEANIE-NAVY", "price": "12.00"}])
    after = duplicates.sandbox_products_by_sku(stack.shopify, {"BEANIE-NAVY"})
    assert duplicates.counts(sku_products=after)["products per SKU"] == 1
