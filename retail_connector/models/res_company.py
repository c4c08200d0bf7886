"""Each company gets its own integration user: the user webhook intake and jobs run as."""

from odoo import _, api, fields, models

from .. import compat

#: The groups of an integration user, and no more: internal user, contact creation (imported
#: customers), sales (all documents: imported orders have other salespeople), inventory and
#: invoicing users (deliveries, invoices, payments), and the connector's integration group
#: (events, bindings, checkpoints). No manager group: it cannot edit a backend's configuration
#: or read its secrets.
INTEGRATION_GROUPS = (
    "base.group_user",
    "base.group_partner_manager",
    "sales_team.group_sale_salesman_all_leads",
    "stock.group_stock_user",
    "account.group_account_invoice",
    "retail_connector.group_retail_integration",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    retail_integration_user_id = fields.Many2one(
        "res.users",
        string="Retail Integration User",
        copy=False,
        readonly=True,
        help="Created with the company: the user the retail connector's webhooks and jobs run "
        "as (it creates the imported orders and customers). It has no password and cannot "
        "log in.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._retail_ensure_integration_user()
        return companies

    def _retail_integration_user_values(self):
        self.ensure_one()
        groups = [self.env.ref(xmlid).id for xmlid in INTEGRATION_GROUPS]
        return {
            "name": _("Retail Integration (%s)", self.name),
            "login": f"retail-integration-{self.id}",
            "company_id": self.id,
            "company_ids": [fields.Command.set(self.ids)],
            # The chatter messages it posts (on orders, contacts) need a sender address.
            "email": self.email or f"retail-integration-{self.id}@example.invalid",
            compat.USER_GROUPS: [fields.Command.set(groups)],
            "tz": self.partner_id.tz or "UTC",
        }

    def _retail_ensure_integration_user(self):
        """Create the integration user of each company that has none (install, new company)."""
        # sudo: runs at install and when a company is created; making a user takes the user
        # administration right, which whoever creates a company need not have.
        Users = self.env["res.users"].sudo().with_context(
            no_reset_password=True, tracking_disable=True, mail_create_nolog=True
        )
        for company in self.sudo():  # sudo: the field is readonly on the form, set here only
            if company.retail_integration_user_id:
                continue
            login = f"retail-integration-{company.id}"
            user = Users.with_context(active_test=False).search(
                [("login", "=", login)], limit=1
            ) or Users.create(company._retail_integration_user_values())
            company.retail_integration_user_id = user
        return True
