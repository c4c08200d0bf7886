import re
import secrets
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.retail_connector.access import MANAGER_GROUP, requires_group
from odoo.addons.retail_connector.engine.dry_run import is_dry_run
from odoo.addons.retail_connector.engine.transactions import short_transaction
from odoo.addons.retail_connector.errors import AuthError, RetailError

from ..const import DEFAULT_API_VERSION, DEFAULT_EXTERNAL_ID_FIELD, same_id, to_18_char_id

API_VERSION = re.compile(r"^\d{2,3}\.0$")
# Changing one of these drops the cached Salesforce session of the backend.
CONNECTION_FIELDS = (
    "sf_login_domain", "sf_my_domain", "sf_api_version", "sf_auth_method", "sf_username",
    "sf_consumer_key", "sf_consumer_secret", "sf_private_key", "sf_password",
    "sf_security_token", "sf_api_base_url",
)
USAGE_WRITE_SECONDS = 60  # API usage is saved at most once a minute, unless near the limit
USAGE_ALERT_RATIO = 0.8


def _new_token(*_args):
    return secrets.token_urlsafe(24)


class RetailBackend(models.Model):
    """Salesforce connection settings of a backend, its test and its API usage."""

    _inherit = "retail.backend"

    backend_type = fields.Selection(
        selection_add=[("salesforce", "Salesforce")], ondelete={"salesforce": "cascade"}
    )
    sf_login_domain = fields.Selection(
        [("login", "Production (login)"), ("test", "Sandbox (test)"), ("custom", "My Domain")],
        string="Login Domain", default="login",
        help="Where to log in: login.salesforce.com, test.salesforce.com or your My Domain. "
        "Client credentials need My Domain.",
    )
    sf_my_domain = fields.Char(
        string="My Domain",
        help="The part before .salesforce.com, e.g. acme.my or acme--uat.sandbox.my.",
    )
    sf_api_version = fields.Char(string="Salesforce API Version", default=DEFAULT_API_VERSION)
    sf_auth_method = fields.Selection(
        [
            ("jwt", "JWT bearer (connected app certificate)"),
            ("client_credentials", "Client credentials"),
            ("password", "Username, password and security token"),
        ],
        string="Authentication", default="jwt",
    )
    sf_username = fields.Char(string="Integration User")
    sf_consumer_key = fields.Char(string="Consumer Key", groups=MANAGER_GROUP)
    sf_consumer_secret = fields.Char(string="Consumer Secret", groups=MANAGER_GROUP, copy=False)
    sf_private_key = fields.Text(
        string="Private Key (PEM)", groups=MANAGER_GROUP, copy=False,
        help="Private key matching the certificate uploaded to the connected app (JWT bearer).",
    )
    sf_password = fields.Char(string="Password", groups=MANAGER_GROUP, copy=False)
    sf_security_token = fields.Char(string="Security Token", groups=MANAGER_GROUP, copy=False)
    sf_api_base_url = fields.Char(
        string="API Base URL Override",
        help="Advanced: send every Salesforce call (login and REST) to this base instead, e.g. "
        "http://127.0.0.1:8702 for the local sandbox. Leave empty in production.",
    )
    sf_account_external_id_field = fields.Char(
        string="Account External Id Field", default=DEFAULT_EXTERNAL_ID_FIELD,
        help="Account field (External ID, Unique) that holds the Odoo partner id.",
    )
    sf_contact_external_id_field = fields.Char(
        string="Contact External Id Field", default=DEFAULT_EXTERNAL_ID_FIELD
    )
    sf_import_contacts = fields.Boolean(
        string="Poll Contacts", help="The catch-up also imports Contacts as persons."
    )
    sf_organization_id = fields.Char(
        string="Organization Id", size=18, copy=False,
        help="18-character org id (00D...). Outbound Messages of another org are refused. "
        "Test Connection fills it.",
    )
    sf_outbound_token = fields.Char(
        string="Outbound Message Token", groups=MANAGER_GROUP, copy=False, default=_new_token,
        help="Secret part of the Outbound Message URL.",
    )
    sf_outbound_url = fields.Char(
        string="Outbound Message URL", compute="_compute_sf_outbound_url", groups=MANAGER_GROUP,
        help="Paste this as Endpoint URL of the Outbound Messages in Salesforce.",
    )
    sf_poll_interval = fields.Integer(
        string="Polling Interval (min)", default=15,
        help="The scheduled catch-up polls Salesforce at most this often (0: at every run).",
    )
    sf_api_used = fields.Integer(string="API Requests Used", readonly=True, copy=False)
    sf_api_max = fields.Integer(string="API Requests Allowed", readonly=True, copy=False)
    sf_api_usage_at = fields.Datetime(string="API Usage Read At", readonly=True, copy=False)
    sf_instance_url = fields.Char(string="Instance", readonly=True, copy=False)
    sf_connected_user = fields.Char(string="Connected As", readonly=True, copy=False)
    sf_last_sync_at = fields.Datetime(string="Last Poll", readonly=True, copy=False)
    sf_last_sync_info = fields.Char(string="Last Poll Result", readonly=True, copy=False)

    @api.depends("sf_outbound_token")
    def _compute_sf_outbound_url(self):
        # sudo: system parameters are readable by administrators only
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for backend in self:
            backend.sf_outbound_url = (
                f"{base}/retail/salesforce/outbound/{backend.id}/{backend.sf_outbound_token}"
                if backend.id and backend.sf_outbound_token else False
            )

    @api.constrains("sf_api_version")
    def _check_sf_api_version(self):
        for backend in self.filtered(lambda b: b.backend_type == "salesforce"):
            if not API_VERSION.match(backend.sf_api_version or ""):
                raise ValidationError(_("The API version is a number such as 59.0 (no 'v')."))

    @api.constrains("sf_organization_id")
    def _check_sf_organization_id(self):
        for backend in self.filtered("sf_organization_id"):
            org = backend.sf_organization_id
            if not org.startswith("00D") or not to_18_char_id(org):
                raise ValidationError(_("An organization id has 15 or 18 characters: 00D..."))

    def write(self, vals):
        if any(name in vals for name in CONNECTION_FIELDS):
            from ..adapter import forget_session

            for backend in self:
                forget_session(backend)
        return super().write(vals)

    # ------------------------------------------------------------------ adapter support
    def _sf_domain(self):
        if self.sf_login_domain != "custom":
            return self.sf_login_domain or "login"
        domain = (self.sf_my_domain or "").strip().lower()
        domain = re.sub(r"^https?://", "", domain).split("/")[0]
        return domain.removesuffix(".salesforce.com")

    def _sf_connection_settings(self):
        """Return the login settings read by the adapter (call on a sudo record)."""
        self.ensure_one()
        return {
            "auth_method": self.sf_auth_method,
            "domain": self._sf_domain(),
            "version": (self.sf_api_version or DEFAULT_API_VERSION).strip(),
            "username": (self.sf_username or "").strip(),
            "consumer_key": (self.sf_consumer_key or "").strip(),
            "consumer_secret": self.sf_consumer_secret or "",
            "private_key": self.sf_private_key or "",
            "password": self.sf_password or "",
            "security_token": self.sf_security_token or "",
            "base_url": (self.sf_api_base_url or "").strip() or None,
        }

    def _sf_check_settings(self):
        """Raise AuthError naming what the auth method still needs."""
        self.ensure_one()
        required = {
            "jwt": ("sf_username", "sf_consumer_key", "sf_private_key"),
            "client_credentials": ("sf_consumer_key", "sf_consumer_secret", "sf_my_domain"),
            "password": ("sf_username", "sf_password"),
        }.get(self.sf_auth_method, ())
        missing = [self._fields[name].string for name in required if not self[name]]
        if missing:
            raise AuthError(_("Salesforce settings incomplete: %s.", ", ".join(missing)))
        if self.sf_auth_method == "client_credentials" and self.sf_login_domain != "custom":
            raise AuthError(_("Client credentials log in through My Domain only."))

    def _sf_record_api_usage(self, used, maximum):
        """Save the API usage of the last call (throttled, but always near the limit)."""
        self.ensure_one()
        now = fields.Datetime.now()
        recent = self.sf_api_usage_at and now - self.sf_api_usage_at < timedelta(
            seconds=USAGE_WRITE_SECONDS
        )
        near_limit = maximum and used >= maximum * USAGE_ALERT_RATIO
        if (used, maximum) == (self.sf_api_used, self.sf_api_max) or (recent and not near_limit):
            return
        # a short transaction of its own, never waiting on the row: a job's transaction
        # writes nothing while it calls Salesforce (claim, commit, call, record)
        with short_transaction(self.env, same=is_dry_run(self.env.context)) as env:
            self.with_env(env)._circuit_write(
                {"sf_api_used": used, "sf_api_max": maximum, "sf_api_usage_at": now}
            )
        self.invalidate_recordset(["sf_api_used", "sf_api_max", "sf_api_usage_at"])

    # ------------------------------------------------------------------ actions
    @requires_group(MANAGER_GROUP)
    def action_sf_test_connection(self):
        """Log in, read the org, the user and the API usage; close the circuit."""
        from ..adapter import SalesforceAdapter

        self.ensure_one()
        self._check_integration_user()
        try:
            info = SalesforceAdapter(self).check_connection()
        except RetailError as error:
            raise UserError(_("Salesforce connection failed: %s", error)) from error
        if self.sf_organization_id and not same_id(
            self.sf_organization_id, info["organization_id"]
        ):
            raise UserError(_(
                "Connected to org %(found)s, but this backend is for org %(expected)s: check "
                "the login domain and credentials.",
                found=info["organization_id"], expected=self.sf_organization_id,
            ))
        values = {
            "sf_organization_id": info["organization_id"],
            "sf_instance_url": f"https://{info['instance']}",
            "sf_connected_user": info["user"],
            "sf_api_usage_at": fields.Datetime.now(),
        }
        if info["api_max"]:
            values.update(sf_api_used=info["api_used"] or 0, sf_api_max=info["api_max"])
        # Recorded in a short transaction, as a job records: the calls above wrote the API
        # usage on this row in one of their own (committed), after which this transaction can
        # no longer write the row (repeatable read) and its write would be lost.
        with short_transaction(self.env, same=is_dry_run(self.env.context)) as env:
            self.with_env(env).write(values)
            self.with_env(env)._circuit_record_success()
        self.invalidate_recordset()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Connected to Salesforce"),
                "message": _(
                    "Org %(org)s as %(user)s; API requests %(used)s/%(max)s.",
                    org=info["organization_id"], user=info["user"],
                    used=info["api_used"], max=info["api_max"],
                ),
            },
        }

    @requires_group(MANAGER_GROUP)
    def action_sf_regenerate_outbound_token(self):
        """New secret in the Outbound Message URL (paste the new URL in Salesforce)."""
        for backend in self:
            backend.sf_outbound_token = _new_token()
        return True

    @requires_group(MANAGER_GROUP)
    def action_sf_poll_now(self):
        """Enqueue the catch-up job now, whatever the polling interval."""
        for backend in self:
            backend.with_context(retail_force_poll=True)._enqueue_catch_up()
        return True

    def _setup_steps(self):
        steps = super()._setup_steps()
        if self.backend_type != "salesforce":
            return steps
        return [
            # sudo: whether a secret is set shows in the checklist to Retail Users, who may not read
            # it
            (_("Credentials"), bool(self.sf_username or self.sudo().sf_consumer_key),
             _("Choose the authentication method and fill its credentials in the Salesforce "
               "tab.")),
            (_("Test Connection"), bool(self.sf_organization_id),
             _("Click Test Connection: it records the organization id that Outbound Messages "
               "must carry.")),
            *steps[:1],
            (_("Outbound Messages"), bool(self.sf_last_sync_at),
             _("In Salesforce Setup, create Outbound Messages on Account (and Order) pointing "
               "at the Outbound Message URL of the Salesforce tab, then Poll Now for the "
               "first import.")),
        ]
