"""Stock out, products and prices out, and the nightly reconciliation, against the sandbox."""

import itertools
import math

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector import compat

from .common import ShopifyCase

_SEQUENCE = itertools.count(1)


@tagged("post_install", "-at_install")
class TestShopifyExports(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.main_id = cls.sandbox.seeded["locations"]["main"]
        cls.store_id = cls.sandbox.seeded["locations"]["store"]
        cls.env["retail.value.mapping"].create(
            {"backend_id": cls.backend.id, "kind": "location",
             "external_value": str(cls.main_id), "location_id": cls.stock.id}
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def seed_variants(self, count, stock=None):
        """``count`` new variants in the sandbox, stocked at the main location; returns
        ``[(sku, variant id, inventory item id)]``."""
        prefix = f"EXP{next(_SEQUENCE)}-{self.id().rsplit('.', 1)[-1][:12]}"
        skus = [f"{prefix}-{index:05d}" for index in range(count)]
        products = [
            {"title": f"{prefix} {start}",
             "options": [{"name": "Size", "values": skus[start:start + 100]}],
             "variants": [{"sku": sku, "price": "10.00", "options": {"Size": sku},
                           "stock": stock or {str(self.main_id): 0}}
                          for sku in skus[start:start + 100]]}
            for start in range(0, count, 100)
        ]
        created = self.control.seed({"products": products})["created"]["variants"]
        items = {v["id"]: v["inventory_item_id"] for v in self.control.state("variants")
                 if v["sku"] in created}
        return [(sku, created[sku], items[created[sku]]) for sku in skus]

    def bind(self, seeded, bind_items=True):
        """Odoo products and bindings for seeded variants (in bulk)."""
        products = self.env["product.product"].create(
            [{"name": sku, "default_code": sku, "is_storable": True} for sku, _v, _i in seeded]
        )
        bindings = self.env["retail.product.binding"].create(
            [{"backend_id": self.backend.id, "odoo_id": product.id, "external_id": str(variant),
              "inventory_item_id": str(item) if bind_items else False}
             for product, (_sku, variant, item) in zip(products, seeded, strict=True)]
        )
        return products, bindings

    def set_stock(self, products, quantities):
        """Create quants in bulk (no stock move), then mark the bindings dirty."""
        self.env["stock.quant"].sudo().create(
            [{"product_id": product.id, "location_id": self.stock.id, "quantity": quantity}
             for product, quantity in zip(products, quantities, strict=True)]
        )

    def export_stock(self, bindings):
        bindings.write({"export_pending": True})
        return self.backend._export_flow("stock")

    def levels(self, location_id=None):
        """``{sku: available}`` of the sandbox at a location (default: main)."""
        location_id = location_id or self.main_id
        items = {i["id"]: i["sku"] for i in self.control.state("inventory_items")}
        return {items.get(level["item_id"]): level["quantities"]["available"]
                for level in self.control.state("inventory_levels")
                if level["location_id"] == location_id}

    def calls(self, operation):
        return self.control.counters()["operations"].get(operation, {}).get("calls", 0)

    def failed_events(self):
        return self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("direction", "=", "out"),
             ("state", "=", "failed")]
        )

    # ------------------------------------------------------------------
    # Stock out
    # ------------------------------------------------------------------
    def test_rows_a_dead_run_left_claimed_are_exported_again_by_the_cron(self):
        """A worker that died between its claim and its record leaves its rows claimed: once
        the claim expired, the catch-up cron schedules the flow, and the row goes out."""
        from datetime import timedelta

        from odoo import fields

        seeded = self.seed_variants(2)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [7, 9])
        live, dead = bindings
        now = fields.Datetime.now()
        bindings.write({"export_pending": True, "export_claimed_at": now})
        self.assertEqual(self.backend._schedule_stale_exports(), [], "a live run's claim")
        dead.export_claimed_at = now - timedelta(hours=2)
        with trap_jobs() as trap:
            self.env["retail.backend"]._cron_catch_up()
        exports = {job.args[0] for job in trap.enqueued_jobs
                   if job.method_name == "_export_flow" and job.recordset == self.backend}
        self.assertEqual(exports, {"products", "stock"})  # both flows send product bindings
        self.backend._export_flow("stock")
        levels = self.levels()
        self.assertEqual(levels[seeded[1][0]], 9, "the dead run's row went out")
        self.assertEqual(levels[seeded[0][0]], 0, "the live run's row is left to it")
        self.assertTrue(live.export_pending)
        # A backend whose flows have no exporter (generic) is passed over, not an error that
        # would stop the cron for every backend.
        generic = self.env["retail.backend"].create(
            {"name": "Generic flows", "backend_type": "generic", "generic_export_flows": "things"}
        )
        self.assertEqual(generic._schedule_stale_exports(), [])

    def test_stock_of_1000_variants_in_ceil_n_over_250_calls_then_nothing(self):
        count = 1000
        seeded = self.seed_variants(count)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [index % 37 + 1 for index in range(count)])
        self.control.reset_counters()
        report = self.export_stock(bindings)
        self.assertIn(f"sent {count}", report)
        self.assertEqual(self.calls("InventorySetQuantities"), math.ceil(count / 250))
        levels = self.levels()
        self.assertEqual(
            [levels[sku] for sku, _v, _i in seeded], [index % 37 + 1 for index in range(count)]
        )
        self.assertFalse(any(bindings.mapped("export_pending")))
        # nothing changed: every binding is skipped by its hash, no call at all
        self.control.reset_counters()
        report = self.export_stock(bindings)
        self.assertIn(f"unchanged {count}", report)
        self.assertEqual(self.calls("InventorySetQuantities"), 0)
        self.assertFalse(self.failed_events())

    def test_stock_change_marks_dirty_and_reserved_lowers_what_is_sent(self):
        seeded = self.seed_variants(2)
        (shirt, cap), bindings = self.bind(seeded)
        Quant = self.env["stock.quant"]
        with trap_jobs() as trap:
            Quant._update_available_quantity(shirt, self.stock, 10)
            Quant._update_available_quantity(cap, self.stock, 2)
            Quant._update_reserved_quantity(shirt, self.stock, 4)
            self.env.cr.precommit.run()
            trap.assert_jobs_count(1, only=self.backend._export_flow)
            self.assertTrue(all(bindings.mapped("export_dirty")))
            trap.perform_enqueued_jobs()
        # more reserved than on hand (a negative available) is sent as 0
        Quant.search([("product_id", "=", cap.id), ("location_id", "=", self.stock.id)]) \
            .sudo().write({"reserved_quantity": 5})
        self.export_stock(bindings[1])
        levels = self.levels()
        self.assertEqual(levels[seeded[0][0]], 6)
        self.assertEqual(levels[seeded[1][0]], 0)

    def test_stale_compare_is_reread_and_retried_once(self):
        seeded = self.seed_variants(3)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [5, 5, 5])
        self.export_stock(bindings)
        self.assertEqual(bindings[0].shopify_stock_state["levels"], {str(self.main_id): 5})
        # a merchant edits the first one in the admin, then Odoo's stock changes
        self.control.set_inventory(seeded[0][0], 9, location_id=self.main_id)
        self.set_stock(products, [-2, -1, 1])
        self.control.reset_counters()
        report = self.export_stock(bindings)
        self.assertIn("sent 3", report)
        self.assertEqual(self.calls("InventorySetQuantities"), 2)  # refused, then retried
        self.assertEqual(self.calls("InventoryLevelsById"), 1)
        levels = self.levels()
        self.assertEqual([levels[sku] for sku, _v, _i in seeded], [3, 4, 6])
        self.assertFalse(self.failed_events())

    def test_throttled_bucket_is_absorbed(self):
        seeded = self.seed_variants(5)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [1, 2, 3, 4, 5])
        self.control.add_fault("throttled", count=2, operation="InventorySetQuantities")
        report = self.export_stock(bindings)
        self.assertIn("sent 5", report)
        self.assertEqual(self.outcomes("InventorySetQuantities").get("ok"), 1)
        self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], [1, 2, 3, 4, 5])
        # a nearly empty bucket: the adapter waits for it to refill, nothing fails
        self.control.throttle(currently_available=2.0, restore_rate=200.0)
        self.set_stock(products, [1] * 5)
        self.assertIn("sent 5", self.export_stock(bindings))
        self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], [2, 3, 4, 5, 6])
        self.assertFalse(self.failed_events())
        self.assertFalse(self.backend.circuit_failure_count)

    def test_refused_sku_fails_alone_and_unknown_items_are_found_by_sku(self):
        seeded = self.seed_variants(3)
        products, bindings = self.bind(seeded, bind_items=False)
        bad = self.env["product.product"].create(
            {"name": "Ghost", "default_code": "GHOST-1", "is_storable": True}
        )
        ghost = self.env["retail.product.binding"].create(
            {"backend_id": self.backend.id, "odoo_id": bad.id, "external_id": "424242",
             "inventory_item_id": "999999999"}
        )
        nosku = self.env["product.product"].create({"name": "No SKU", "is_storable": True})
        orphan = self.env["retail.product.binding"].create(
            {"backend_id": self.backend.id, "odoo_id": nosku.id, "external_id": "434343"}
        )
        self.set_stock(products + bad + nosku, [7, 8, 9, 1, 1])
        self.export_stock(bindings | ghost | orphan)
        self.assertEqual(bindings.mapped("inventory_item_id"),
                         [str(item) for _s, _v, item in seeded])
        self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], [7, 8, 9])
        messages = self.failed_events().mapped("error_message")
        self.assertEqual(len(messages), 2)
        self.assertTrue(any("GHOST-1" in m and "INVALID_INVENTORY_ITEM" in m for m in messages))
        self.assertTrue(any("No SKU" in m for m in messages))
        self.assertFalse(ghost.sync_hash, "a refused binding is sent again next time")

    def test_retrying_a_failed_stock_event_sends_it_again(self):
        seeded = self.seed_variants(1)
        products, bindings = self.bind(seeded)
        bindings.inventory_item_id = "999999998"
        self.set_stock(products, [12])
        self.export_stock(bindings)
        event = self.failed_events()
        self.assertEqual(len(event), 1)
        self.assertIn(seeded[0][0], event.error_message)
        bindings.inventory_item_id = str(seeded[0][2])  # fixed by a person
        with trap_jobs() as trap:
            event.action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        self.assertEqual(self.levels()[seeded[0][0]], 12)

    def test_api_2026_01_sends_change_from_with_the_optional_idempotency_key(self):
        backend = self.create_backend(name="2026-01 shop", shopify_api_version="2026-01")
        self.env["retail.value.mapping"].create(
            {"backend_id": backend.id, "kind": "location",
             "external_value": str(self.main_id), "location_id": self.stock.id}
        )
        self.backend = backend  # the helpers below use self.backend
        seeded = self.seed_variants(2)
        products, bindings = self.bind(seeded)
        for quantities, expected in (([4, 5], [4, 5]), ([1, 1], [5, 6])):
            self.set_stock(products, quantities)
            self.assertIn("sent 2", self.export_stock(bindings))
            self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], expected)
        self.assertEqual(self.outcomes("InventorySetQuantities"), {"ok": 2})

    def test_a_key_whose_attempt_failed_is_replaced_by_a_fresh_one(self):
        """Shopify refuses a key whose first attempt failed (IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED):
        the same export sent again unchanged must reach Shopify with a new key, so that the
        operator sees the real reason (and a fixed cause succeeds)."""
        bad = self.env["product.product"].create(
            {"name": "Ghost", "default_code": "GHOST-2", "is_storable": True}
        )
        ghost = self.env["retail.product.binding"].create(
            {"backend_id": self.backend.id, "odoo_id": bad.id, "external_id": "525252",
             "inventory_item_id": "999999997"}
        )
        self.set_stock(bad, [3])
        before = self.calls("InventorySetQuantities")
        for attempt in (1, 2):
            self.export_stock(ghost)
            events = self.failed_events()
            # one open exception row per record, updated on each failure
            self.assertEqual(len(events), 1)
            self.assertEqual(events.attempts, attempt)
            self.assertEqual((events.res_model, events.res_id), (bad._name, bad.id))
            self.assertIn("INVALID_INVENTORY_ITEM", events.error_message)
        # first attempt, the same key refused, the same input under a fresh key
        self.assertEqual(self.calls("InventorySetQuantities") - before, 3)

    def test_item_not_stocked_at_a_mapped_location_is_activated(self):
        self.env["retail.value.mapping"].create(
            {"backend_id": self.backend.id, "kind": "location",
             "external_value": str(self.store_id), "location_id": self.stock.id}
        )
        seeded = self.seed_variants(2)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [4, 6])
        self.export_stock(bindings)
        self.assertEqual([self.levels(self.store_id)[sku] for sku, _v, _i in seeded], [4, 6])
        self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], [4, 6])
        self.assertFalse(self.failed_events())

    # ------------------------------------------------------------------
    # Reconciliation
    # ------------------------------------------------------------------
    def test_reconciliation_pushes_back_drifted_levels(self):
        seeded = self.seed_variants(4)
        products, bindings = self.bind(seeded)
        self.set_stock(products, [3, 3, 3, 3])
        self.export_stock(bindings)
        self.control.set_inventory(seeded[1][0], 50, location_id=self.main_id)
        self.control.set_inventory(seeded[3][0], 0, location_id=self.main_id)
        self.control.reset_counters()
        with trap_jobs() as trap:
            self.env["retail.backend"]._cron_shopify_reconcile_stock()
            trap.assert_jobs_count(1, only=self.backend._shopify_run_reconciliation)
            trap.perform_enqueued_jobs()
        message = self.backend.message_ids[:1].body
        self.assertIn("4 variants at 1 locations checked, 2 drifted, 2 fixed", message)
        self.assertEqual([self.levels()[sku] for sku, _v, _i in seeded], [3, 3, 3, 3])
        self.assertEqual(self.outcomes("InventorySetQuantities"), {"ok": 1})
        # in step again: nothing drifted, nothing sent
        self.assertIn("0 drifted, 0 fixed", self.backend._shopify_reconcile_stock())
        self.assertEqual(self.outcomes("InventorySetQuantities"), {"ok": 1})
        self.assertFalse(self.failed_events())

    # ------------------------------------------------------------------
    # Products and prices out
    # ------------------------------------------------------------------
    def make_template(self):
        tag = next(_SEQUENCE)
        size = self.env["product.attribute"].create(
            {"name": f"Size {tag}", "value_ids": [(0, 0, {"name": n}) for n in "SML"]}
        )
        template = self.env["product.template"].create(
            {"name": f"Linen Shirt {tag}", "list_price": 30.0, "is_storable": True,
             "description_sale": "Light linen.",
             "attribute_line_ids": [(0, 0, {"attribute_id": size.id,
                                            "value_ids": [(6, 0, size.value_ids.ids)]})]}
        )
        for variant in template.product_variant_ids:
            name = variant.product_template_attribute_value_ids.name
            variant.write({"default_code": f"LINEN{tag}-{name}", "barcode": f"99{tag:05d}{name}"})
        return template

    def publish(self, template):
        template.write(
            {"shopify_publish": True, "shopify_backend_ids": [(6, 0, self.backend.ids)]}
        )

    def test_publish_then_price_change_then_nothing(self):
        template = self.make_template()
        with trap_jobs() as trap:
            self.publish(template)
            trap.assert_jobs_count(1, only=self.backend._export_flow)
        self.assertTrue(template.shopify_export_pending)
        report = self.backend._export_flow("products")
        self.assertIn("sent 1", report)
        self.assertEqual(self.calls("ProductSet"), 1)
        bindings = self.env["retail.product.binding"].search(
            [("backend_id", "=", self.backend.id),
             ("odoo_id", "in", template.product_variant_ids.ids)]
        )
        self.assertEqual(len(bindings), 3)
        self.assertTrue(all(bindings.mapped("inventory_item_id")))
        self.assertEqual(len(set(bindings.mapped("product_external_id"))), 1)
        self.assertFalse(template.shopify_export_pending)
        variants = {v["sku"]: v for v in self.control.state("variants")}
        for binding in bindings:
            variant = variants[binding.odoo_id.default_code]
            self.assertEqual(str(variant["id"]), binding.external_id)
            self.assertEqual(str(variant["inventory_item_id"]), binding.inventory_item_id)
            self.assertEqual(variant["barcode"], binding.odoo_id.barcode)
            self.assertEqual(str(variant["price"]), "30.00")
        product = self.control.state("products")
        product = next(p for p in product if str(p["id"]) == bindings[0].product_external_id)
        self.assertEqual(product["title"], template.name)
        self.assertEqual(len(product["variant_ids"]), 3)
        # a price change: one more productSet, same product and variants, new price
        template.list_price = 35.0
        self.assertTrue(template.shopify_export_pending)
        self.backend._export_flow("products")
        self.assertEqual(self.calls("ProductSet"), 2)
        variants = {v["sku"]: v for v in self.control.state("variants")}
        for binding in bindings:
            variant = variants[binding.odoo_id.default_code]
            self.assertEqual(str(variant["price"]), "35.00")
            self.assertEqual(str(variant["id"]), binding.external_id)
        # nothing changed since: no call
        template.write({"shopify_export_pending": True,
                        "shopify_export_done_ids": [(5, 0, 0)]})
        report = self.backend._export_flow("products")
        self.assertIn("unchanged 1", report)
        self.assertEqual(self.calls("ProductSet"), 2)

    def test_published_variants_then_get_their_stock(self):
        template = self.make_template()
        codes = template.product_variant_ids.mapped("default_code")
        self.set_stock(template.product_variant_ids, [1, 2, 3])
        self.publish(template)
        with trap_jobs() as trap:
            self.backend._export_flow("products")
            # New variants are created stocked at the mapped locations with their quantities
            # (productSet inventoryQuantities), before any stock export runs.
            levels = self.levels()
            self.assertEqual([levels.get(code) for code in codes], [1, 2, 3])
            trap.assert_jobs_count(1, only=self.backend._export_flow)
            trap.perform_enqueued_jobs()
        levels = self.levels()
        self.assertEqual([levels[code] for code in codes], [1, 2, 3])
        # ... so the stock export that follows has no level to activate one call at a time.
        self.assertEqual(self.calls("InventoryActivate"), 0)
        self.assertFalse(self.failed_events())

    def test_variants_bound_by_an_import_are_adopted_not_duplicated(self):
        seeded = self.seed_variants(1)
        template = self.env["product.template"].create(
            {"name": "Adopted", "list_price": 12.0, "default_code": seeded[0][0]}
        )
        product_id = next(v["product_id"] for v in self.control.state("variants")
                          if v["sku"] == seeded[0][0])
        self.env["retail.product.binding"].create(
            {"backend_id": self.backend.id, "odoo_id": template.product_variant_id.id,
             "external_id": str(seeded[0][1]), "inventory_item_id": str(seeded[0][2]),
             "product_external_id": str(product_id)}
        )
        products_before = len(self.control.state("products"))
        self.publish(template)
        self.backend._export_flow("products")
        self.assertEqual(len(self.control.state("products")), products_before)
        variant = next(v for v in self.control.state("variants") if v["id"] == seeded[0][1])
        self.assertEqual(str(variant["price"]), "12.00")

    def test_a_sales_manager_without_connector_rights_marks_changes(self):
        template = self.make_template()
        self.publish(template)
        self.backend._export_flow("products")
        manager = self.env["res.users"].create(
            {"name": "Sales Manager", "login": f"sales-{next(_SEQUENCE)}",
             # Odoo 19's sales managers edit products as product managers.
             compat.USER_GROUPS: [(6, 0, [self.env.ref("sales_team.group_sale_manager").id,
                                          self.env.ref("product.group_product_manager").id])]}
        )
        template.with_user(manager).list_price = 31.0
        self.assertTrue(template.shopify_export_pending)

    def test_changes_inside_an_import_are_not_exported(self):
        template = self.make_template()
        self.publish(template)
        self.backend._export_flow("products")
        template.with_context(retail_no_export=True).list_price = 99.0
        self.assertFalse(template.shopify_export_pending)
        template.product_variant_ids[:1].barcode = "1234567890128"
        self.assertTrue(template.shopify_export_pending)

    def test_large_first_load_goes_through_one_bulk_mutation(self):
        count = 60  # above the exporter's bulk threshold (50)
        templates = self.env["product.template"].create(
            [{"name": f"Bulk Mug {index}", "list_price": 8.0 + index, "is_storable": True,
              "default_code": f"MUG{next(_SEQUENCE)}-{index}"} for index in range(count)]
        )
        self.publish(templates)
        report = self.backend._export_flow("products")
        self.assertIn(f"sent {count}", report)
        self.assertEqual(self.calls("BulkOperationRunMutation"), 1)
        self.assertEqual(self.calls("StagedUploadsCreate"), 1)
        self.assertEqual(self.calls("ProductSet"), 0)
        bindings = self.env["retail.product.binding"].search(
            [("backend_id", "=", self.backend.id),
             ("odoo_id", "in", templates.product_variant_ids.ids)]
        )
        self.assertEqual(len(bindings), count)
        self.assertTrue(all(bindings.mapped("inventory_item_id")))
        variants = {v["sku"]: v for v in self.control.state("variants")}
        self.assertEqual(str(variants[templates[7].default_code]["price"]), "15.00")
        self.assertFalse(any(templates.mapped("shopify_export_pending")))
        self.assertFalse(self.failed_events())

    def test_a_bulk_export_killed_while_waiting_is_resumed_not_sent_again(self):
        """The worker dies once Shopify accepted the bulk mutation (its tracking row is
        committed): the rerun reads the operation's result, and each SKU exists once."""
        count = 55
        skus = [f"KILL{next(_SEQUENCE)}-{index}" for index in range(count)]
        templates = self.env["product.template"].create(
            [{"name": f"Killed Mug {index}", "list_price": 5.0, "is_storable": True,
              "default_code": sku} for index, sku in enumerate(skus)]
        )
        self.publish(templates)
        exporter = self.backend._get_exporter("products")

        def worker_killed(operation_id):
            raise WorkerKilled(operation_id)

        exporter._bulk_started = worker_killed
        # not assertRaises: Odoo's rolls back what the block wrote, the point is it stays
        try:
            exporter.run()
        except WorkerKilled:
            pass
        else:
            self.fail("the export was not interrupted")
        operation = self.env["retail.bulk.operation"].search(
            [("backend_id", "=", self.backend.id)])
        self.assertEqual(operation.status, "running")
        self.assertEqual(len(operation.input_keys), count)
        self.assertTrue(all(templates.mapped("shopify_export_pending")))

        report = self.backend._export_flow("products")
        self.assertIn(f"sent {count}", report)
        self.assertEqual(self.calls("BulkOperationRunMutation"), 1)
        self.assertEqual(self.calls("ProductSet"), 0)
        self.assertEqual(operation.status, "done")
        in_store = [v["sku"] for v in self.control.state("variants") if v["sku"] in skus]
        self.assertCountEqual(in_store, skus, "each SKU exactly once in the store")
        self.assertFalse(any(templates.mapped("shopify_export_pending")))
        bindings = self.env["retail.product.binding"].search(
            [("backend_id", "=", self.backend.id),
             ("odoo_id", "in", templates.product_variant_ids.ids)])
        self.assertEqual(len(bindings), count)
        # a third run has nothing to send: no third product per SKU
        self.assertIn("sent 0", self.backend._export_flow("products"))

    def test_a_template_changed_while_it_was_sent_stays_pending(self):
        template = self.make_template()
        self.publish(template)
        exporter = self.backend._get_exporter("products")
        send = exporter._send_each

        def change_then_send(changed, report):
            template.list_price += 1  # another user's change, between claim and record
            return send(changed, report)

        exporter._send_each = change_then_send
        exporter.run()
        self.assertTrue(template.shopify_export_pending, "the change is sent by the next run")
        self.assertIn("sent 1", self.backend._export_flow("products"))
        self.assertFalse(template.shopify_export_pending)


class WorkerKilled(Exception):
    """Stands for the end of the worker's process."""
