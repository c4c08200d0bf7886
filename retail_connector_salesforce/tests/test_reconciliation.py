"""Reconciliation compares the order status Salesforce shows with the one Odoo would send.

The orders come from a generic backend, whose channel cannot be read back
(``_reconcile_orders`` reads nothing): the report is given the channel's orders directly
through ``_check_orders``, the method ``action_run`` feeds with what a channel addon reads
(the Shopify addon reads its orders of the window). The Salesforce side is real: the status
is exported to the sandbox and read back over SOQL.
"""

from dataclasses import replace
from decimal import Decimal

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.retail_connector.canonical import to_dict

from . import test_order_status


@tagged("post_install", "-at_install")
class TestCrmStatusReconciliation(test_order_status.TestOrderStatus, TransactionCase):
    # the order status flow tests run in their own class
    test_status_of_another_channels_order_follows_it = None
    test_order_confirmed_inside_an_import_job_reports_too = None
    test_outage_postpones_exports_and_the_other_channel_keeps_working = None
    test_customer_whose_account_cannot_be_created_fails_readably = None

    def canonical(self, external_id):
        """The generic channel's order, with its total (2 x 10, no tax)."""
        return replace(super().canonical(external_id), total=Decimal("20.00"))

    def import_and_send(self, *external_ids):
        """Import generic orders, export their status; ``[(canonical order, sale)]``."""
        orders = []
        with trap_jobs() as trap:
            for external_id in external_ids:
                orders.append((self.canonical(external_id), self.import_generic(external_id)))
            self.perform(trap)
        return orders

    def reconcile(self, orders):
        today = fields.Date.today()
        report = self.env["retail.reconciliation"].create(
            {"backend_id": self.generic.id, "date_from": today, "date_to": today})
        report._check_orders([(order, to_dict(order)) for order, _sale in orders])
        return report

    def remote(self, sale):
        binding = self.env["retail.sf.status.binding"].search(
            [("backend_id", "=", self.backend.id), ("odoo_id", "=", sale.id)])
        return self.control.record("Order", binding.external_id)

    def test_crm_status_changed_behind_odoo_is_one_mismatch_and_resending_fixes_it(self):
        orders = self.import_and_send("R-1", "R-2", "R-3")
        (_o1, first), (_o2, second), (_o3, _third) = orders
        self.assertEqual(self.remote(second)["Odoo_Status__c"], "confirmed")
        queries = self.counter("GET query")
        clean = self.reconcile(orders)
        self.assertEqual((clean.state, clean.checked_count), ("clean", 3))
        self.assertFalse(clean.line_ids)
        self.assertEqual(self.counter("GET query") - queries, 1, "one SOQL query for all")

        # someone edits the status in Salesforce; Odoo still says confirmed
        self.control.update_record("Order", self.remote(second)["Id"],
                                   {"Odoo_Status__c": "shipped"})
        report = self.reconcile(orders)
        self.assertEqual(report.state, "mismatch")
        (line,) = report.line_ids
        self.assertEqual(
            (line.kind, line.reference, line.expected, line.found, line.res_model, line.res_id),
            ("crm_status", "#R-2", "confirmed", "shipped", "sale.order", second.id))
        self.assertTrue(line.can_reimport)
        self.assertEqual(line.event_id.state, "failed")
        self.assertIn("CRM status behind", line.event_id.error_message)
        self.assertIn("Send it again", line.event_id.error_message)

        # the fix sends the status again, although Odoo had already sent this one
        with trap_jobs() as trap:
            line.action_reimport()
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual(line.event_id.state, "ignored")
        self.assertEqual(self.remote(second)["Odoo_Status__c"], "confirmed")
        self.assertEqual(self.remote(first)["Odoo_Status__c"], "confirmed")
        self.assertEqual(self.reconcile(orders).state, "clean")

    def test_status_moved_on_in_odoo_but_not_sent_and_deleted_order(self):
        orders = self.import_and_send("R-4", "R-5")
        (_o4, shipped), (_o5, deleted) = orders
        # shipped in Odoo while the export is not run: the CRM still says confirmed
        with trap_jobs():
            self.ship(shipped, "TRK-9")
        self.control.delete_record("Order", self.remote(deleted)["Id"])
        report = self.reconcile(orders)
        self.assertEqual(
            sorted((line.reference, line.expected, line.found, line.can_reimport)
                   for line in report.line_ids),
            [("#R-4", "shipped", "confirmed", True),
             ("#R-5", "confirmed", "no record in Salesforce", False)])
        gone = report.line_ids.filtered(lambda line: line.reference == "#R-5")
        self.assertIn("Fix it by hand", gone.event_id.error_message)

    def test_unreadable_crm_is_noted_not_reported(self):
        orders = self.import_and_send("R-6")
        self.control.outage("503")
        with mute_logger("odoo.addons.retail_connector_salesforce.models.retail_reconciliation"):
            report = self.reconcile(orders)
        self.assertEqual((report.state, report.checked_count), ("clean", 1))
        self.assertIn("was not checked", report.message_ids[:1].body)
        self.control.outage("none")
