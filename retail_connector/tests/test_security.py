from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

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
