"""Salesforce calls hold no row nor transaction that a user or a rerun needs.

Claim, commit, call, record: an export (and the drain's event import) waiting on a slow
Salesforce leaves the partner and its binding free for a user's transaction, the change
made meanwhile goes out with the next run, and a run whose outcome was never recorded
after its call creates no second Account when it runs again.

These tests commit on their own cursors (a second, real transaction is the point) and
archive what they committed at the end.
"""

import itertools
import threading
import time

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged

from odoo.addons.retail_connector.engine.intake import store_event
from odoo.addons.retail_connector.engine.transactions import environment

from ..adapter import forget_session
from .common import SalesforceSandboxMixin

_SEQUENCE = itertools.count(1)
SLOW_CALL_MS = 3000  # every Salesforce request is held this long while the fault is on
LOCK_TIMEOUT = "300ms"  # far below SLOW_CALL_MS: a user's transaction waiting on a call fails


@tagged("post_install", "-at_install")
class TestSalesforceCallsHoldNoLock(SalesforceSandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from tests.sandbox.salesforce import SalesforceSandbox
        from tests.sandbox.salesforce.testing import generate_rsa_certificate

        cls.sandbox = SalesforceSandbox(outbound_backoff_factor=0.001).start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.control = cls.sandbox.control
        cls.private_pem, cls.certificate_pem = generate_rsa_certificate()

    def setUp(self):
        super().setUp()
        name = f"Lockfree {next(_SEQUENCE)}"
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            backend = env["retail.backend"].create(self.backend_values(name=name))
            us = env.ref("base.us")
            partner = env["res.partner"].create(
                {"name": name, "is_company": True, "city": "Austin", "country_id": us.id})
            # a customer made in Odoo: its Account is created by the export (upsert)
            binding = env["retail.partner.binding"].create({
                "backend_id": backend.id, "odoo_id": partner.id,
                "external_id": f"odoo:{partner.id}", "export_pending": True})
            self.backend_id, self.partner_id, self.binding_id = backend.id, partner.id, binding.id
        self.backend = self.env["retail.backend"].browse(self.backend_id)
        self.addCleanup(self._archive)
        self.reset_sandbox()
        self.addCleanup(self.control.faults, clear=True)

    def _archive(self):
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["retail.backend"].browse(
                self.backend_id).active = False

    # ------------------------------------------------------------ helpers
    def run_as_job(self, method, *args, pids=None):
        """``backend.method(*args)`` on a cursor of its own, committed like queue_job's runner
        does (the registry is passed: the test runner's thread holds the registries' lock)."""
        with self.registry.cursor() as cr:
            if pids is not None:
                cr.execute("SELECT pg_backend_pid()")
                pids.append(cr.fetchone()[0])
            env = environment(self.registry, cr, SUPERUSER_ID, {})
            return getattr(env["retail.backend"].browse(self.backend_id), method)(*args)

    def export(self):
        return self.run_as_job("_export_flow", "accounts")

    def read(self, model, record_id, *names):
        with self.registry.cursor() as cr:
            record = api.Environment(cr, SUPERUSER_ID, {})[model].browse(record_id)
            return [record[name] for name in names]

    def accounts(self):
        """The Accounts of this test's partner in the sandbox's store."""
        return [account for account in self.control.records("Account")
                if account.get("Odoo_Id__c") == str(self.partner_id)]

    def in_flight(self, thread, then):
        """Run ``thread``; once its first Salesforce request is held by the latency fault,
        call ``then()`` and return what it returned (the thread is joined)."""
        self.control.reset_counters()
        self.control.faults(latency_ms=SLOW_CALL_MS)
        thread.start()
        try:
            for _poll in range(400):
                if self.control.counters().get("latency.held") or not thread.is_alive():
                    break
                time.sleep(0.05)
            self.assertTrue(self.control.counters().get("latency.held"),
                            "the job never called Salesforce")
            return then()
        finally:
            thread.join()
            self.control.faults(clear=True)

    def user_edits_partner(self, city):
        """A user saves the partner on a transaction that gives up on any row lock after
        LOCK_TIMEOUT, and takes the partner's binding row at once (NOWAIT): both fail while
        a transaction holds them."""
        with self.registry.cursor() as cr:
            cr.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            env["res.partner"].browse(self.partner_id).write({"city": city})
            env.flush_all()
            cr.execute("SELECT id FROM retail_partner_binding WHERE id = %s FOR UPDATE NOWAIT",
                       (self.binding_id,))
            return cr.fetchone()[0]

    # ------------------------------------------------------------ tests
    def test_a_partner_saved_during_a_slow_export_commits_and_is_sent_next(self):
        self.assertEqual(self.export(), "sent 1, unchanged 0, in 1 call(s)")
        (account,) = self.accounts()
        self.assertEqual(self.read("retail.partner.binding", self.binding_id, "external_id"),
                         [account["Id"]], "the record transaction adopted the new Id")
        with self.registry.cursor() as cr:  # a change to send
            api.Environment(cr, SUPERUSER_ID, {})["res.partner"].browse(
                self.partner_id).write({"city": "Boston"})

        results = {}
        export = threading.Thread(target=lambda: results.update(report=self.export()))
        # the user's transaction neither waits for the export nor conflicts with it
        locked = self.in_flight(export, lambda: self.user_edits_partner("Chicago"))
        self.assertEqual(locked, self.binding_id)
        self.assertEqual(results["report"], "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual(self.control.record("Account", account["Id"])["BillingCity"], "Boston",
                         "the slow export sent what it had claimed")
        with self.registry.cursor() as cr:
            binding = api.Environment(cr, SUPERUSER_ID, {})["retail.partner.binding"].browse(
                self.binding_id)
            self.assertTrue(binding.export_dirty, "changed while sent: still dirty")
            self.assertFalse(binding.export_claimed_at, "the claim is released")

        self.assertEqual(self.export(), "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual(self.control.record("Account", account["Id"])["BillingCity"],
                         "Chicago", "the next run sends the change made meanwhile")
        self.assertEqual(len(self.accounts()), 1)

    def export_unrecorded(self, flow, table, binding_id):
        """Export ``flow`` while a transaction holds the binding row through the export's
        record step, so that nothing is recorded after the call: the state a crash after
        the call leaves (the record made in Salesforce, the binding claimed). Then expire
        the claim, as the time after a crash does. Returns the export's report."""
        results = {}
        export = threading.Thread(
            target=lambda: results.update(report=self.run_as_job("_export_flow", flow)))
        holder = self.registry.cursor()
        try:
            def hold_the_binding():
                holder.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE",
                               (binding_id,))
                export.join()  # the export's record step runs while the row is held

            self.in_flight(export, hold_the_binding)
        finally:
            holder.rollback()
            holder.close()
        with self.registry.cursor() as cr:
            cr.execute(f"SELECT external_id, export_pending, export_claimed_at FROM {table} "
                       "WHERE id = %s", (binding_id,))
            external_id, pending, claimed_at = cr.fetchone()
            self.assertTrue(external_id.startswith("odoo:"), "nothing recorded")
            self.assertTrue(pending and claimed_at, "still dirty and claimed, as after a crash")
            cr.execute(f"UPDATE {table} SET export_claimed_at = export_claimed_at - "
                       "interval '2 hours' WHERE id = %s", (binding_id,))
        return results["report"]

    def test_a_call_whose_outcome_was_not_recorded_creates_no_second_account(self):
        report = self.export_unrecorded("accounts", "retail_partner_binding", self.binding_id)
        self.assertEqual(report, "sent 1, unchanged 0, in 1 call(s)")
        (account,) = self.accounts()
        self.assertEqual(self.export(), "sent 1, unchanged 0, in 1 call(s)")
        self.assertEqual([a["Id"] for a in self.accounts()], [account["Id"]],
                         "one Account in Salesforce")
        self.assertEqual(self.read("retail.partner.binding", self.binding_id, "external_id",
                                   "export_pending"), [account["Id"], False])

    def test_a_product_export_not_recorded_creates_no_second_product_nor_price(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            template = env["product.template"].create(
                {"name": "Lockfree Lamp", "default_code": f"LAMP-{self.partner_id}",
                 "list_price": 12.5, "sf_publish": True})
            variant_id = template.product_variant_id.id
            binding = env["retail.product.binding"].search(
                [("backend_id", "=", self.backend_id), ("odoo_id", "=", variant_id)])
            binding_id = binding.id

        report = self.export_unrecorded("products", "retail_product_binding", binding_id)
        self.assertIn("sent 1", report)
        self.assertIn("sent 1", self.run_as_job("_export_flow", "products"))
        (product,) = [p for p in self.control.records("Product2")
                      if p.get("Odoo_Id__c") == str(variant_id)]
        entries = [e for e in self.control.records("PricebookEntry")
                   if e["Product2Id"] == product["Id"]]
        self.assertEqual([e["UnitPrice"] for e in entries], [12.5],
                         "one Product2 and one standard price in Salesforce")
        self.assertEqual(self.read("retail.product.binding", binding_id, "external_id"),
                         [product["Id"]])

    def test_the_drain_holds_no_transaction_while_an_event_calls_salesforce(self):
        account = self.control.create_record(
            "Account", {"Name": "Drained Co", "BillingCountry": "US", "BillingCity": "Reno"})
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            backend = env["retail.backend"].browse(self.backend_id)
            event, _created = store_event(backend, "account", {"Id": account["Id"]},
                                          f"lockfree-{account['Id']}",
                                          external_id=account["Id"], enqueue=False)
            event.with_context(retail_event_internal=True).write({"state": "queued"})
            event_id = event.id
        forget_session(self.backend)  # the call step logs in, held by the fault too
        self.cr.execute("SELECT pg_backend_pid()")
        known = [self.cr.fetchone()[0]]
        results = {}
        drain = threading.Thread(target=lambda: results.update(
            report=self.run_as_job("_drain_events", pids=known)))

        def open_transactions():
            """Connections idle in a transaction, besides the test's and the job's own; and
            the job's own if its transaction wrote or locked a row (it then has an xid)."""
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT pid, left(query, 80) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND ("
                    "(state LIKE 'idle in transaction%%' AND NOT pid = ANY(%s)) "
                    "OR (pid = %s AND backend_xid IS NOT NULL))", (known, known[-1]))
                return cr.fetchall()

        # The drain job's own cursor (queue_job keeps its transaction open for the job's
        # life, holding the job's lock row) only reads; no other transaction is open.
        self.assertEqual(self.in_flight(drain, open_transactions), [])
        self.assertEqual(results["report"], "inbox drained: 1 done")
        self.assertEqual(self.read("retail.event", event_id, "state"), ["done"])
