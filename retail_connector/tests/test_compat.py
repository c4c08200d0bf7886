from odoo.tests import TransactionCase, tagged

from .. import compat


@tagged("post_install", "-at_install")
class TestCompat(TransactionCase):
    """What compat declares lands in the database the same way on every series."""

    def test_groups_sit_in_the_connector_category(self):
        category = self.env.ref("retail_connector.module_category_retail_connector")
        for name in ("group_retail_user", "group_retail_manager"):
            group = self.env.ref(f"retail_connector.{name}")
            if compat.SERIES >= 19:
                privilege = self.env.ref("retail_connector.privilege_retail_connector")
                self.assertEqual(group.privilege_id, privilege)
                self.assertEqual(privilege.category_id, category)
            else:
                self.assertEqual(group.category_id, category)

    def test_admin_is_connector_manager(self):
        manager = self.env.ref("retail_connector.group_retail_manager")
        users = manager.with_context(active_test=False)[compat.GROUP_USERS]
        self.assertIn(self.env.ref("base.user_admin"), users)
        self.assertIn(self.env.ref("base.user_root"), users)
        self.assertIn(manager, self.env.ref("base.user_admin")[compat.USER_GROUPS])

    def test_sql_constraints_have_the_same_names(self):
        """Declared on the abstract binding, inherited by each concrete one, named alike."""
        self.env.cr.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'retail_order_binding'::regclass AND contype = 'u' ORDER BY conname"
        )
        self.assertEqual(
            [row[0] for row in self.env.cr.fetchall()],
            [
                "retail_order_binding_backend_external_uniq",
                "retail_order_binding_backend_odoo_uniq",
            ],
        )

    def test_sale_line_taxes_field_exists(self):
        field = self.env["sale.order.line"]._fields[compat.SALE_LINE_TAXES]
        self.assertEqual((field.type, field.comodel_name), ("many2many", "account.tax"))
