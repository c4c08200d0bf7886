"""Shopify's REST shapes (as its API reference documents them) → canonical records.

The payloads are written from Shopify's reference of the Order, Refund and Transaction
resources (2024-10 and later): fields the mapper does not read are left in, nulls where
Shopify sends nulls. No database: the mappers are pure functions.
"""

from decimal import Decimal

from odoo.tests import BaseCase, tagged

from ..mappers.graphql import transaction_to_rest
from ..mappers.order import order_from_rest
from ..mappers.refund import refund_from_rest


def money_set(amount, currency="USD"):
    return {
        "shop_money": {"amount": amount, "currency_code": currency},
        "presentment_money": {"amount": amount, "currency_code": currency},
    }


def line_item(line_id, price, quantity, allocations=(), **extra):
    values = {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "fulfillment_service": "manual",
        "fulfillment_status": None,
        "gift_card": False,
        "grams": 100,
        "name": "IPod Nano - 8gb",
        "price": price,
        "price_set": money_set(price),
        "product_exists": True,
        "product_id": 632910392,
        "properties": [],
        "quantity": quantity,
        "requires_shipping": True,
        "sku": "IPOD2008PINK",
        "taxable": True,
        "title": "IPod Nano - 8gb",
        "total_discount": "0.00",
        "total_discount_set": money_set("0.00"),
        "variant_id": 49148385,
        "variant_inventory_management": "shopify",
        "variant_title": "Pink",
        "vendor": None,
        "tax_lines": [],
        "duties": [],
        "discount_allocations": [
            {
                "amount": amount,
                "amount_set": money_set(amount),
                "discount_application_index": index,
            }
            for index, amount in enumerate(allocations)
        ],
    }
    values.update(extra)
    return values


def order_payload(line_items, **extra):
    payload = {
        "id": 450789469,
        "admin_graphql_api_id": "gid://shopify/Order/450789469",
        "name": "#1001",
        "email": "bob.norman@mail.example.com",
        "created_at": "2008-01-10T11:00:00-05:00",
        "updated_at": "2008-01-10T11:00:00-05:00",
        "processed_at": "2008-01-10T11:00:00-05:00",
        "cancelled_at": None,
        "currency": "USD",
        "presentment_currency": "USD",
        "financial_status": "paid",
        "fulfillment_status": None,
        "taxes_included": False,
        "test": False,
        "tags": "",
        "note": None,
        "note_attributes": [],
        "total_tip_received": "0.00",
        "payment_gateway_names": ["bogus"],
        "line_items": line_items,
        "shipping_lines": [],
        "refunds": [],
        "customer": None,
        "billing_address": None,
        "shipping_address": None,
    }
    payload.update(extra)
    return payload


