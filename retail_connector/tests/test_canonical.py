from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from ..canonical import Order, OrderLine, TaxLine, from_dict, record_hash, to_dict
from ..errors import backoff_delay


@tagged("post_install", "-at_install")
class TestCanonical(TransactionCase):
    def test_round_trip_keeps_decimals_and_nesting(self):
        order = Order(
            external_id="1001",
            currency="EUR",
            total=Decimal("21.50"),
            lines=[
                OrderLine(
                    external_id="L1",
                    sku="SKU-1",
                    quantity=2,
                    unit_price=Decimal("10.75"),
                    taxes=[TaxLine(title="VAT", rate=Decimal("0.2"), amount=Decimal("3.58"))],
                )
            ],
        )
        data = to_dict(order)
        self.assertEqual(data["total"], "21.50")
        rebuilt = from_dict(Order, data)
        self.assertEqual(rebuilt, order)
        self.assertIsInstance(rebuilt.lines[0].taxes[0].rate, Decimal)

    def test_unknown_field_is_refused_with_its_name(self):
        with self.assertRaisesRegex(ValueError, "colour"):
            from_dict(OrderLine, {"external_id": "L1", "colour": "red"})

    def test_hash_ignores_key_order_and_sees_changes(self):
        self.assertEqual(record_hash({"a": 1, "b": 2}), record_hash({"b": 2, "a": 1}))
        self.assertNotEqual(record_hash({"a": 1}), record_hash({"a": 2}))

    def test_backoff_honours_retry_after(self):
        self.assertEqual(backoff_delay(1, retry_after="7"), 7)
        self.assertEqual(backoff_delay(1, retry_after=2.2), 3)
        self.assertEqual(backoff_delay(1), 10)
        self.assertEqual(backoff_delay(50), 1800)
