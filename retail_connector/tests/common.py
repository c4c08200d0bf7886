import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase

from ..canonical import Address, Customer, to_dict


class RetailCase(TransactionCase):
    """A generic backend and helpers to build canonical customer events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "Generic test backend",
                "backend_type": "generic",
                "webhook_secret": "s3cret-current",
                "circuit_threshold": 3,
                "circuit_cooldown": 60,
            }
        )

    @staticmethod
    def customer_payload(
        external_id="C-1", name="Ada Lovelace", email="ada@example.com", country="GB", **extra
    ):
        customer = Customer(
            external_id=external_id,
            name=name,
            email=email,
            phone=extra.pop("phone", "+44 20 7946 0000"),
            default_address=Address(
                street="12 Analytical Row", city="London", zip="N1 7AA", country_code=country
            ),
            **extra,
        )
        return json.dumps(to_dict(customer))

    def store(self, payload, key="evt-1", topic="customer"):
        from ..engine.intake import store_event

        return store_event(self.backend, topic, payload, key, external_id=key)


class CommittedBackendMixin:
    """For tests whose point is a second, real transaction (two workers at the same moment):
    a backend committed on a cursor of its own (:meth:`commit_backend`), cursors of the
    test's own (:meth:`own_cursors`), calls released together in threads (:meth:`at_once`),
    and what the test committed deleted when it ends (:meth:`cleanup_committed`)."""

    def commit_backend(self, values, prepare=None):
        """Create a backend with ``values`` and commit it (``self.backend_id``);
        ``prepare(env)`` makes the rest of the test's data in the same transaction. What the
        test committed is deleted when it ends."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.backend_id = env["retail.backend"].create(values).id
            if prepare is not None:
                prepare(env)
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        with self.registry.cursor() as cr:
            self.cleanup_committed(api.Environment(cr, SUPERUSER_ID, {}))

    def cleanup_committed(self, env):
        """Delete what the test committed, in ``env``: the backend and its jobs (extend it
        with ``super()``)."""
        env["queue.job"].search([("retail_backend_id", "=", self.backend_id)]).unlink()
        env["retail.backend"].browse(self.backend_id).unlink()

    def read_backend(self, field):
        """``field`` of the committed backend, read on a cursor of its own."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return env["retail.backend"].browse(self.backend_id)[field]

    @contextmanager
    def own_cursors(self, count):
        """``count`` cursors of the test's own, closed when the block ends (what they did
        not commit is rolled back)."""
        cursors = [self.registry.cursor() for _index in range(count)]
        try:
            yield cursors
        finally:
            for cr in cursors:
                cr.close()

    @staticmethod
    def at_once(call, backends):
        """``call(backend)`` for each of ``backends`` (each on a cursor of its own), in
        threads released together, as two workers at the same moment. Returns the results
        in the order of ``backends``."""
        barrier = threading.Barrier(len(backends))

        def run(backend):
            barrier.wait(timeout=30)
            return call(backend)

        with ThreadPoolExecutor(max_workers=len(backends)) as pool:
            return list(pool.map(run, backends))
