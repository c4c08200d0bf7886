from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.retail_connector.errors import (
    AuthError,
    DataError,
    QuotaExceeded,
    TransientError,
)

from .common import CLIENT_KEY, CLIENT_SECRET, PASSWORD, SECURITY_TOKEN, SalesforceSandboxMixin


@tagged("post_install", "-at_install")
class TestSalesforceAdapter(SalesforceSandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    # ------------------------------------------------------------------ authentication
    def test_jwt_login_and_session_reuse(self):
        """JWT bearer logs in once; a second adapter of the backend reuses the token."""
        self.control.create_record("Account", {"Name": "Acme"})
        records = self.adapter().query_all("SELECT Id, Name FROM Account")
        self.assertEqual([r["Name"] for r in records], ["Acme"])
        self.assertNotIn("attributes", records[0])
        self.adapter().query_all("SELECT Id FROM Account")
        self.assertEqual(self.logins("login.oauth"), 1)

    def test_client_credentials_login(self):
        backend = self.env["retail.backend"].create(self.backend_values(
            name="SF client credentials", sf_auth_method="client_credentials",
            sf_login_domain="custom", sf_my_domain="https://acme.my.salesforce.com",
            sf_consumer_key=CLIENT_KEY, sf_consumer_secret=CLIENT_SECRET,
        ))
        self.assertEqual(backend._sf_domain(), "acme.my")
        self.assertEqual(self.adapter(backend).query("SELECT COUNT() FROM Account")["totalSize"], 0)
        self.assertEqual(self.logins("login.oauth"), 1)

    def test_client_credentials_need_my_domain(self):
        backend = self.env["retail.backend"].create(self.backend_values(
            name="SF cc login", sf_auth_method="client_credentials",
            sf_consumer_key=CLIENT_KEY, sf_consumer_secret=CLIENT_SECRET,
        ))
        with self.assertRaisesRegex(AuthError, "My Domain"):
            self.adapter(backend).limits()
        self.assertEqual(self.logins("login.oauth"), 0)

    def test_password_login(self):
        backend = self.env["retail.backend"].create(self.backend_values(
            name="SF password", sf_auth_method="password", sf_consumer_key=False,
            sf_password=PASSWORD, sf_security_token=SECURITY_TOKEN,
        ))
        self.assertIn("DailyApiRequests", self.adapter(backend).limits())
        self.assertEqual(self.logins("login.soap"), 1)

    def test_oauth_password_grant_with_connected_app(self):
        backend = self.env["retail.backend"].create(self.backend_values(
            name="SF oauth password", sf_auth_method="password", sf_consumer_key=CLIENT_KEY,
            sf_consumer_secret=CLIENT_SECRET, sf_password=PASSWORD,
            sf_security_token=SECURITY_TOKEN,
        ))
        self.assertIn("DailyApiRequests", self.adapter(backend).limits())
        self.assertEqual((self.logins("login.oauth"), self.logins("login.soap")), (1, 0))

    def test_wrong_password_is_auth_error(self):
        backend = self.env["retail.backend"].create(self.backend_values(
            name="SF bad password", sf_auth_method="password", sf_password="wrong",
            sf_security_token=SECURITY_TOKEN,
        ))
        with self.assertRaisesRegex(AuthError, "INVALID_LOGIN"):
            self.adapter(backend).limits()

    def test_unknown_jwt_app_is_auth_error(self):
        self.backend.sf_consumer_key = "not-registered"
        with self.assertRaises(AuthError):
            self.adapter().limits()

    def test_expired_session_logs_in_again(self):
        adapter = self.adapter()
        adapter.limits()
        self.control.expire_sessions()
        adapter.create("Account", {"Name": "After expiry"})
        self.assertEqual(self.logins("login.oauth"), 2)
        # the new token is cached for the next adapter too
        self.assertEqual(len(self.adapter().query_all("SELECT Id FROM Account")), 1)
        self.assertEqual(self.logins("login.oauth"), 2)

    def test_changing_credentials_drops_the_cached_session(self):
        self.adapter().limits()
        self.backend.sf_consumer_key = "not-registered"
        with self.assertRaises(AuthError):
            self.adapter().limits()

    # ------------------------------------------------------------------ test connection
    def test_test_connection_fills_org_and_usage(self):
        self.backend.write({"circuit_state": "open", "circuit_failure_count": 3})
        action = self.backend.action_sf_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.backend.sf_organization_id, self.org_id)
        self.assertEqual(self.backend.sf_api_max, 15000)
        self.assertEqual(self.backend.sf_api_used, self.control.state()["api_used"])
        self.assertGreater(self.backend.sf_api_used, 0)
        self.assertIn("odoo@sandbox.example", self.backend.sf_connected_user)
        self.assertEqual(self.backend.sf_instance_url, "https://" + self.sandbox.base_url[7:])
        self.assertEqual(self.backend.circuit_state, "closed")

    def test_test_connection_refuses_another_org(self):
        self.backend.sf_organization_id = "00D000000000001AAA"
        with self.assertRaisesRegex(UserError, "00D000000000001AAA"):
            self.backend.action_sf_test_connection()

    def test_test_connection_reports_bad_credentials(self):
        self.backend.sf_username = "nobody@example.com"
        with self.assertRaisesRegex(UserError, "connection failed"):
            self.backend.action_sf_test_connection()

    # ------------------------------------------------------------------ failures
    def test_row_lock_is_transient(self):
        account_id = self.adapter().create("Account", {"Name": "Locked"})
        self.control.faults(lock_next_writes=1)
        with self.assertRaises(TransientError) as caught:
            self.adapter().update("Account", account_id, {"Phone": "1"})
        self.assertEqual(caught.exception.details["error_code"], "UNABLE_TO_LOCK_ROW")
        self.assertTrue(caught.exception.retry_after)
        self.adapter().update("Account", account_id, {"Phone": "2"})
        self.assertEqual(self.sandbox_account(account_id)["Phone"], "2")

    def test_limit_exhaustion_pauses_the_backend_without_opening_the_circuit(self):
        adapter = self.adapter()
        adapter.limits()
        self.control.faults(exhaust_limits=True)
        outcome, error = self.backend._call_guarded(lambda: adapter.query("SELECT Id FROM Account"))
        self.assertEqual(outcome, "transient")
        self.assertIsInstance(error, QuotaExceeded)
        self.assertIn("REQUEST_LIMIT_EXCEEDED", str(error))
        self.assertEqual(self.backend.circuit_state, "closed")
        self.assertTrue(self.backend.paused_until)
        self.assertTrue(self.backend._circuit_check())  # every job waits
        # At the end of the pause, the probe's refusal keeps it paused and records the usage.
        self.backend.paused_until = fields.Datetime.subtract(fields.Datetime.now(), seconds=1)
        self.assertTrue(self.backend._circuit_check())
        self.assertTrue(self.backend.paused_until > fields.Datetime.now())
        self.assertEqual(self.backend.sf_api_used, self.backend.sf_api_max)

    def test_required_field_missing_is_data_error(self):
        with self.assertRaises(DataError) as caught:
            self.adapter().create("Account", {"Phone": "+1 555"})
        error = caught.exception
        self.assertEqual(error.details["error_code"], "REQUIRED_FIELD_MISSING")
        self.assertEqual(error.details["fields"], ["Name"])
        self.assertIn("Name", str(error))

    def test_invalid_field_is_data_error(self):
        with self.assertRaisesRegex(DataError, "INVALID_FIELD"):
            self.adapter().query("SELECT Nope__c FROM Account")

    def test_outage_503_is_transient(self):
        adapter = self.adapter()
        adapter.limits()
        self.control.outage("503", seconds=30)
        self.addCleanup(self.control.outage, "none")
        with self.assertRaisesRegex(TransientError, "SERVER_UNAVAILABLE"):
            adapter.query("SELECT Id FROM Account")

    def test_outage_during_login_is_transient(self):
        self.control.outage("503", seconds=30)
        self.addCleanup(self.control.outage, "none")
        with self.assertRaises(TransientError):
            self.adapter().limits()

    def test_connection_refused_is_transient(self):
        adapter = self.adapter()
        adapter.limits()
        self.sandbox.refuse_connections()
        self.addCleanup(self.sandbox.restore_connections)
        with self.assertRaisesRegex(TransientError, "unreachable"):
            adapter.query("SELECT Id FROM Account")

    # ------------------------------------------------------------------ reads and writes
    def test_query_follows_query_more(self):
        self.control.settings(query_batch_size=2)
        self.control.seed({"Account": [{"Name": f"Account {n}"} for n in range(5)]})
        names = [r["Name"] for r in self.adapter().iter_query("SELECT Name FROM Account")]
        self.assertEqual(sorted(names), [f"Account {n}" for n in range(5)])
        self.assertEqual(self.control.counters().get("GET queryMore"), 2)

    def test_upsert_by_external_id(self):
        adapter = self.adapter()
        self.assertEqual(adapter.upsert("Account", "Odoo_Id__c", "7/a b", {"Name": "U"}),
                         "created")
        self.assertEqual(adapter.upsert("Account", "Odoo_Id__c", "7/a b", {"Name": "V"}),
                         "updated")
        record = adapter.get_by_external_id("Account", "Odoo_Id__c", "7/a b")
        self.assertEqual(record["Name"], "V")
        self.assertEqual(len(self.control.records("Account")), 1)

    def test_get_selected_fields(self):
        account_id = self.adapter().create("Account", {"Name": "Read", "Phone": "42"})
        record = self.adapter().get("Account", account_id, fields=["Id", "Phone"])
        self.assertEqual(record, {"Id": account_id, "Phone": "42"})

    def test_collections_report_per_record_errors(self):
        adapter = self.adapter()
        results = adapter.collection_create("Account", [{"Name": "Ok"}, {"Phone": "1"}])
        self.assertEqual([r["success"] for r in results], [True, False])
        failures = adapter.collection_errors(results)
        self.assertEqual(len(failures), 1)
        index, error = failures[0]
        self.assertEqual(index, 1)
        self.assertIsInstance(error, DataError)
        self.assertEqual(error.details["error_code"], "REQUIRED_FIELD_MISSING")
        updated = adapter.collection_update(
            "Account", [{"id": results[0]["id"], "Phone": "99"}]
        )
        self.assertTrue(updated[0]["success"])
        self.assertEqual(self.sandbox_account(results[0]["id"])["Phone"], "99")

    def test_binding_external_url(self):
        partner = self.env["res.partner"].create({"name": "Linked"})
        binding = self.env["retail.partner.binding"].create({
            "backend_id": self.backend.id, "external_id": "001Hs00000008EuIAI",
            "odoo_id": partner.id,
        })
        self.assertFalse(binding.external_url)
        self.backend.write({"sf_login_domain": "custom", "sf_my_domain": "acme.my"})
        binding.invalidate_recordset(["external_url"])
        self.assertEqual(
            binding.external_url,
            "https://acme.lightning.force.com/lightning/r/Account/001Hs00000008EuIAI/view",
        )
