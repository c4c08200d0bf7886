from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.retail_connector.compat import call_kw


@tagged("post_install", "-at_install")
class TestSalesforceSecrets(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["retail.backend"].create({
            "name": "SF secrets", "backend_type": "salesforce", "sf_username": "u@example.com",
            "sf_consumer_secret": "s3cret", "sf_private_key": "-----BEGIN PRIVATE KEY-----",
        })
        cls.user = new_test_user(cls.env, "retail_sf_user",
                                 groups="base.group_user,retail_connector.group_retail_user")
        cls.manager = new_test_user(cls.env, "retail_sf_manager",
                                    groups="base.group_user,retail_connector.group_retail_manager")

    def test_secrets_are_manager_only(self):
        backend = self.backend.with_user(self.user)
        self.assertEqual(backend.sf_username, "u@example.com")
        for name in ("sf_consumer_secret", "sf_private_key", "sf_outbound_token",
                     "sf_outbound_url", "sf_password"):
            with self.assertRaises(AccessError, msg=name):
                backend.invalidate_recordset([name])
                backend[name]
        manager_backend = self.backend.with_user(self.manager)
        self.assertEqual(manager_backend.sf_consumer_secret, "s3cret")
        self.assertIn(f"/retail/salesforce/outbound/{self.backend.id}/",
                      manager_backend.sf_outbound_url)
        self.assertTrue(manager_backend.sf_outbound_url.endswith(
            manager_backend.sf_outbound_token))

    def test_form_hides_secrets_from_users(self):
        arch = self.env["retail.backend"].with_user(self.user).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="sf_username"', arch)
        self.assertNotIn('name="sf_private_key"', arch)
        manager_arch = self.env["retail.backend"].with_user(self.manager).get_views(
            [(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="sf_private_key"', manager_arch)
        self.assertIn('name="sf_outbound_url"', manager_arch)

    def test_api_version_and_org_id_are_checked(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.backend.sf_api_version = "v59.0"
        with self.assertRaises(ValidationError):
            self.backend.sf_organization_id = "001000000000001"
        self.backend.sf_organization_id = "00DHs000000023j"
        self.assertEqual(self.backend.sf_organization_id, "00DHs000000023j")

    def test_a_user_cannot_rotate_the_salesforce_token(self):
        backend = self.env["retail.backend"].create(
            {"name": "SF access", "backend_type": "salesforce"}
        )
        token = backend.sf_outbound_token
        with self.assertRaises(AccessError):
            call_kw(
                self.env["retail.backend"].with_user(self.user),
                "action_sf_regenerate_outbound_token",
                [backend.ids],
                {},
            )
        self.assertEqual(backend.sf_outbound_token, token)
        backend.with_user(self.manager).action_sf_regenerate_outbound_token()
        self.assertNotEqual(backend.sf_outbound_token, token)
