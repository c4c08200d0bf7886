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
