"""The integration user: one per company, the least groups, what intake and jobs run as."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.res_company import INTEGRATION_GROUPS
from .common import RetailCase

MODELS_LOGGER = "odoo.addons.retail_connector.models.retail_backend_integration"
JOBS_LOGGER = "odoo.addons.retail_connector.models.retail_backend_jobs"

MANAGER_GROUPS = (
    "retail_connector.group_retail_manager",
    "queue_job.group_queue_job_manager",
    "sales_team.group_sale_manager",
    "stock.group_stock_manager",
    "account.group_account_manager",
    "account.group_account_user",
    "base.group_erp_manager",
    "base.group_system",
)


@tagged("post_install", "-at_install")
class TestIntegrationUser(RetailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = cls.env.company.retail_integration_user_id

    def test_the_company_has_one_with_the_least_groups_and_no_password(self):
        self.assertTrue(self.user.active)
        self.assertFalse(self.user.share)
        self.assertEqual(self.backend.integration_user_id, self.user)
        self.assertEqual(self.user.company_id, self.env.company)
        self.assertEqual(self.user.company_ids, self.env.company)
        for xmlid in INTEGRATION_GROUPS:
            self.assertTrue(self.user.has_group(xmlid), xmlid)
        for xmlid in MANAGER_GROUPS:
            self.assertFalse(self.user.has_group(xmlid), xmlid)
        self.env.cr.execute("SELECT password FROM res_users WHERE id = %s", [self.user.id])
        self.assertFalse(self.env.cr.fetchone()[0], "an integration user must not log in")

    def test_a_new_company_gets_its_own_and_its_backends_default_to_it(self):
        other = self.env["res.company"].create({"name": "Second Retail Co"})
        user = other.retail_integration_user_id
        self.assertTrue(user)
        self.assertNotEqual(user, self.user)
        self.assertEqual(user.company_ids, other)
        self.assertFalse(user.has_group("retail_connector.group_retail_manager"))
        backend = self.env["retail.backend"].create({"name": "Second", "company_id": other.id})
        self.assertEqual(backend.integration_user_id, user)

    def test_it_cannot_configure_a_backend_nor_read_its_secrets(self):
        backend = self.backend.with_user(self.user)
        self.assertEqual(backend.name, "Generic test backend")
        with self.assertRaises(AccessError):
            backend.write({"webhook_secret": "stolen"})
        with self.assertRaises(AccessError):
            backend.read(["webhook_secret"])
        with self.assertRaises(AccessError):
            backend.action_circuit_reset()
        self.assertEqual(self.backend.webhook_secret, "s3cret-current")

    def test_jobs_enqueued_by_a_cron_or_a_manager_run_as_it_without_superuser_mode(self):
        self.assertTrue(self.env.su)
        with trap_jobs() as trap:
            self.backend._enqueue_catch_up()
            event, _created = self.store(self.customer_payload(), key="evt-iuser")
        self.assertEqual(len(trap.enqueued_jobs), 2)
        for job in trap.enqueued_jobs:
            self.assertEqual(job.recordset.env.uid, self.user.id)
            self.assertFalse(job.recordset.env.su)
        self.assertEqual(event.create_uid, self.env.user)  # stored by the test's own user

    def test_an_event_job_imports_as_it(self):
        from ..engine.intake import store_event

        with trap_jobs() as trap:
            event, _created = store_event(
                self.backend._as_integration_user(), "customer", self.customer_payload(), "c-9"
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(event.create_uid, self.user)
        self.assertEqual(event.state, "done", event.error_message)
        partner = self.env["retail.partner.binding"].search(
            [("backend_id", "=", self.backend.id)]
        ).odoo_id
        self.assertEqual(partner.create_uid, self.user)

    def test_a_retail_user_retries_from_the_exception_queue_and_the_job_runs_as_it(self):
        clerk = new_test_user(
            self.env, "retail_clerk", groups="base.group_user,retail_connector.group_retail_user"
        )
        with trap_jobs() as trap:
            event, _created = self.store("{not json", key="bad-payload")
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "failed")
        event.with_context(retail_event_internal=True).payload = self.customer_payload()
        with trap_jobs() as trap:
            event.with_user(clerk).action_retry()
            self.assertEqual(len(trap.enqueued_jobs), 1)
            job = trap.enqueued_jobs[0]
            self.assertEqual((job.recordset.env.uid, job.recordset.env.su), (self.user.id, False))
            trap.perform_enqueued_jobs()
        self.assertEqual(event.state, "done", event.error_message)
        with self.assertRaises(AccessError):
            self.backend.with_user(clerk).action_circuit_reset()

    def test_without_an_active_one_nothing_is_enqueued_and_the_form_says_why(self):
        self.user.active = False
        problem = self.backend._integration_user_problem()
        self.assertIn("archived", problem)
        self.assertIn(self.backend.name, problem)
        with self.assertRaisesRegex(UserError, "archived"):
            self.backend._enqueue_catch_up()
        self.assertIn("archived", self.backend.setup_checklist)
        self.backend.integration_user_id = False
        with self.assertRaisesRegex(UserError, "no integration user"):
            self.backend._enqueue_catch_up()
        with self.assertLogs(MODELS_LOGGER, "WARNING") as logs, trap_jobs() as trap:
            self.env["retail.backend"]._cron_catch_up()
        self.assertIn(self.backend.name, "\n".join(logs.output))
        self.assertFalse(
            [job for job in trap.enqueued_jobs if job.recordset == self.backend]
        )
        # An export marked by someone's edit waits (logged) instead of stopping their work.
        with self.assertLogs(JOBS_LOGGER, "WARNING") as logs, trap_jobs() as trap:
            self.assertIsNone(self.backend._schedule_export("stock"))
        self.assertIn("not scheduled", "\n".join(logs.output))
        self.assertFalse(trap.enqueued_jobs)
