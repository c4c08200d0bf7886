from odoo.tests import tagged

from ..engine.order_import import OrderImporter
from ..engine.reconcile import compare_order
from .test_order_import import OrderCase


@tagged("post_install", "-at_install")
class TestReconcile(OrderCase):
    def kinds(self, order, sale):
        return [m.kind for m in compare_order(order, sale, self.backend.rounding_tolerance)]

    def test_a_clean_order_has_no_mismatch(self):
        order = self.make_order()
        sale = OrderImporter(self.backend).import_order(order)
        self.assertEqual(self.kinds(order, sale), [])

    def test_each_difference_is_one_mismatch_of_its_kind(self):
        order = self.make_order()
        sale = OrderImporter(self.backend).import_order(order)
        self.assertEqual(self.kinds(order, self.env["sale.order"]), ["missing_order"])
        changed = self.make_order(total="60.00")
        self.assertEqual(self.kinds(changed, sale), ["amount"])
        refunded = self.make_order(status="refunded")
        self.assertEqual(self.kinds(refunded, sale), ["refund_missing"])
        invoice = sale.invoice_ids
        invoice.button_draft()
        invoice.button_cancel()
        self.assertEqual(self.kinds(order, sale), ["invoice_missing"])

    def test_report_queues_exceptions_and_reimport(self):
        order = self.make_order()
        report = self.env["retail.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": "2026-05-01", "date_to": "2026-05-01"}
        )
        report.action_run()
        self.assertEqual((report.state, report.checked_count), ("clean", 0))
        line = self.env["retail.reconciliation.line"].create(
            {
                "reconciliation_id": report.id,
                "kind": "missing_order",
                "reference": order.name,
                "expected": "a sale order",
                "found": "none",
                "can_reimport": True,
                "payload": '{"external_id": "x"}',
            }
        )
        line._queue_exceptions()
        self.assertEqual(line.event_id.state, "failed")
        self.assertIn("Order missing in Odoo", line.event_id.error_message)
        line.action_reimport()
        self.assertEqual(line.event_id.topic, "order")
        self.assertEqual(line.event_id.state, "queued")

    def test_report_checks_the_orders_it_is_given(self):
        """``_check_orders`` compares what the channel gave with Odoo: one line per gap."""
        clean = self.make_order("2001")
        changed = self.make_order("2002")
        Importer = OrderImporter(self.backend)
        clean_sale = Importer.import_order(clean)
        changed_sale = Importer.import_order(changed)
        self.assertTrue(clean_sale and changed_sale)
        after_edit = self.make_order("2002", quantity=1, total="29.00")
        report = self.env["retail.reconciliation"].create(
            {"backend_id": self.backend.id, "date_from": "2026-05-01", "date_to": "2026-05-01"}
        )
        report._check_orders([(clean, {"id": "2001"}), (after_edit, {"id": "2002"})])
        self.assertEqual((report.state, report.checked_count), ("mismatch", 2))
        self.assertEqual(
            [(line.kind, line.reference, line.res_id) for line in report.line_ids],
            [("amount", "#2002", changed_sale.id)],
        )
        self.assertEqual(report.line_ids.expected, "29.00")
        self.assertEqual(report.line_ids.event_id.state, "failed")
        self.assertIn("Fix it by hand", report.line_ids.event_id.error_message)
        # the engine alone adds nothing of its own for the sale orders checked
        self.assertEqual(report._extra_mismatches(clean_sale | changed_sale), [])
        # run again over the clean order only: the previous lines are replaced
        report._check_orders([(clean, {"id": "2001"})])
        self.assertEqual(
            (report.state, report.checked_count, report.line_ids.ids), ("clean", 1, [])
        )