@tagged("post_install", "-at_install")
class TestShopifyReferenceShapes(BaseCase):
    def test_discount_allocations_are_amounts_summed_per_line(self):
        order = order_from_rest(
            order_payload(
                [line_item(1, "159.99", 1, allocations=["3.00", "2.00"])],
                total_price="154.99",
                current_total_price="154.99",
            )
        )
        self.assertEqual(order.lines[0].discount_amount, Decimal("5.00"))
        self.assertEqual(order.total, Decimal("154.99"))
        self.assertEqual(order.current_total, Decimal("154.99"))

    def test_shipping_discount_from_its_allocations(self):
        shipping = {
            "id": 369256396,
            "title": "Free Shipping",
            "code": "Free Shipping",
            "price": "10.00",
            "price_set": money_set("10.00"),
            "discounted_price": "0.00",
            "discounted_price_set": money_set("0.00"),
            "discount_allocations": [
                {"amount": "10.00", "amount_set": money_set("10.00"),
                 "discount_application_index": 0}
            ],
            "tax_lines": [],
            "source": "shopify",
        }
        order = order_from_rest(order_payload([line_item(1, "5.00", 1)], shipping_lines=[shipping]))
        self.assertEqual(order.shipping_lines[0].discount_amount, Decimal("10.00"))

    def test_custom_items_gift_cards_and_tips(self):
        custom = line_item(2, "9.99", 1, product_id=None, variant_id=None, sku=None,
                           title="Protection plan", name="Protection plan", product_exists=False)
        gift = line_item(3, "50.00", 1, gift_card=True, product_id=None, variant_id=None,
                         sku=None, taxable=False, requires_shipping=False)
        tip = line_item(4, "5.00", 1, product_id=None, variant_id=None, sku=None, title="Tip",
                        name="Tip", taxable=False, requires_shipping=False)
        order = order_from_rest(
            order_payload([line_item(1, "1.00", 1), custom, gift, tip], total_tip_received="5.00")
        )
        self.assertEqual([line.kind for line in order.lines],
                         ["product", "custom", "gift_card", "tip"])

    def test_tip_known_only_from_its_total_still_counts(self):
        order = order_from_rest(order_payload([line_item(1, "1.00", 1)],
                                              total_tip_received="2.50"))
        self.assertEqual(order.lines[-1].kind, "tip")
        self.assertEqual(order.lines[-1].unit_price, Decimal("2.50"))

    def test_details_and_test_flag(self):
        engraved = line_item(1, "1.00", 1,
                             properties=[{"name": "Engraving", "value": "Ada"},
                                         {"name": "_hidden", "value": None}])
        order = order_from_rest(
            order_payload(
                [engraved],
                test=True,
                tags="vip, wholesale",
                note="Leave at the door",
                note_attributes=[{"name": "Gift message", "value": "Happy birthday"}],
            )
        )
        self.assertTrue(order.test)
        self.assertEqual(order.tags, ["vip", "wholesale"])
        self.assertEqual(order.note_attributes[0].value, "Happy birthday")
        self.assertEqual([(p.name, p.value) for p in order.lines[0].properties],
                         [("Engraving", "Ada"), ("_hidden", "")])
        self.assertEqual(order.created_at, "2008-01-10T11:00:00-05:00")

    def test_current_quantity_and_refunded_quantity(self):
        refund = {"id": 509562969, "refund_line_items": [
            {"id": 104689539, "line_item_id": 1, "quantity": 1, "restock_type": "cancel"}]}
        order = order_from_rest(
            order_payload([line_item(1, "10.00", 3, current_quantity=1)], refunds=[refund])
        )
        self.assertEqual((order.lines[0].current_quantity, order.lines[0].refunded_quantity),
                         (1.0, 1.0))

    def test_transactions_become_payments(self):
        nodes = [
            {"id": "gid://shopify/OrderTransaction/1", "kind": "SALE", "status": "SUCCESS",
             "gateway": "gift_card", "test": False, "createdAt": "2026-01-01T00:00:00Z",
             "processedAt": "2026-01-01T00:00:00Z", "parentTransaction": None,
             "amountSet": {"shopMoney": {"amount": "20.00", "currencyCode": "USD"}}},
            {"id": "gid://shopify/OrderTransaction/2", "kind": "CAPTURE", "status": "SUCCESS",
             "gateway": "shopify_payments", "test": False, "createdAt": "2026-01-01T00:00:00Z",
             "processedAt": "2026-01-01T00:00:00Z",
             "parentTransaction": {"id": "gid://shopify/OrderTransaction/3"},
             "amountSet": {"shopMoney": {"amount": "33.00", "currencyCode": "USD"}}},
        ]
        order = order_from_rest(order_payload([line_item(1, "53.00", 1)]),
                                [transaction_to_rest(node) for node in nodes])
        self.assertTrue(order.payments_complete)
        self.assertEqual(
            [(p.external_id, p.gateway, p.kind, p.amount, p.parent_external_id)
             for p in order.payments],
            [("1", "gift_card", "sale", Decimal("20.00"), ""),
             ("2", "shopify_payments", "capture", Decimal("33.00"), "3")],
        )

    def test_refund_in_todays_shape(self):
        refund = refund_from_rest(
            {
                "id": 929361463,
                "order_id": 450789469,
                "created_at": "2026-01-10T11:00:00-05:00",
                "note": "Restocking fee kept",
                "restock": False,
                "refund_line_items": [
                    {"id": 1, "line_item_id": 466157049, "quantity": 1, "location_id": 487838322,
                     "restock_type": "return", "subtotal": 195.67,
                     "subtotal_set": money_set("195.67"), "total_tax": 3.98,
                     "total_tax_set": money_set("3.98")}
                ],
                "refund_shipping_lines": [
                    {"id": 2, "shipping_line_id": 369256396,
                     "subtotal_amount_set": money_set("5.00"),
                     "tax_amount_set": money_set("0.50")}
                ],
                "order_adjustments": [
                    {"id": 3, "order_id": 450789469, "refund_id": 929361463,
                     "kind": "refund_discrepancy", "reason": "Restocking fee",
                     "amount": "-10.00", "amount_set": money_set("-10.00"),
                     "tax_amount": "0.00", "tax_amount_set": money_set("0.00")}
                ],
                "transactions": [
                    {"id": 179259969, "order_id": 450789469, "kind": "refund",
                     "gateway": "bogus", "status": "success", "amount": "195.15",
                     "currency": "USD", "parent_id": 801038806, "test": False}
                ],
                "duties": [],
            }
        )
        self.assertEqual(refund.lines[0].amount, Decimal("195.67"))
        self.assertEqual(refund.lines[0].tax_amount, Decimal("3.98"))
        self.assertEqual(refund.lines[0].restock_type, "return")
        self.assertEqual((refund.shipping_amount, refund.shipping_tax_amount),
                         (Decimal("5.00"), Decimal("0.50")))
        self.assertEqual([(a.kind, a.amount) for a in refund.adjustments],
                         [("refund_discrepancy", Decimal("-10.00"))])
        self.assertEqual(refund.transactions[0].amount, Decimal("195.15"))

    def test_legacy_shipping_refund_adjustment_and_restock_flag(self):
        refund = refund_from_rest(
            {
                "id": 1, "order_id": 2, "restock": True,
                "refund_line_items": [{"id": 1, "line_item_id": 3, "quantity": 1,
                                       "subtotal": "10.00"}],
                "order_adjustments": [{"id": 9, "kind": "shipping_refund", "amount": "-5.00",
                                       "tax_amount": "0.00", "reason": "Shipping refund"}],
                "transactions": [],
            }
        )
        self.assertEqual(refund.shipping_amount, Decimal("5.00"))
        self.assertEqual(refund.adjustments, [])
        self.assertEqual((refund.lines[0].restock_type, refund.lines[0].restock),
                         ("legacy_restock", True))

    def test_a_polled_order_with_refunds_says_nothing_about_edits(self):
        from ..mappers.graphql import order_to_rest

        def node(refunded):
            return {
                "id": "gid://shopify/Order/1",
                "legacyResourceId": "1",
                "totalPriceSet": {"shopMoney": {"amount": "30.00"}},
                "totalRefundedSet": {"shopMoney": {"amount": refunded}},
                "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/7", "quantity": 3,
                                         "currentQuantity": 2}]},
            }

        edited = order_from_rest(order_to_rest(node("0.00")))
        self.assertEqual(edited.lines[0].current_quantity, 2.0)
        refunded = order_from_rest(order_to_rest(node("10.00")))
        self.assertIsNone(refunded.lines[0].current_quantity, "a refund is not an edit")

    def test_a_polled_refund_read_in_part_is_refused(self):
        """The catch-up reads a refund's lists a page each: one longer than its page is not
        booked in part (lines are paged; the other lists hold a few entries)."""
        from odoo.addons.retail_connector.errors import DataError

        from ..mappers.graphql import refund_to_rest

        node = {
            "id": "gid://shopify/Refund/5",
            "legacyResourceId": "5",
            "refundLineItems": {"nodes": [], "pageInfo": {"hasNextPage": False}},
            "transactions": {"nodes": [], "pageInfo": {"hasNextPage": True}},
        }
        with self.assertRaisesRegex(DataError, "read only in part.*transactions"):
            refund_from_rest(refund_to_rest(node, {"id": 7}))
        self.assertEqual(refund_to_rest(node, {"id": 7}, line_items=[]).get("incomplete"),
                         ["transactions"])
