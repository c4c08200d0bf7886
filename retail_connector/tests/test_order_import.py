import json
from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..canonical import Address, Customer, Order, OrderLine, Payment, ShippingLine, TaxLine, to_dict
from ..engine.order_import import OrderImporter
from ..errors import DataError
from .common import RetailCase

VAT = [TaxLine(title="VAT", rate=Decimal("0.2"), amount=Decimal("0"))]


class OrderCase(RetailCase):
    """Products, a price-excluded VAT, and mappings of tax, shipping and gateways."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Product = cls.env["product.product"]
        common = {"is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        cls.shirt = Product.create(
            {"name": "Shirt", "default_code": "SKU-1", "list_price": 99, **common}
        )
        cls.mug = Product.create(
            {"name": "Mug", "default_code": "SKU-2", "barcode": "400001", **common}
        )
        cls.shipping_product = Product.create(
            {"name": "Shipping", "type": "service", "invoice_policy": "order"}
        )
        cls.vat = cls.env["account.tax"].create(
            {
                "name": "VAT 20% (test)",
                "amount": 20,
                "type_tax_use": "sale",
                "price_include_override": "tax_excluded",
            }
        )
        cls.bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        Mapping = cls.env["retail.value.mapping"]
        for kind, value, field, target in (
            ("tax", "VAT 20%", "tax_id", cls.vat),
            ("shipping", "standard", "product_id", cls.shipping_product),
            ("gateway", "shopify_payments", "journal_id", cls.bank),
            ("gateway", "manual", "journal_id", cls.bank),
        ):
            Mapping.create(
                {
                    "backend_id": cls.backend.id,
                    "kind": kind,
                    "external_value": value,
                    field: target.id,
                }
            )
        Mapping.search([("external_value", "=", "manual")]).payment_workflow = "confirm"

    def make_order(
        self,
        external_id="1001",
        status="paid",
        updated="2026-05-01T10:00:00Z",
        sku="SKU-1",
        quantity=2,
        total="53.00",
        **extra,
    ):
        return Order(
            external_id=external_id,
            name=f"#{external_id}",
            currency="USD",
            customer=Customer(external_id="C-100", name="Jane Doe", email="jane@example.com"),
            billing_address=Address(
                name="Jane Doe",
                street="1 Main St",
                city="Springfield",
                zip="12345",
                country_code="US",
            ),
            shipping_address=Address(
                name="Jane Doe",
                street="9 Dock Rd",
                city="Springfield",
                zip="12345",
                country_code="US",
            ),
            lines=[
                OrderLine(
                    external_id="L1",
                    sku=sku,
                    title="Shirt",
                    quantity=quantity,
                    unit_price=Decimal("20.00"),
                    discount_amount=Decimal("0"),
                    taxes=VAT,
                )
            ],
            shipping_lines=[
                ShippingLine(title="Standard", code="standard", price=Decimal("5.00"), taxes=[])
            ],
            payments=[
                Payment(
                    external_id="T1",
                    gateway="shopify_payments",
                    kind="sale",
                    status="success",
                    amount=Decimal(total),
                    currency="USD",
                )
            ],
            total=Decimal(total),
            financial_status=status,
            updated_at=updated,
            **extra,
        )


@tagged("post_install", "-at_install")
class TestOrderImport(OrderCase):
    def orders(self):
        return self.env["sale.order"].search([("retail_backend_id", "=", self.backend.id)])

    def test_paid_order_is_confirmed_invoiced_and_paid(self):
        sale = OrderImporter(self.backend).import_order(self.make_order())
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.retail_external_name, "#1001")
        self.assertEqual(sale.retail_backend_id, self.backend)
        self.assertEqual(sale.tag_ids.mapped("name"), [self.backend.name])
        self.assertAlmostEqual(sale.amount_total, 53.0)  # 2 x 20 + 20% VAT + 5 shipping
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(sale.partner_id.email, "jane@example.com")
        self.assertEqual(sale.partner_shipping_id.type, "delivery")
        self.assertEqual(sale.partner_shipping_id.street, "9 Dock Rd")
        self.assertEqual(sale.partner_invoice_id.parent_id, sale.partner_id)
        self.assertTrue(sale.picking_ids)

    def test_pending_then_paid_then_duplicate(self):
        importer = OrderImporter(self.backend)
        sale = importer.import_order(self.make_order(status="pending", total="53.00"))
        self.assertEqual(sale.state, "sale")
        self.assertFalse(sale.invoice_ids)
        importer.import_order(
            self.make_order(status="paid", total="53.00", updated="2026-05-01T11:00:00Z")
        )
        self.assertEqual(len(sale.invoice_ids), 1)
        importer.import_order(
            self.make_order(status="paid", total="53.00", updated="2026-05-01T11:00:00Z")
        )
        self.assertEqual(len(sale.invoice_ids), 1, "a duplicate changes nothing")
        self.assertEqual(len(self.orders()), 1)

    def test_identical_addresses_reuse_contacts(self):
        importer = OrderImporter(self.backend)
        first = importer.import_order(self.make_order(total="53.00"))
        second = importer.import_order(self.make_order(external_id="1002", total="53.00"))
        self.assertEqual(first.partner_shipping_id, second.partner_shipping_id)
        self.assertEqual(first.partner_id, second.partner_id)

    def test_total_mismatch_is_a_data_error(self):
        with self.assertRaisesRegex(DataError, "does not match"):
            OrderImporter(self.backend).import_order(self.make_order(total="60.00"))

    def test_cancel_and_older_update_skipped(self):
        importer = OrderImporter(self.backend)
        sale = importer.import_order(self.make_order(status="pending", total="53.00"))
        importer.import_order(
            self.make_order(
                status="pending", total="53.00", cancelled=True, updated="2026-05-02T10:00:00Z"
            )
        )
        self.assertEqual(sale.state, "cancel")
        importer.import_order(
            self.make_order(status="paid", total="53.00", updated="2026-05-01T12:00:00Z")
        )
        self.assertEqual(sale.state, "cancel", "an older version is skipped")
        self.assertFalse(sale.invoice_ids)

    def test_quantity_edit_applied_new_line_raised(self):
        importer = OrderImporter(self.backend)
        sale = importer.import_order(self.make_order(status="pending", total="53.00"))
        importer.import_order(
            self.make_order(
                status="pending", quantity=3, total="77.00", updated="2026-05-01T12:00:00Z"
            )
        )
        edited_line = sale.order_line.filtered(lambda line: line.retail_external_line_id == "L1")
        self.assertEqual(edited_line.product_uom_qty, 3)
        edited = self.make_order(status="pending", total="77.00", updated="2026-05-01T13:00:00Z")
        edited.lines.append(
            OrderLine(external_id="L2", sku="SKU-2", quantity=1, unit_price=Decimal("3"))
        )
        with self.assertRaisesRegex(DataError, "gained or lost lines"):
            importer.import_order(edited)

    def test_bad_inputs_raise_clear_errors(self):
        importer = OrderImporter(self.backend)
        cases = [
            (self.make_order(external_id="2001"), "Unknown currency 'XXX'"),
            (self.make_order(quantity=-1), "has quantity -1"),
        ]
        cases[0][0].currency = "XXX"
        for order, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(DataError, message):
                importer.import_order(order)

    def test_barcode_match(self):
        order = self.make_order(sku="", total="53.00")
        order.lines[0].barcode = "400001"
        sale = OrderImporter(self.backend).import_order(order)
        self.assertIn(self.mug, sale.order_line.product_id)

    def test_unknown_sku_event_fails_then_retry_succeeds(self):
        payload = json.dumps(to_dict(self.make_order(sku="NEW-SKU", total="53.00")))
        count_before = self.env["sale.order"].search_count([])
        with trap_jobs() as trap:
            event, _created = self.store(payload, key="order-1001", topic="order")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("Unknown SKU 'NEW-SKU'", event.error_message)
        self.assertEqual(self.env["sale.order"].search_count([]), count_before)
        self.mug.default_code = "NEW-SKU"
        with trap_jobs() as trap:
            event.action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.res_model, "sale.order")
        self.assertEqual(self.env["sale.order"].search_count([]), count_before + 1)

    def test_unmapped_tax_creates_a_draft_mapping(self):
        order = self.make_order(total="53.00")
        order.lines[0].taxes = [TaxLine(title="GST", rate=Decimal("0.05"), amount=Decimal("2"))]
        with trap_jobs() as trap:
            event, _created = self.store(json.dumps(to_dict(order)), key="o-gst", topic="order")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        self.assertIn("No tax mapping for 'GST 5%'", event.error_message)
        self.assertEqual(
            (event.mapping_id.kind, event.mapping_id.external_value), ("tax", "GST 5%")
        )
        self.assertFalse(self.orders())

    def test_validated_delivery_builds_the_shipment(self):
        from ..engine.shipment import shipment_from_picking

        sale = OrderImporter(self.backend).import_order(self.make_order())
        stock = self.env.ref("stock.stock_location_stock")
        self.env["stock.quant"]._update_available_quantity(self.shirt, stock, 5)
        delivery = sale.picking_ids
        delivery.retail_tracking_ref = "1Z999"
        delivery.action_assign()
        delivery.move_ids.quantity = 2
        delivery.button_validate()
        shipment = shipment_from_picking(delivery)
        self.assertEqual(shipment.order_external_id, "1001")
        self.assertEqual(shipment.tracking_numbers, ["1Z999"])
        self.assertEqual(
            [(line.order_line_external_id, line.sku, line.quantity) for line in shipment.lines],
            [("L1", "SKU-1", 2.0)],
        )
        events = self.env["retail.event"].search([("topic", "=", "shipment")])
        self.assertFalse(events, "the generic backend sends no shipment")

    def test_a_record_lists_the_events_that_touched_it(self):
        payload = json.dumps(to_dict(self.make_order()))
        with trap_jobs() as trap:
            event, _created = self.store(payload, key="linked", topic="order")
            trap.perform_enqueued_jobs()
        sale = self.env["sale.order"].browse(event.res_id)
        self.assertEqual(sale.retail_event_count, 1)
        action = sale.action_open_retail_events()
        self.assertEqual(self.env["retail.event"].search(action["domain"]), event)
