import psycopg2.errors

from odoo.exceptions import AccessError
from odoo.modules.neutralize import neutralize_database
from odoo.tests import new_test_user, tagged

from ..engine import quiet_sql
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

    def test_every_connector_model_with_a_company_has_a_company_rule(self):
        Rule = self.env["ir.rule"].sudo()
        checked = []
        for name, model in self.env.registry.items():
            if model._abstract or model._transient or "company_id" not in model._fields:
                continue
            if not (model._original_module or "").startswith("retail_connector"):
                continue
            checked.append(name)
            rules = Rule.search([("model_id.model", "=", name)])
            self.assertTrue(
                any("company_ids" in (rule.domain_force or "") for rule in rules), name
            )
        self.assertIn("retail.reconciliation.line", checked)
        self.assertIn("retail.sf.status.binding", checked)

    def test_backend_links_are_checked_against_its_company(self):
        from odoo.exceptions import UserError

        self.assertTrue(self.env["retail.backend"]._check_company_auto)
        other = self.env["res.company"].create({"name": "Foreign Retail Co"})
        foreign = self.env["stock.warehouse"].search([("company_id", "=", other.id)], limit=1)
        self.assertTrue(foreign)
        with self.assertRaises(UserError):
            self.backend.warehouse_id = foreign

    def test_one_default_ownership_rule_per_field_even_without_a_backend(self):
        from odoo.exceptions import ValidationError

        Rule = self.env["retail.ownership.rule"]
        values = {"backend_type": "generic", "object": "customer", "field_name": "x_nickname"}
        Rule.create(values)
        with self.assertRaises(ValidationError):
            Rule.create(values)
        # The database refuses it too (two workers at once pass the check).
        with self.assertRaises(psycopg2.errors.UniqueViolation), quiet_sql.expected_errors(), \
                self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO retail_ownership_rule (backend_type, object, field_name, owner) "
                "VALUES ('generic', 'customer', 'x_nickname', 'odoo')"
            )
        Rule.create(dict(values, backend_id=self.backend.id))  # a backend's own rule is fine
