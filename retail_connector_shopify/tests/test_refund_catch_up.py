"""A refund whose ``refunds/create`` webhook never arrives is brought in by the catch-up.

Shopify drops a webhook after failed deliveries and a subscription can be removed: the order's
catch-up then reads the refunds Odoo has not booked with the order and stores each as a
``refunds/create`` event, booked by the same importer as a webhook's. The sandbox sends no
webhook here (its subscriptions are cleared): deliveries are made by hand where a test wants
one, with the sandbox's own REST body.
"""

import dataclasses
import json
from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from ..adapter import ShopifyAdapter
from ..mappers.refund import refund_from_rest
from .common import ShopifyCase, map_the_shop

SHIPPING = {"title": "Standard", "code": "STD", "price": "5.00"}


def d(value):
    return Decimal(str(value))


@tagged("post_install", "-at_install")
class TestRefundCatchUp(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.EUR").active = True
        Product = cls.env["product.product"]
        cls.shirt = Product.create(
            {
                "name": "T-shirt blue M",
                "default_code": "TSHIRT-BLUE-M",
                "is_storable": True,
                "invoice_policy": "order",
                "taxes_id": [(5, 0, 0)],
            }
        )
        map_the_shop(cls.env, cls.backend)
        stock = cls.env.ref("stock.stock_location_stock")
        cls.env["stock.quant"]._update_available_quantity(cls.shirt, stock, 50)

    def setUp(self):
        super().setUp()
        self.control.reset(seed=True)  # the orders of other tests stay out of the catch-up

    # ------------------------------------------------------------------
    def deliver(self, topic, payload, key):
        """Store a webhook delivery as the controller does; returns (event, created)."""
        return store_event(
            self.backend, topic, json.dumps(payload), key, external_id=str(payload.get("id"))
        )

    def imported_order(self):
        """An order of 3 shirts with shipping, paid and imported by its webhook."""
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 3}],
            financial_status="paid",
            tax_rate=0.2,
            shipping=SHIPPING,
            customer={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
        )
        with trap_jobs() as trap:
            event, _created = self.deliver(
                "orders/create", self.control.rest("orders", order["id"]), f"wh-o-{order['id']}"
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        return order, self.sale_of(order["id"])

    def partial_refund(self, order):
        """One shirt of three (restocked: not shipped yet, so cancelled) and the shipping."""
        return self.control.refund_order(
            order["id"],
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "restock_type": "CANCEL"}],
            shipping={"full_refund": True},
        )

    def sale_of(self, order_id):
        return (
            self.env["retail.order.binding"]
            .search([("backend_id", "=", self.backend.id), ("external_id", "=", str(order_id))])
            .odoo_id
        )

    def credit_notes(self, sale):
        """Every credit note of the customer in the books (not only those the sale links)."""
        partner = sale.partner_id.commercial_partner_id
        return self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("commercial_partner_id", "=", partner.id)]
        )

    def refund_events(self):
        return self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "refunds/create")]
        )

    def catch_up(self):
        with trap_jobs() as trap:
            self.backend._catch_up()
            trap.perform_enqueued_jobs()

    def calls(self, operation):
        return self.control.counters()["operations"].get(operation, {}).get("calls", 0)

    # ------------------------------------------------------------------
    def test_lost_refund_webhook_is_booked_by_the_catch_up_to_the_cent(self):
        order, sale = self.imported_order()
        refund = self.partial_refund(order)  # its refunds/create webhook is never delivered
        shopify = self.control.rest("refunds", refund["id"])
        refunded = sum(
            (
                d(t["amount"])
                for t in shopify["transactions"]
                if t["kind"] == "refund" and t["status"] == "success"
            ),
            Decimal(0),
        )
        tax = sum((d(line["total_tax"]) for line in shopify["refund_line_items"]), Decimal(0))
        tax += sum(
            (
                d(line["tax_amount_set"]["shop_money"]["amount"])
                for line in shopify["refund_shipping_lines"]
            ),
            Decimal(0),
        )
        self.assertTrue(refunded and shopify["refund_shipping_lines"], "a partial refund")

        self.catch_up()

        credit_notes = self.credit_notes(sale)
        self.assertEqual(len(credit_notes), 1, "the lost refund is booked once")
        currency = sale.currency_id
        self.assertEqual(credit_notes.state, "posted")
        self.assertEqual(
            currency.compare_amounts(credit_notes.amount_total, float(refunded)),
            0,
            f"credit note {credit_notes.amount_total} != refunded {refunded}",
        )
        self.assertEqual(
            currency.compare_amounts(credit_notes.amount_tax, float(tax)),
            0,
            f"credit note tax {credit_notes.amount_tax} != Shopify's {tax}",
        )
        payments = credit_notes.matched_payment_ids
        self.assertEqual(
            currency.compare_amounts(sum(payments.mapped("amount")), float(refunded)), 0
        )
        self.assertEqual(payments.mapped("payment_type"), ["outbound"])
        self.assertIn(credit_notes.payment_state, ("paid", "in_payment"))
        # The cancelled shirt leaves the order: two are left to ship.
        line = sale.order_line.filtered(lambda line: line.product_id == self.shirt)
        self.assertEqual(line.product_uom_qty, 2)
        events = self.refund_events()
        self.assertEqual(len(events), 1)
        self.assertEqual(events.state, "done", events.error_message)

        # A second catch-up (its window overlaps the first) and a late webhook book nothing.
        self.catch_up()
        self.assertEqual(self.refund_events(), events)
        with trap_jobs() as trap:
            late, created = self.deliver("refunds/create", shopify, "wh-late-refund")
            trap.perform_enqueued_jobs()
        self.assertTrue(created)
        self.assertEqual(late.state, "done", late.error_message)
        self.assertEqual(self.credit_notes(sale), credit_notes)
        self.assertEqual(credit_notes.matched_payment_ids, payments)

    def test_refund_whose_webhook_arrived_adds_no_poll_event(self):
        order, sale = self.imported_order()
        refund = self.partial_refund(order)
        shopify = self.control.rest("refunds", refund["id"])
        with trap_jobs() as trap:
            webhook, _created = self.deliver("refunds/create", shopify, "wh-refund-in-time")
            # The catch-up runs while the webhook's event still waits for its job.
            self.control.reset_counters()
            self.backend._catch_up()
            trap.perform_enqueued_jobs()
        self.assertEqual(self.calls("RefundById"), 0, "a refund received is not read again")
        self.assertEqual(self.refund_events(), webhook)
        self.assertEqual(webhook.state, "done", webhook.error_message)
        self.assertEqual(len(self.credit_notes(sale)), 1)
        # Its event gone with the retention, the booked refund is known by its binding: a
        # second refund (webhook lost) is read and booked, the first is neither read nor
        # stored again.
        webhook.unlink()
        second = self.control.refund_order(
            order["id"], [{"sku": "TSHIRT-BLUE-M", "quantity": 1, "restock_type": "CANCEL"}]
        )
        self.control.reset_counters()
        self.catch_up()
        self.assertEqual(self.calls("RefundById"), 1)
        events = self.refund_events()
        self.assertEqual(events.mapped("external_id"), [str(second["id"])])
        self.assertEqual(events.state, "done", events.error_message)
        self.assertEqual(len(self.credit_notes(sale)), 2)

    def test_polled_refund_maps_as_its_webhook(self):
        """The GraphQL refund, in the REST shape, is the refund the webhook carries: lines,
        restock, shipping, a discrepancy kept by the shop, transactions."""
        from ..graphql.orders import REFUND_BY_ID
        from ..mappers.graphql import refund_to_rest

        order, _sale = self.imported_order()
        refund = self.control.refund_order(
            order["id"],
            [{"sku": "TSHIRT-BLUE-M", "quantity": 2, "restock_type": "NO_RESTOCK"}],
            shipping={"amount": "2.00"},
            amount="30.00",
            discrepancy_reason="RESTOCK",
        )
        data = ShopifyAdapter(self.backend).execute(
            REFUND_BY_ID, {"id": f"gid://shopify/Refund/{refund['id']}"}
        )
        polled = refund_from_rest(refund_to_rest(data["refund"], {"id": order["id"]}))
        webhook = refund_from_rest(self.control.rest("refunds", refund["id"]))
        self.assertTrue(polled.adjustments and polled.shipping_amount and polled.lines)
        # REST words the reason as text, GraphQL as an enum: the rest is the same refund.
        self.assertEqual([a.reason for a in polled.adjustments], ["Restock"])
        self.assertEqual(
            dataclasses.replace(
                polled, adjustments=[dataclasses.replace(a, reason="") for a in polled.adjustments]
            ),
            dataclasses.replace(
                webhook,
                adjustments=[dataclasses.replace(a, reason="") for a in webhook.adjustments],
            ),
        )

    def test_refund_with_more_lines_than_a_page_is_read_whole(self):
        """Lines past the first page of ``REFUND_BY_ID`` are paged, so the refund is whole."""
        from ..graphql.orders import REFUND_BY_ID, REFUND_LINES_PAGE_SIZE
        from ..mappers.graphql import refund_to_rest

        count = REFUND_LINES_PAGE_SIZE + 1
        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 1}] * count, financial_status="paid"
        )
        refund = self.control.refund_order(
            order["id"],
            [
                {"line_item_id": line["id"], "quantity": 1, "restock_type": "CANCEL"}
                for line in order["line_items"]
            ],
        )
        adapter = ShopifyAdapter(self.backend)
        node = adapter.execute(REFUND_BY_ID, {"id": f"gid://shopify/Refund/{refund['id']}"})
        node = node["refund"]
        lines = list(self.backend._shopify_refund_lines(adapter, node))
        self.assertEqual(len(lines), count)
        self.assertTrue(self.calls("RefundLineItems"), "the lines past the first page were paged")
        polled = refund_to_rest(node, {"id": order["id"]}, lines)
        self.assertNotIn("incomplete", polled)
        self.assertEqual(
            refund_from_rest(polled), refund_from_rest(self.control.rest("refunds", refund["id"]))
        )
