"""A dry run of every topic a Shopify backend handles sends no write to the sandbox."""

import json
import re

from odoo.tests import tagged

from .. import graphql
from ..graphql import admin, catalog, fulfillment, orders, payouts
from .common import ShopifyCase

# Operation names of every mutation document of the addon (the sandbox counts by name).
MUTATIONS = {
    match
    for module in (admin, catalog, fulfillment, orders, payouts)
    for value in vars(module).values()
    if isinstance(value, str)
    for match in re.findall(r"^\s*mutation\s+(\w+)", value, re.MULTILINE)
}
# Topics whose handler writes to Shopify: the dry run lists the call instead.
WRITING_TOPICS = {"shipment", "shipment/tracking", "export/stock", "export/products"}


@tagged("post_install", "-at_install")
class TestShopifyDryRun(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        ).lot_stock_id
        cls.env["retail.value.mapping"].create(
            {
                "backend_id": cls.backend.id,
                "kind": "location",
                "external_value": str(cls.sandbox.seeded["locations"]["main"]),
                "location_id": cls.stock.id,
            }
        )

    def payloads(self):
        """topic -> payload, made from the sandbox's own records."""
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 2}],
            financial_status="paid",
            customer={"email": "dry@example.com", "first_name": "Dry", "last_name": "Run"},
        )
        rest_order = self.control.rest("orders", order["id"])
        line_id = str(rest_order["line_items"][0]["id"])
        customer = self.control.add_customer(
            email="dry2@example.com", first_name="Dry", last_name="Two"
        )
        shipped = self.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1}])
        self.control.fulfill_order(shipped["id"])
        fulfillment_id = self.control.rest("orders", shipped["id"])["fulfillments"][0]["id"]
        refund = self.control.refund_order(shipped["id"])
        variant = next(v for v in self.control.state("variants") if v["sku"] == "TSHIRT-BLUE-M")
        product = self.env["product.product"].create(
            {"name": "Dry shirt", "default_code": "DRY-SHIRT", "is_storable": True}
        )
        self.env["stock.quant"]._update_available_quantity(product, self.stock, 7)
        binding = self.env["retail.product.binding"].create(
            {
                "backend_id": self.backend.id,
                "odoo_id": product.id,
                "external_id": str(variant["id"]),
                "inventory_item_id": str(variant["inventory_item_id"]),
            }
        )
        template = self.env["product.template"].create(
            {
                "name": "Dry published",
                "default_code": "DRY-PUB",
                "list_price": 12.0,
                "shopify_publish": True,
                "shopify_backend_ids": [(6, 0, self.backend.ids)],
            }
        )
        shipment = {
            "order_external_id": str(order["id"]),
            "carrier": "UPS",
            "tracking_numbers": ["1Z-DRY"],
            "lines": [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "order_line_external_id": line_id}],
        }
        customer_payload = self.control.rest("customers", customer["id"])
        return {
            "orders/create": rest_order,
            "orders/updated": rest_order,
            "orders/paid": rest_order,
            "orders/cancelled": rest_order,
            "customers/create": customer_payload,
            "customers/update": customer_payload,
            "refunds/create": self.control.rest("refunds", refund["id"]),
            "shipment": shipment,
            "shipment/tracking": dict(shipment, order_external_id=str(fulfillment_id)),
            "app/uninstalled": {"id": 1},
            "export/stock": {"binding_ids": binding.ids},
            "export/products": {"template_id": template.id},
            "payouts/import": {"flow": "payouts"},
        }

    def written(self):
        operations = self.control.counters()["operations"]
        return {name: entry["calls"] for name, entry in operations.items() if name in MUTATIONS}

    def test_dry_run_of_every_topic_writes_nothing_to_shopify(self):
        self.assertIn("FulfillmentCreate", MUTATIONS)
        self.assertTrue(graphql)
        payloads = self.payloads()
        self.assertEqual(set(payloads), set(self.backend._event_topics()))
        self.control.reset_counters()
        for topic, payload in payloads.items():
            with self.subTest(topic=topic):
                wizard = self.env["retail.dry.run"].create(
                    {"backend_id": self.backend.id, "topic": topic, "payload": json.dumps(payload)}
                )
                wizard.action_run()
                self.assertEqual(self.written(), {}, wizard.result)
                if topic in WRITING_TOPICS:
                    self.assertIn("Would send (Shopify): POST", wizard.result)
                    self.assertIn("Would write to Shopify", wizard.result)
        # The reads went out (and are listed): the dry run is not a no-op.
        self.assertTrue(self.control.counters()["total"]["calls"])

    def test_shipment_dry_run_lists_the_fulfilment_it_would_create(self):
        payload = self.payloads()["shipment"]
        self.control.reset_counters()
        wizard = self.env["retail.dry.run"].create(
            {"backend_id": self.backend.id, "topic": "shipment", "payload": json.dumps(payload)}
        )
        wizard.action_run()
        self.assertIn("Read (Shopify): POST OrderFulfillmentOrders", wizard.result)
        self.assertIn("Would send (Shopify): POST FulfillmentCreate", wizard.result)
        self.assertIn("1Z-DRY", wizard.result)
        self.assertEqual(self.outcomes("FulfillmentCreate"), {})
        self.assertEqual(self.outcomes("OrderFulfillmentOrders"), {"ok": 1})
        self.assertFalse(
            self.control.rest("orders", payload["order_external_id"]).get("fulfillments")
        )
