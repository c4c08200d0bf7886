from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

from ..models.retail_backend import CREDENTIAL_COLUMNS_PARAM
from .common import RetailCase


@tagged("post_install", "-at_install")
class TestSecurity(RetailCase):
    def test_secrets_need_the_manager_group(self):
        user = new_test_user(
            self.env, "retail_user", groups="base.group_user,retail_connector.group_retail_user"
        )
        manager = new_test_user(
            self.env,
            "retail_manager",
            groups="base.group_user,retail_connector.group_retail_manager",
        )
        backend_as_user = self.backend.with_user(user)
        self.assertEqual(backend_as_user.name, "Generic test backend")
        with self.assertRaises(AccessError):
            backend_as_user.read(["webhook_secret"])
        self.assertEqual(self.backend.with_user(manager).webhook_secret, "s3cret-current")

    def test_user_reads_events_but_cannot_configure(self):
        user = new_test_user(
            self.env, "retail_user2", groups="base.group_user,retail_connector.group_retail_user"
        )
        event, _created = self.store("{}")
        self.assertEqual(event.with_user(user).topic, "customer")
        with self.assertRaises(AccessError):
            self.env["retail.backend"].with_user(user).create({"name": "nope"})

    def test_other_company_backends_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Retail Co"})
        hidden = self.env["retail.backend"].create({"name": "Other", "company_id": other.id})
        user = new_test_user(
            self.env, "retail_user3", groups="base.group_user,retail_connector.group_retail_user"
        )
        visible = self.env["retail.backend"].with_user(user).search([])
        self.assertIn(self.backend, visible)
        self.assertNotIn(hidden, visible)

    def test_neutralization_deactivates_backends(self):
        self.backend.environment = "production"
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        self.assertFalse(self.backend.active)
        self.assertFalse(self.backend.webhook_secret)

    def test_neutralization_clears_every_credential_field_of_every_backend_type(self):
        Backend = self.env["retail.backend"]
        names = Backend._credential_fields()
        # Found by field (manager-only, stored), from the engine and both channels.
        for expected in ("webhook_secret", "shopify_access_token", "shopify_client_secret",
                         "sf_password", "sf_private_key", "sf_outbound_token"):
            self.assertIn(expected, names)
        self.assertNotIn("name", names)
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param(CREDENTIAL_COLUMNS_PARAM),
            ",".join(names),
        )
        backends = self.backend
        for backend_type, _label in Backend._fields["backend_type"].selection:
            backends |= Backend.create({"name": f"Neutral {backend_type}",
                                        "backend_type": backend_type})
        for name in names:
            backends.write({name: f"secret-{name}"})
        self.assertTrue(all(backend[name] for backend in backends for name in names))
        self.env.flush_all()
        neutralize_database(self.env.cr)
        self.env.invalidate_all()
        for backend in backends.with_context(active_test=False):
            self.assertFalse(backend.active)
            for name in names:
                with self.subTest(backend=backend.backend_type, field=name):
                    self.assertFalse(backend[name])

    def test_the_three_addons_are_installed(self):
        modules = self.env["ir.module.module"].search(
            [
                (
                    "name",
                    "in",
                    ["retail_connector", "retail_connector_shopify", "retail_connector_salesforce"],
                )
            ]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 3)
