"""Shopify Payments payouts become bank statements, against the Shopify sandbox."""

import json

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.engine.intake import store_event

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestShopifyPayouts(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        Product = cls.env["product.product"]
        common = {"is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        Product.create({"name": "T-shirt blue M", "default_code": "TSHIRT-BLUE-M", **common})
        Product.create({"name": "Tote", "default_code": "TOTE-NATURAL", **common})
        bank = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.env["retail.value.mapping"].create(
            {"backend_id": cls.backend.id, "kind": "gateway", "external_value": "manual",
             "journal_id": bank.id, "payment_workflow": "invoice_pay"}
        )
        cls.journal = cls.env["account.journal"].create(
            {"name": "Shopify Payments", "code": "SHPAY", "type": "bank",
             "currency_id": cls.eur.id}
        )
        cls.fee_account = cls.env["account.account"].create(
            {"name": "Shopify Payments fees", "code": "627900", "account_type": "expense"}
        )

    def setUp(self):
        self.control.reset(seed=True)  # payouts of other tests stay out of this one
        super().setUp()
        self.backend.write(
            {
                "shopify_payout_journal_id": self.journal.id,
                "shopify_payout_fee_account_id": self.fee_account.id,
            }
        )

    def statements(self):
        return self.env["account.bank.statement"].search(
            [("journal_id", "=", self.journal.id)]
        )

    def import_order(self, order, customer):
        """Place-and-deliver as test_flows does: the order's webhook through the inbox."""
        payload = self.control.rest("orders", order["id"])
        with trap_jobs() as trap:
            event, _created = store_event(
                self.backend, "orders/create", json.dumps(payload), f"wh-{order['id']}",
                external_id=str(order["id"]),
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        binding = self.env["retail.order.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", str(order["id"]))]
        )
        self.assertEqual(binding.odoo_id.partner_id.email, customer["email"])
        return binding.odoo_id

    def test_payout_becomes_balanced_statement_lines(self):
        customers = [
            {"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
            {"email": "alan@example.com", "first_name": "Alan", "last_name": "Turing"},
        ]
        orders = [
            self.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 2}],
                                     customer=customers[0], financial_status="paid"),
            self.control.place_order([{"sku": "TOTE-NATURAL", "quantity": 1}],
                                     customer=customers[1], financial_status="paid"),
        ]
        sales = [self.import_order(o, c) for o, c in zip(orders, customers, strict=True)]
        self.control.refund_order(orders[1]["id"], line_items=[
            {"sku": "TOTE-NATURAL", "quantity": 1, "restock_type": "NO_RESTOCK"}])
        payout = self.control.create_payout(
            fee_rate=0.029, fee_fixed=0.30, adjustments=[{"amount": "-3.25", "reason": "fee"}]
        )
        transactions = payout["balance_transactions"]
        self.assertEqual(len(transactions), 4)  # 2 charges, 1 refund, 1 adjustment
        fees = [t for t in transactions if float(t["fee"])]

        self.backend.action_shopify_import_payouts()

        statement = self.statements()
        self.assertEqual(len(statement), 1)
        self.assertIn(str(payout["id"]), statement.reference)
        lines = statement.line_ids
        self.assertEqual(len(lines), len(transactions) + len(fees))
        net = float(payout["net"])
        self.assertAlmostEqual(sum(lines.mapped("amount")), net, places=2)
        self.assertAlmostEqual(statement.balance_end_real - statement.balance_start, net,
                               places=2)
        self.assertAlmostEqual(statement.balance_end, statement.balance_end_real, places=2)
        self.assertTrue(statement.is_complete)
        for sale, order in zip(sales, orders, strict=True):
            charge = lines.filtered(lambda line, o=order: line.payment_ref == f"{o['name']} charge")
            self.assertEqual(len(charge), 1)
            self.assertAlmostEqual(charge.amount, float(order["total_price"]), places=2)
            self.assertEqual(charge.partner_id, sale.partner_id.commercial_partner_id)
            self.assertFalse(charge.is_reconciled)  # left for the reconciliation widget
        refund = lines.filtered(lambda line: line.payment_ref == f"{orders[1]['name']} refund")
        self.assertLess(refund.amount, 0)
        self.assertEqual(refund.partner_id, sales[1].partner_id.commercial_partner_id)
        fee_lines = lines.filtered(lambda line: line.unique_import_id.endswith(":fee"))
        self.assertEqual(len(fee_lines), len(fees))
        self.assertAlmostEqual(sum(fee_lines.mapped("amount")),
                               -sum(float(t["fee"]) for t in fees), places=2)
        for line in fee_lines:
            self.assertTrue(line.is_reconciled)
            counterpart = line.move_id.line_ids.filtered(
                lambda aml: aml.account_id != self.journal.default_account_id)
            self.assertEqual(counterpart.account_id, self.fee_account)

        # Again: nothing new, nothing twice.
        before = self.env["account.bank.statement.line"].search_count([])
        self.backend.action_shopify_import_payouts()
        self.assertEqual(len(self.statements()), 1)
        self.assertEqual(self.env["account.bank.statement.line"].search_count([]), before)

        # A later payout opens where this one closed.
        second = self.control.create_payout(adjustments=[{"amount": "7.00"}])
        self.backend._shopify_import_payouts()
        latest = self.statements().filtered(lambda s: str(second["id"]) in s.reference)
        self.assertAlmostEqual(latest.balance_start, statement.balance_end_real, places=2)
        self.assertAlmostEqual(latest.balance_end_real, statement.balance_end_real + 7.0,
                               places=2)

    def test_missing_journal_is_an_error_and_creates_nothing(self):
        self.control.create_payout(adjustments=[{"amount": "12.00"}])
        self.backend.shopify_payout_journal_id = False
        with self.assertRaisesRegex(UserError, "Payout Journal"):
            self.backend.action_shopify_import_payouts()
        self.assertFalse(self.statements())
        self.assertFalse(self.env["account.bank.statement"].search(
            [("reference", "=like", f"shopify:{self.backend.id}:%")]))
        # The daily job puts it in the exception queue instead, once.
        self.backend.shopify_import_payouts = True
        with trap_jobs() as trap, mute_logger(
            "odoo.addons.retail_connector_shopify.models.retail_backend_payouts"
        ):
            self.env["retail.backend"]._cron_shopify_import_payouts()
            trap.assert_jobs_count(1, only=self.backend._shopify_run_payout_import)
            trap.perform_enqueued_jobs()
            self.backend._shopify_run_payout_import()
        events = self.env["retail.event"].search(
            [("backend_id", "=", self.backend.id), ("topic", "=", "payouts/import")]
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(events.state, "failed")
        self.assertIn("Payout Journal", events.error_message)
        # Fixed, then retried from the queue: imported.
        self.backend.shopify_payout_journal_id = self.journal
        with trap_jobs() as trap:
            events.action_retry()
            trap.perform_enqueued_jobs()
        self.assertEqual(events.state, "done", events.error_message)
        self.assertEqual(len(self.statements()), 1)
