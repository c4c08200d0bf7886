"""A stock export waiting on a slow Shopify holds no row a warehouse user needs.

These tests commit on their own cursors (a second, real transaction is the point) and
archive what they committed at the end.
"""

import itertools

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from odoo.addons.retail_connector import compat

from .common import LOCK_TIMEOUT, CommittedShopifyMixin

_SEQUENCE = itertools.count(1)


@tagged("post_install", "-at_install")
class TestStockExportHoldsNoLock(CommittedShopifyMixin, TransactionCase):
    def setUp(self):
        super().setUp()
        main = self.sandbox.seeded["locations"]["main"]
        sku = f"LOCKFREE-{next(_SEQUENCE)}"
        created = self.control.seed({"products": [{
            "title": sku, "variants": [{"sku": sku, "price": "9.00",
                                        "stock": {str(main): 0}}]}]})["created"]["variants"]
        variant_id = created[sku]
        item_id = next(v["inventory_item_id"] for v in self.control.state("variants")
                       if v["id"] == variant_id)
        with self.registry.cursor() as cr:
            env = self.committed_env(cr, tracking_disable=True)
            self.stock = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1).lot_stock_id
            backend = self.create_committed_backend(env, f"No-lock shop {sku}")
            env["retail.value.mapping"].create(
                {"backend_id": backend.id, "kind": "location", "external_value": str(main),
                 "location_id": self.stock.id})
            product = env["product.product"].create(
                {"name": sku, "default_code": sku, "is_storable": True})
            env["retail.product.binding"].create(
                {"backend_id": backend.id, "odoo_id": product.id,
                 "external_id": str(variant_id), "inventory_item_id": str(item_id)})
            env["stock.quant"]._update_available_quantity(product, self.stock, 10)
            self.backend_id, self.product_id, self.sku = backend.id, product.id, sku
        self.archive_at_end()

    def export(self):
        """One export job on its own cursor, committed like queue_job's runner does."""
        return self.on_own_cursor(
            lambda env: env["retail.backend"].browse(self.backend_id)._export_flow("stock"))

    def in_store(self):
        main = self.sandbox.seeded["locations"]["main"]
        return self.control.inventory_level(self.sku, main)["quantities"]["available"]

    def validate_delivery(self, quantity, meanwhile=None):
        """A warehouse user ships ``quantity`` on a transaction of their own that gives up
        on any row lock after LOCK_TIMEOUT; ``meanwhile()`` runs once that transaction has
        its snapshot, before the picking is made."""
        with self.registry.cursor() as cr:
            cr.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1)
            if meanwhile:
                meanwhile()
            picking = env["stock.picking"].create({
                "picking_type_id": warehouse.out_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
                "move_ids": [(0, 0, compat.stock_move_values(
                    self.sku, product_id=self.product_id, product_uom_qty=quantity,
                    location_id=warehouse.lot_stock_id.id,
                    location_dest_id=env.ref("stock.stock_location_customers").id,
                ))],
            })
            picking.action_confirm()
            picking.action_assign()
            picking.move_ids.write({"quantity": quantity, "picked": True})
            picking.button_validate()
            return picking.state

    def test_a_picking_validated_during_a_slow_export_commits_and_is_sent_next(self):
        self.assertIn("sent 1", self.export())
        self.assertEqual(self.in_store(), 10)
        with self.registry.cursor() as cr:  # a stock change to send
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["stock.quant"]._update_available_quantity(
                env["product.product"].browse(self.product_id), env["stock.location"].browse(
                    self.stock.id), -3)
        self.hold_call("InventorySetQuantities")
        with self.aside(self.export) as export:
            # the export's call is in flight once the sandbox took the latency rule
            self.wait_for_held_call()
            self.assertFalse(self.control.faults(), "the export never called Shopify")
            # the warehouse user's transaction neither waits for the export nor conflicts
            self.assertEqual(self.validate_delivery(2), "done")
        self.assertIn("sent 1", export["result"])
        self.assertEqual(self.in_store(), 7, "the slow export sent what it had claimed")
        with self.registry.cursor() as cr:
            binding = api.Environment(cr, SUPERUSER_ID, {})["retail.product.binding"].search(
                [("backend_id", "=", self.backend_id)])
            self.assertTrue(binding.export_pending, "changed while sent: still dirty")
        self.assertIn("sent 1", self.export())
        self.assertEqual(self.in_store(), 5, "the next run sends the validated quantity")

    def test_a_picking_whose_snapshot_predates_an_export_commits(self):
        """Repeatable read: a validation that began before an export claimed and recorded
        the product's binding still commits (its stock change is an inserted mark, not an
        update of a row the export changed after the validation's snapshot)."""
        with self.registry.cursor() as cr:  # a stock change to send
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["stock.quant"]._update_available_quantity(
                env["product.product"].browse(self.product_id), env["stock.location"].browse(
                    self.stock.id), 2)
        reports = []
        self.assertEqual(
            self.validate_delivery(3, meanwhile=lambda: reports.append(self.export())), "done")
        self.assertIn("sent 1", reports[0])
        self.assertEqual(self.in_store(), 12)
        with self.registry.cursor() as cr:
            binding = api.Environment(cr, SUPERUSER_ID, {})["retail.product.binding"].search(
                [("backend_id", "=", self.backend_id)])
            self.assertTrue(binding.export_dirty, "the validation's change waits for export")
        self.assertIn("sent 1", self.export())
        self.assertEqual(self.in_store(), 9, "the next run sends the validated quantity")
