"""Books equal to the channel's figures, to the cent (issue: real orders, exact money).

Each test builds the canonical order a channel mapper produces and checks the figures in the
books themselves: the sale order, the invoice, the payments and the credit notes.
"""

from decimal import Decimal

from odoo.tests import tagged

from ..canonical import (
    Attribute,
    OrderLine,
    Payment,
    Refund,
    RefundAdjustment,
    RefundLine,
    ShippingLine,
)
from ..engine.order_import import OrderImporter
from ..engine.refund_import import RefundImporter
from ..errors import DataError, IgnoredEvent
from .test_order_import import VAT, OrderCase


def capture(external_id, gateway, amount, kind="sale", status="success"):
    return Payment(
        external_id=external_id,
        gateway=gateway,
        kind=kind,
        status=status,
        amount=Decimal(amount),
        currency="USD",
    )


@tagged("post_install", "-at_install")
class TestExactMoney(OrderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gift_journal = cls.env["account.journal"].create(
            {"name": "Gift cards", "code": "GIFT", "type": "bank"}
        )
        cls.env["retail.value.mapping"].create(
            {
                "backend_id": cls.backend.id,
                "kind": "gateway",
                "external_value": "gift_card",
                "journal_id": cls.gift_journal.id,
                "payment_workflow": "invoice_pay",
            }
        )

    def order(self, lines, total, payments=None, shipping=(), **extra):
        order = self.make_order(total=total, **extra)
        order.lines = lines
        order.shipping_lines = list(shipping)
        if payments is not None:
            order.payments = payments
            order.payments_complete = True
        else:
            order.payments = [capture("T1", "shopify_payments", total)]
            order.payments_complete = True
        return order

    def line(self, price, quantity, discount="0", taxes=(), external_id="L1", sku="SKU-1"):
        return OrderLine(
            external_id=external_id,
            sku=sku,
            title="Shirt",
            quantity=quantity,
            unit_price=Decimal(price),
            discount_amount=Decimal(discount),
            taxes=list(taxes),
        )

    def payments(self, sale):
        return self.env["account.payment"].search(
            [("retail_backend_id", "=", self.backend.id), ("partner_id", "=", sale.partner_id.id)]
        )

    def assert_books(self, sale, total):
        """Sale order, invoice and payments all equal ``total``."""
        total = float(total)
        self.assertAlmostEqual(sale.amount_total, total, places=2)
        invoice = sale.invoice_ids.filtered(lambda move: move.move_type == "out_invoice")
        self.assertAlmostEqual(sum(invoice.mapped("amount_total")), total, places=2)
        self.assertAlmostEqual(sum(self.payments(sale).mapped("amount")), total, places=2)
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True)

    # ------------------------------------------------------------------
    # Discounts
    # ------------------------------------------------------------------
    def test_fixed_discount_is_booked_to_the_cent(self):
        # 5.00 off 159.99 used to become 3.13 % and 154.98.
        sale = OrderImporter(self.backend).import_order(
            self.order([self.line("159.99", 1, "5.00")], "154.99")
        )
        self.assert_books(sale, "154.99")
        line = sale.order_line.filtered(lambda sol: sol.retail_external_line_id == "L1")
        self.assertEqual(line.price_unit, 159.99)
        self.assertEqual(line.retail_discount_amount, 5.0)
        self.assertAlmostEqual(line.price_subtotal, 154.99, places=2)

    def test_tiny_discount_on_a_large_line(self):
        # 0.07 off 3 x 999.99 could not be expressed with a 2-digit percentage.
        sale = OrderImporter(self.backend).import_order(
            self.order([self.line("999.99", 3, "0.07")], "2999.90")
        )
        self.assert_books(sale, "2999.90")

    def test_discounted_line_taxed_on_its_net_amount(self):
        # 3 x 19.99 - 1.23 = 58.74; VAT 20 % on it = 11.748 -> 11.75; total 70.49.
        sale = OrderImporter(self.backend).import_order(
            self.order([self.line("19.99", 3, "1.23", taxes=VAT)], "70.49")
        )
        self.assert_books(sale, "70.49")
        self.assertAlmostEqual(sale.amount_tax, 11.75, places=2)

    def test_fully_discounted_line_and_free_shipping(self):
        shipping = ShippingLine(
            title="Standard", code="standard", price=Decimal("5.00"), discount_amount=Decimal("5")
        )
        lines = [
            self.line("20.00", 1, "20.00"),
            self.line("12.50", 2, "0", external_id="L2", sku="SKU-2"),
        ]
        sale = OrderImporter(self.backend).import_order(
            self.order(lines, "25.00", shipping=[shipping])
        )
        self.assert_books(sale, "25.00")

    def test_a_total_one_cent_off_fails_naming_both_figures(self):
        with self.assertRaisesRegex(DataError, r"channel says 154\.98, Odoo computes 154\.99"):
            OrderImporter(self.backend).import_order(
                self.order([self.line("159.99", 1, "5.00")], "154.98")
            )

    # ------------------------------------------------------------------
    # Payments
    # ------------------------------------------------------------------
    def test_one_payment_per_captured_transaction_in_its_gateway_journal(self):
        payments = [
            capture("T1", "gift_card", "20.00"),
            capture("T2", "shopify_payments", "33.00"),
            capture("T3", "shopify_payments", "33.00", status="failure"),
        ]
        sale = OrderImporter(self.backend).import_order(
            self.order(
                [self.line("20.00", 2, taxes=VAT)],
                "53.00",
                payments=payments,
                shipping=[ShippingLine(title="Standard", code="standard", price=Decimal("5.00"))],
            )
        )
        self.assert_books(sale, "53.00")
        booked = {p.retail_transaction_id: (p.amount, p.journal_id) for p in self.payments(sale)}
        self.assertEqual(booked["T1"], (20.0, self.gift_journal))
        self.assertEqual(booked["T2"], (33.0, self.bank))
        self.assertNotIn("T3", booked)

    def test_authorization_is_booked_when_captured_and_only_once(self):
        importer = OrderImporter(self.backend)
        authorized = self.order(
            [self.line("50.00", 1)],
            "50.00",
            payments=[capture("A1", "shopify_payments", "50.00", kind="authorization")],
            status="authorized",
        )
        sale = importer.import_order(authorized)
        self.assertFalse(sale.invoice_ids, "an authorization books nothing")
        captured = self.order(
            [self.line("50.00", 1)],
            "50.00",
            payments=[
                capture("A1", "shopify_payments", "50.00", kind="authorization"),
                capture("C1", "shopify_payments", "30.00", kind="capture"),
            ],
            status="partially_paid",
            updated="2026-05-01T11:00:00Z",
        )
        importer.import_order(captured)
        self.assertEqual(self.payments(sale).mapped("amount"), [30.0])
        captured.payments.append(capture("C2", "shopify_payments", "20.00", kind="capture"))
        captured.financial_status = "paid"
        captured.updated_at = "2026-05-01T12:00:00Z"
        importer.import_order(captured)
        self.assertEqual(sorted(self.payments(sale).mapped("amount")), [20.0, 30.0])
        self.assert_books(sale, "50.00")

    # ------------------------------------------------------------------
    # Refunds
    # ------------------------------------------------------------------
    def paid_order(self, quantity=2, deliver=False):
        sale = OrderImporter(self.backend).import_order(
            self.order([self.line("50.00", quantity)], f"{50 * quantity:.2f}")
        )
        if deliver:
            picking = sale.picking_ids
            picking.move_ids.quantity = quantity
            picking.button_validate()
        return sale

    def refund(self, lines=(), transactions=("100.00",), adjustments=(), shipping="0"):
        return Refund(
            external_id="R1",
            order_external_id="1001",
            lines=list(lines),
            shipping_amount=Decimal(shipping),
            adjustments=list(adjustments),
            transactions=[
                capture(f"RT{index}", "shopify_payments", amount, kind="refund")
                for index, amount in enumerate(transactions)
            ],
        )

    def credit_notes(self, sale):
        return sale.invoice_ids.filtered(lambda move: move.move_type == "out_refund")

    def test_restocking_fee_is_a_visible_adjustment_line(self):
        # Two units worth 100.00 refunded, 85.00 paid back: 15.00 kept as a restocking fee.
        self.paid_order()
        refund = self.refund(
            lines=[RefundLine("L1", 2, Decimal("100.00"), restock_type="cancel")],
            transactions=["85.00"],
            adjustments=[
                RefundAdjustment("refund_discrepancy", Decimal("-15.00"), reason="Restocking fee")
            ],
        )
        credit_note = RefundImporter(self.backend).import_refund(refund)
        self.assertAlmostEqual(credit_note.amount_total, 85.0, places=2)
        adjustment = credit_note.invoice_line_ids.filtered(
            lambda line: line.product_id == self.backend.refund_adjustment_product_id
        )
        self.assertAlmostEqual(adjustment.price_subtotal, -15.0, places=2)
        refunds = self.env["account.payment"].search([("retail_transaction_id", "=", "RT0")])
        self.assertEqual(refunds.mapped("amount"), [85.0])
        self.assertEqual(refunds.payment_type, "outbound")

    def test_unexplained_refund_difference_fails_naming_figures(self):
        sale = self.paid_order()
        refund = self.refund(lines=[RefundLine("L1", 2, Decimal("100.00"))], transactions=["85.00"])
        with (
            self.assertRaisesRegex(DataError, r"refunded 85\.0.*come to 100\.0"),
            self.env.cr.savepoint(),
        ):
            RefundImporter(self.backend).import_refund(refund)
        self.assertFalse(self.credit_notes(sale))

    def test_goodwill_refund_without_lines(self):
        sale = self.paid_order()
        refund = self.refund(
            transactions=["10.00"],
            adjustments=[
                RefundAdjustment("refund_discrepancy", Decimal("10.00"), reason="Goodwill")
            ],
        )
        credit_note = RefundImporter(self.backend).import_refund(refund)
        self.assertAlmostEqual(credit_note.amount_total, 10.0, places=2)
        self.assertEqual(self.credit_notes(sale), credit_note)

    def test_shipping_only_refund(self):
        shipping = ShippingLine(title="Standard", code="standard", price=Decimal("5.00"))
        sale = OrderImporter(self.backend).import_order(
            self.order([self.line("50.00", 1)], "55.00", shipping=[shipping])
        )
        credit_note = RefundImporter(self.backend).import_refund(
            self.refund(shipping="5.00", transactions=["5.00"])
        )
        self.assertAlmostEqual(credit_note.amount_total, 5.0, places=2)
        self.assertEqual(
            sale.order_line.filtered("retail_external_line_id").mapped("product_uom_qty"),
            [1.0, 1.0],
        )

    def test_refunded_units_not_shipped_leave_the_delivery(self):
        sale = self.paid_order(quantity=3)
        RefundImporter(self.backend).import_refund(
            self.refund(
                lines=[RefundLine("L1", 1, Decimal("50.00"), restock_type="cancel")],
                transactions=["50.00"],
            )
        )
        line = sale.order_line.filtered(lambda sol: sol.retail_external_line_id == "L1")
        self.assertEqual(line.product_uom_qty, 2)
        self.assertEqual(sum(sale.picking_ids.move_ids.mapped("product_uom_qty")), 2)
        self.assertEqual(line.qty_invoiced, 2, "the credit note is linked to the sale line")

    def test_returned_units_come_back_without_reducing_the_order(self):
        sale = self.paid_order(quantity=2, deliver=True)
        RefundImporter(self.backend).import_refund(
            self.refund(
                lines=[RefundLine("L1", 1, Decimal("50.00"), restock=True, restock_type="return")],
                transactions=["50.00"],
            )
        )
        returns = sale.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertEqual(returns.move_ids.product_uom_qty, 1)
        line = sale.order_line.filtered(lambda sol: sol.retail_external_line_id == "L1")
        self.assertEqual((line.product_uom_qty, line.qty_invoiced), (2, 2))

    def test_orders_updated_after_a_refund_changes_nothing_more(self):
        sale = self.paid_order(quantity=3)
        RefundImporter(self.backend).import_refund(
            self.refund(
                lines=[RefundLine("L1", 1, Decimal("50.00"), restock_type="cancel")],
                transactions=["50.00"],
            )
        )
        updated = self.order([self.line("50.00", 3)], "150.00", updated="2026-05-02T10:00:00Z")
        updated.lines[0].current_quantity = 2
        updated.lines[0].refunded_quantity = 1
        OrderImporter(self.backend).import_order(updated)
        line = sale.order_line.filtered(lambda sol: sol.retail_external_line_id == "L1")
        self.assertEqual(line.product_uom_qty, 2)

    # ------------------------------------------------------------------
    # Details
    # ------------------------------------------------------------------
    def test_details_kept(self):
        line = self.line("20.00", 1)
        line.properties = [Attribute("Engraving", "Ada")]
        order = self.order(
            [line],
            "20.00",
            note="Leave at the door",
            tags=["vip", "wholesale"],
            note_attributes=[Attribute("Gift message", "Happy birthday")],
            created_at="2026-04-30T08:15:00Z",
        )
        sale = OrderImporter(self.backend).import_order(order)
        self.assertEqual(str(sale.date_order), "2026-04-30 08:15:00")
        self.assertIn("Engraving: Ada", sale.order_line[0].name)
        self.assertEqual(sale.retail_customer_note, "Leave at the door")
        self.assertEqual(sale.retail_note_attributes, "Gift message: Happy birthday")
        self.assertEqual(sale.retail_channel_tags, "vip, wholesale")
        self.assertTrue({"vip", "wholesale"} <= set(sale.tag_ids.mapped("name")))

    def test_test_orders_are_ignored_unless_asked(self):
        order = self.order([self.line("20.00", 1)], "20.00", test=True)
        with self.assertRaisesRegex(IgnoredEvent, "test order"):
            OrderImporter(self.backend).import_order(order)
        self.backend.import_test_orders = True
        sale = OrderImporter(self.backend).import_order(order)
        self.assertEqual((sale.state, sale.retail_test_order), ("draft", True))
        self.assertFalse(sale.invoice_ids)

    def test_custom_items_gift_cards_and_tips_use_the_backend_products(self):
        lines = [
            OrderLine(
                external_id="C1",
                title="Protection plan",
                quantity=1,
                unit_price=Decimal("9.99"),
                kind="custom",
            ),
            OrderLine(
                external_id="G1",
                title="Gift card",
                quantity=1,
                unit_price=Decimal("25.00"),
                kind="gift_card",
            ),
            OrderLine(
                external_id="tip", title="Tip", quantity=1, unit_price=Decimal("3.00"), kind="tip"
            ),
            OrderLine(external_id="N1", title="Fee", quantity=1, unit_price=Decimal("1.00")),
        ]
        sale = OrderImporter(self.backend).import_order(self.order(lines, "38.99"))
        products = {line.retail_external_line_id: line.product_id for line in sale.order_line}
        self.assertEqual(products["C1"], self.backend.custom_item_product_id)
        self.assertEqual(products["N1"], self.backend.custom_item_product_id)
        self.assertEqual(products["G1"], self.backend.gift_card_product_id)
        self.assertEqual(products["tip"], self.backend.tip_product_id)
        self.assertEqual(sale.order_line[0].name, "Protection plan")
        self.assert_books(sale, "38.99")

    def test_every_unknown_sku_named_and_no_lines_said(self):
        lines = [
            self.line("1.00", 1, sku="NOPE-1"),
            self.line("1.00", 1, sku="NOPE-2", external_id="L2"),
        ]
        with self.assertRaisesRegex(DataError, "Unknown SKU 'NOPE-1'.*Unknown SKU 'NOPE-2'"):
            OrderImporter(self.backend).import_order(self.order(lines, "2.00"))
        with self.assertRaisesRegex(DataError, "has no line"):
            OrderImporter(self.backend).import_order(self.order([], "0.00"))
