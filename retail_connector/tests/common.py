import json

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
