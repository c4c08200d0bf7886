from decimal import Decimal

from odoo.tests import tagged

from ..canonical import Payment, Refund, RefundLine
from ..engine.order_import import OrderImporter
from ..engine.refund_import import RefundImporter
from ..errors import DataError, TransientError
from .test_order_import import OrderCase


@tagged("post_install", "-at_install")
class TestRefundImport(OrderCase):
    def refund(self, restock=False, shipping="5.00", external_id="R1", order_id="1001"):
        return Refund(
            external_id=external_id,
            order_external_id=order_id,
            lines=[
                RefundLine(
                    order_line_external_id="L1", quantity=1, amount=Decimal("20"), restock=restock
                )
            ],
            shipping_amount=Decimal(shipping),
            transactions=[
                Payment(
                    external_id="T9",
                    gateway="shopify_payments",
                    kind="refund",
                    status="success",
                    amount=Decimal("29"),
                    currency="USD",
                )
            ],
            created_at="2026-05-03T10:00:00Z",
        )

    def test_refund_becomes_a_paid_credit_note_once(self):
        sale = OrderImporter(self.backend).import_order(self.make_order())
        importer = RefundImporter(self.backend)
        credit_note = importer.import_refund(self.refund())
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(
            credit_note.reversed_entry_id,
            sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice"),
        )
        self.assertAlmostEqual(credit_note.amount_total, 29.0)  # 20 + 20% VAT + 5 shipping
        self.assertIn(credit_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(importer.import_refund(self.refund()), credit_note)
        self.assertEqual(len(sale.invoice_ids.filtered(lambda m: m.move_type == "out_refund")), 1)

    def test_restocked_lines_make_a_return_of_the_delivery(self):
        sale = OrderImporter(self.backend).import_order(self.make_order())
        stock = self.env.ref("stock.stock_location_stock")
        self.env["stock.quant"]._update_available_quantity(self.shirt, stock, 10)
        delivery = sale.picking_ids
        delivery.action_assign()
        delivery.move_ids.quantity = 2
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        RefundImporter(self.backend).import_refund(self.refund(restock=True))
        returns = sale.picking_ids - delivery
        self.assertEqual(len(returns), 1)
        self.assertEqual(returns.move_ids.product_uom_qty, 1)
        self.assertEqual(returns.location_dest_id, delivery.location_id)

    def test_refund_before_its_order_is_retried(self):
        with self.assertRaisesRegex(TransientError, "not imported yet"):
            RefundImporter(self.backend).import_refund(self.refund(order_id="404"))

    def test_refund_of_an_uninvoiced_order_is_a_data_error(self):
        OrderImporter(self.backend).import_order(self.make_order(status="pending"))
        with self.assertRaisesRegex(DataError, "no posted invoice"):
            RefundImporter(self.backend).import_refund(self.refund())
