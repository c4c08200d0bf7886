from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..canonical import StockLevel
from ..engine.outbound import Exporter, mark_dirty
from .common import RetailCase


class RecordingStockExporter(Exporter):
    """A channel-less exporter: builds stock levels and records each batch it is given."""

    binding_model = "retail.product.binding"
    batch_size = 2

    def __init__(self, backend, flow):
        super().__init__(backend, flow)
        self.batches = []

    def build(self, binding):
        return StockLevel(
            inventory_item_id=binding.external_id,
            location_id="L1",
            quantity=binding.odoo_id.qty_available,
        )

    def send(self, items):
        self.batches.append([binding.external_id for binding, _record in items])


@tagged("post_install", "-at_install")
class TestOutbound(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.generic_export_flows = "stock"
        Binding = cls.env["retail.product.binding"]
        cls.bindings = Binding
        for index in range(5):
            product = cls.env["product.product"].create({"name": f"P{index}", "is_storable": True})
            cls.bindings |= Binding.create(
                {"backend_id": cls.backend.id, "odoo_id": product.id, "external_id": f"V{index}"}
            )

    def test_burst_of_changes_coalesces_into_one_job(self):
        with trap_jobs() as trap:
            for binding in self.bindings:
                mark_dirty(binding, "stock")
            trap.assert_jobs_count(1, only=self.backend._export_flow)
        self.assertTrue(all(self.bindings.mapped("export_pending")))

    def test_no_export_inside_an_import(self):
        with trap_jobs() as trap:
            mark_dirty(self.bindings.with_context(retail_no_export=True), "stock")
            trap.assert_jobs_count(0)
        self.assertFalse(any(self.bindings.mapped("export_pending")))

    def test_batches_then_hash_skip_on_rerun(self):
        self.bindings.write({"export_pending": True})
        exporter = RecordingStockExporter(self.backend, "stock")
        report = exporter.run()
        self.assertEqual(exporter.batches, [["V0", "V1"], ["V2", "V3"], ["V4"]])
        self.assertEqual((report.sent, report.calls, report.skipped), (5, 3, 0))
        self.assertFalse(any(self.bindings.mapped("export_pending")))

        self.bindings.write({"export_pending": True})
        rerun = RecordingStockExporter(self.backend, "stock")
        report = rerun.run()
        self.assertEqual(rerun.batches, [], "unchanged records are not sent again")
        self.assertEqual((report.sent, report.skipped), (0, 5))

        quant_location = self.env.ref("stock.stock_location_stock")
        self.env["stock.quant"]._update_available_quantity(
            self.bindings[2].odoo_id, quant_location, 4
        )
        self.env.invalidate_all()  # quantities are read fresh, as a new job would
        self.bindings.write({"export_pending": True})
        changed = RecordingStockExporter(self.backend, "stock")
        changed.run()
        self.assertEqual(changed.batches, [["V2"]])


@tagged("post_install", "-at_install")
class TestStockChanges(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.generic_export_flows = "stock"
        cls.stock = cls.env.ref("stock.stock_location_stock")
        cls.product = cls.env["product.product"].create({"name": "Boot", "is_storable": True})
        cls.binding = cls.env["retail.product.binding"].create(
            {"backend_id": cls.backend.id, "odoo_id": cls.product.id, "external_id": "V-BOOT"}
        )

    def test_quant_changes_mark_dirty_once_before_commit(self):
        from ..engine.stock import available_quantities

        Quant = self.env["stock.quant"]
        with trap_jobs() as trap:
            for _index in range(5):
                Quant._update_available_quantity(self.product, self.stock, 2)
            self.assertFalse(self.binding.export_dirty, "marked at commit time, not per move")
            self.env.cr.precommit.run()
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].method_name, "_export_flow")
        self.assertTrue(self.binding.export_dirty)
        Quant._update_reserved_quantity(self.product, self.stock, 3)
        self.assertEqual(
            available_quantities(self.env, self.product, self.stock), {self.product.id: 7.0}
        )

    def test_backends_that_take_no_stock_are_not_marked(self):
        self.backend.generic_export_flows = "products"
        with trap_jobs() as trap:
            self.env["stock.quant"]._update_available_quantity(self.product, self.stock, 2)
            self.env.cr.precommit.run()
            trap.assert_jobs_count(0)
        self.assertFalse(self.binding.export_dirty)

    def test_changes_made_by_an_import_are_not_echoed(self):
        Quant = self.env["stock.quant"].with_context(retail_no_export=True)
        with trap_jobs() as trap:
            Quant._update_available_quantity(self.product, self.stock, 2)
            self.env.cr.precommit.run()
            trap.assert_jobs_count(0)
        self.assertFalse(self.binding.export_dirty)
