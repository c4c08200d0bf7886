"""A Salesforce sandbox per test class, its credentials, and a backend pointing at it."""

from tests.sandbox.salesforce import SalesforceSandbox
from tests.sandbox.salesforce.testing import generate_rsa_certificate

from ..adapter import SalesforceAdapter, forget_session

USERNAME = "odoo@sandbox.example"
PASSWORD = "pw-1"
SECURITY_TOKEN = "TOKEN1"
JWT_KEY = "jwt-consumer-key"
CLIENT_KEY = "cc-consumer-key"
CLIENT_SECRET = "cc-consumer-secret"


class SalesforceSandboxMixin:
    """Use with an Odoo test case: ``cls.sandbox``, ``cls.control``, ``cls.backend`` (JWT)."""

    @classmethod
    def setup_sandbox(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.sandbox = SalesforceSandbox(outbound_backoff_factor=0.001).start()
        cls.addClassCleanup(cls.sandbox.stop)
        cls.control = cls.sandbox.control
        cls.private_pem, cls.certificate_pem = generate_rsa_certificate()
        cls.org_id = cls.control.state()["org_id"]
        cls.backend = cls.env["retail.backend"].create(cls.backend_values())

    @classmethod
    def backend_values(cls, **values):
        return {
            "name": values.pop("name", "Salesforce sandbox"),
            "backend_type": "salesforce",
            "sf_auth_method": "jwt",
            "sf_login_domain": "login",
            "sf_username": USERNAME,
            "sf_consumer_key": JWT_KEY,
            "sf_private_key": cls.private_pem,
            "sf_api_base_url": cls.sandbox.base_url,
            "sf_poll_interval": 0,
            "circuit_threshold": 3,
            **values,
        }

    def reset_sandbox(self):
        """A fresh org with the integration user and both connected apps registered."""
        self.control.reset()
        self.control.add_user(USERNAME, PASSWORD, SECURITY_TOKEN)
        self.control.add_app(JWT_KEY, certificate=self.certificate_pem)
        self.control.add_app(CLIENT_KEY, consumer_secret=CLIENT_SECRET, run_as=USERNAME)
        forget_session(self.backend)
        self.addCleanup(forget_session, self.backend)

    def adapter(self, backend=None):
        return SalesforceAdapter(backend or self.backend)

    def logins(self, kind="login.oauth"):
        return self.control.counters().get(kind, 0)

    def sandbox_account(self, record_id):
        return self.control.record("Account", record_id)


class SalesforceFlowMixin(SalesforceSandboxMixin):
    """Helpers of the flow tests: run the catch-up and the export jobs, read events."""

    def catch_up(self):
        from odoo.addons.queue_job.tests.common import trap_jobs

        with trap_jobs() as trap:
            report = self.backend._catch_up()
            trap.perform_enqueued_jobs()
        return report

    @staticmethod
    def export_jobs(trap, backend=None):
        return [job for job in trap.enqueued_jobs if job.method_name == "_export_flow"
                and (backend is None or job.recordset == backend)]

    def perform(self, trap):
        """Perform the trapped jobs; return the results of the export jobs."""
        jobs = list(trap.enqueued_jobs)
        trap.perform_enqueued_jobs()
        return [job.result for job in jobs if job.method_name == "_export_flow"]

    def events(self, **domain):
        search = [("backend_id", "=", self.backend.id)]
        search += [(name, "=", value) for name, value in domain.items()]
        return self.env["retail.event"].search(search)

    def import_account(self, **values):
        """Create an Account in Salesforce and import it; return ``(account, partner)``."""
        account = self.control.create_record("Account", {"BillingCountry": "US", **values})
        self.catch_up()
        binding = self.env["retail.partner.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", account["Id"])])
        return account, binding.odoo_id

    def counter(self, name):
        return self.control.counters().get(name, 0)
