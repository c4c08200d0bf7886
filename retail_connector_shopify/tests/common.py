"""A Shopify sandbox per test class and a backend pointing at it; for the tests whose point
is a second, real transaction, a backend committed on a cursor of its own."""

import threading
import time
from contextlib import contextmanager

from odoo import SUPERUSER_ID
from odoo.tests import TransactionCase

from odoo.addons.retail_connector.engine.transactions import environment
from odoo.addons.retail_connector_shopify.rate_budget import RateBudget

SANDBOX_SHOP = "sandbox-retail.myshopify.com"
SLOW_CALL = 4.0  # seconds the sandbox holds a job's call (:meth:`CommittedShopifyMixin.hold_call`)
LOCK_TIMEOUT = "300ms"  # far below SLOW_CALL: a transaction waiting on the job fails


def start_class_sandbox(cls):
    """Start a Shopify sandbox for the test class ``cls`` (``cls.sandbox``, ``cls.control``),
    stopped when the class is done."""
    from tests.sandbox.shopify import ShopifySandbox

    cls.sandbox = ShopifySandbox().start()
    cls.addClassCleanup(cls.sandbox.stop)
    cls.control = cls.sandbox.control


def sandbox_backend_values(sandbox, name, **values):
    """The values of a Shopify backend named ``name`` that talks to ``sandbox``."""
    return {
        "name": name,
        "backend_type": "shopify",
        "shopify_shop_domain": SANDBOX_SHOP,
        "shopify_api_version": "2026-04",
        "shopify_api_base_url": sandbox.base_url,
        "shopify_access_token": sandbox.token,
        "shopify_rate_reserve": 0,
        "webhook_secret": sandbox.client_secret,
        **values,
    }


def map_the_shop(env, backend, tax_name="VAT 20 (shop)"):
    """Map what the sandbox shop's orders name on ``backend``: its 20 % tax (excluded from
    prices), its ``STD`` shipping and its ``manual`` gateway (the company's bank journal,
    invoiced and paid). Returns the shipping product."""
    shipping = env["product.product"].create(
        {"name": "Shipping", "type": "service", "invoice_policy": "order",
         "taxes_id": [(5, 0, 0)]}
    )
    vat = env["account.tax"].create(
        {"name": tax_name, "amount": 20, "type_tax_use": "sale",
         "price_include_override": "tax_excluded"}
    )
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    for kind, value, values in (
        ("tax", "VAT 20%", {"tax_id": vat.id}),
        ("shipping", "STD", {"product_id": shipping.id}),
        ("gateway", "manual", {"journal_id": bank.id, "payment_workflow": "invoice_pay"}),
    ):
        env["retail.value.mapping"].create(
            {"backend_id": backend.id, "kind": kind, "external_value": value, **values}
        )
    return shipping


class ShopifySandboxMixin:
    """``cls.sandbox`` (started once per class) and ``cls.backend`` bound to it."""

    @classmethod
    def start_sandbox(cls):
        start_class_sandbox(cls)
        cls.backend = cls.create_backend()

    @classmethod
    def create_backend(cls, name="Sandbox shop", **values):
        return cls.env["retail.backend"].create(
            sandbox_backend_values(cls.sandbox, name, **{"circuit_threshold": 3, **values})
        )

    def setUp(self):
        super().setUp()
        self.control.clear_faults()
        self.clear_subscriptions()
        self.control.reset_counters()
        self.addCleanup(self.control.clear_faults)
        self.addCleanup(
            self.control.throttle,
            maximum_available=2000.0,
            restore_rate=100.0,
            currently_available=2000.0,
        )
        self.addCleanup(RateBudget.forget, self.backend.id)

    def clear_subscriptions(self):
        """Delete the sandbox's webhook subscriptions (tests of a class share the sandbox)."""
        from odoo.addons.retail_connector_shopify.adapter import ShopifyAdapter

        adapter = ShopifyAdapter(self.backend)
        for subscription in adapter.webhook_subscriptions():
            adapter.delete_webhook_subscription(subscription["id"])

    def outcomes(self, operation):
        """The sandbox's outcome counts of one GraphQL operation, e.g. ``{"ok": 3}``."""
        return self.control.counters()["operations"].get(operation, {}).get("outcomes", {})


class ShopifyCase(ShopifySandboxMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.start_sandbox()


class CommittedShopifyMixin:
    """For tests whose point is a second, real transaction: a job on a cursor of its own
    while a person or a warehouse user works on another. What they make is committed on
    cursors of their own, and their backend is archived when the test ends.

    ``cls.sandbox`` is started once per class. A test typically holds the job's call in the
    sandbox (:meth:`hold_call`), runs one side in a thread (:meth:`aside`), and waits in the
    other until the call is in flight (:meth:`wait_for_held_call`).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_class_sandbox(cls)

    def committed_env(self, cr, **context):
        """A superuser environment on ``cr``, a cursor of the test's own (any thread: the
        registry is passed, the test runner's thread holds the registries' lock)."""
        return environment(self.registry, cr, SUPERUSER_ID, context)

    def on_own_cursor(self, job):
        """``job(env)`` on a cursor of its own, committed like queue_job's runner does."""
        with self.registry.cursor() as cr:
            return job(self.committed_env(cr))

    def create_committed_backend(self, env, name):
        """A Shopify backend named ``name`` on the sandbox, created in ``env`` (a cursor of
        the test's own); once that is committed, :meth:`archive_at_end` puts it away."""
        return env["retail.backend"].create(sandbox_backend_values(self.sandbox, name))

    def archive_at_end(self):
        """When the test ends: clear the sandbox's faults, forget the rate budget of
        ``self.backend_id`` and archive it (:meth:`archive_committed`)."""
        self.addCleanup(self._archive)
        self.addCleanup(RateBudget.forget, self.backend_id)
        self.addCleanup(self.control.clear_faults)

    def _archive(self):
        with self.registry.cursor() as cr:
            self.archive_committed(self.committed_env(cr))

    def archive_committed(self, env):
        """Put away what the test committed, in ``env`` (extend it with ``super()``)."""
        env["retail.backend"].browse(self.backend_id).active = False

    def hold_call(self, operation):
        """The sandbox holds the next call of the GraphQL ``operation`` for ``SLOW_CALL``
        seconds (a latency rule, used up when the call arrives)."""
        self.control.add_fault("latency", count=1, operation=operation, seconds=SLOW_CALL)

    def wait_for_held_call(self):
        """Wait (up to 20 seconds) until the sandbox took the latency rule: the job's call is
        in flight. The caller checks ``self.control.faults()`` to know whether it is."""
        for _poll in range(400):
            if not self.control.faults():
                break
            time.sleep(0.05)

    @contextmanager
    def aside(self, target, *args):
        """Run ``target(*args)`` in a thread of its own while the block runs. Yields a dict
        that holds its return value under ``result`` once the block ends (the thread is
        joined then); an exception of the thread is raised in the test's."""
        outcome = {}

        def run():
            try:
                outcome["result"] = target(*args)
            except Exception as error:
                outcome["error"] = error

        thread = threading.Thread(target=run)
        thread.start()
        try:
            yield outcome
        finally:
            thread.join()
        if "error" in outcome:
            raise outcome["error"]
