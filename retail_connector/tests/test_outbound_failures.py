from odoo.tests import tagged

from ..engine.failures import close_outbound_failures, record_outbound_failure
from ..errors import DataError
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestOutboundFailures(RetailCase):
    """One open exception row per backend, flow and record, updated, then closed."""

    def open_rows(self, flow="stock"):
        return self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", f"export/{flow}"),
             ("state", "=", "failed")]
        )

    def test_repeated_failures_of_a_record_update_one_row_closed_on_success(self):
        product = self.env["product.product"].create({"name": "Row kept"})
        other = self.env["product.product"].create({"name": "Row apart"})
        for attempt in range(1, 4):
            record_outbound_failure(self.backend, "stock", f"refused #{attempt}", record=product)
        record_outbound_failure(self.backend, "stock", "refused", record=other)
        rows = self.open_rows()
        self.assertEqual(len(rows), 2)
        mine = rows.filtered(lambda row: row.res_id == product.id)
        self.assertEqual((mine.attempts, mine.error_message), (3, "refused #3"))
        self.assertEqual((mine.res_model, mine.direction), ("product.product", "out"))

        close_outbound_failures(self.backend, "stock", product)
        self.assertEqual(mine.state, "done")
        self.assertEqual(self.open_rows(), rows - mine)
        # a later failure opens a new row: the closed one stays as history
        again = record_outbound_failure(self.backend, "stock", "refused again", record=product)
        self.assertNotEqual(again, mine)
        self.assertEqual(again.attempts, 1)

    def test_a_failed_run_keeps_one_row_per_flow(self):
        Event = self.env["retail.event"]
        for _attempt in range(3):
            Event._record_outbound_failure(self.backend, "stock", DataError("no mapping"))
        Event._record_outbound_failure(self.backend, "products", DataError("no pricelist"))
        self.assertEqual(self.open_rows().attempts, 3)
        self.assertEqual(len(self.open_rows("products")), 1)
        close_outbound_failures(self.backend, "stock")
        self.assertFalse(self.open_rows())
        self.assertEqual(len(self.open_rows("products")), 1)
