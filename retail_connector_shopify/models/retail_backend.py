from datetime import UTC, datetime

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .. import api_versions, const

MANAGER_GROUP = "retail_connector.group_retail_manager"


class RetailBackend(models.Model):
    """The Shopify settings of a backend and its engine extension points."""

    _inherit = "retail.backend"

    backend_type = fields.Selection(
        selection_add=[("shopify", "Shopify")], ondelete={"shopify": "cascade"}
    )
    shopify_shop_domain = fields.Char(
        string="Shop Domain",
        tracking=True,
        help="The store's myshopify domain, e.g. acme.myshopify.com. Webhooks whose "
        "X-Shopify-Shop-Domain differs are refused.",
    )
    shopify_api_version = fields.Char(
        string="Shopify API Version",
        default=const.DEFAULT_API_VERSION,
        tracking=True,
        help="Admin API version (YYYY-MM), one of the versions this connector supports. Shopify "
        "supports each version 12 months; move to a newer one before the current one leaves "
        "its support window.",
    )
    shopify_api_version_warning = fields.Char(
        string="API Version Support", compute="_compute_shopify_api_version_warning",
        help="Set when the API version has left, or soon leaves, Shopify's 12-month support "
        "window.",
    )
    shopify_auth_method = fields.Selection(
        [
            ("token", "Admin API access token"),
            ("client_credentials", "Client credentials (Dev Dashboard app)"),
        ],
        string="Shopify Authentication",
        default="token",
        tracking=True,
        help="A static token (shpat_...) of a custom app created in the Shopify admin, or the "
        "client id and secret of an app from the Dev Dashboard: Odoo then asks Shopify for a "
        "token (valid about 24 h) and renews it before it expires.",
    )
    shopify_access_token = fields.Char(string="Admin API Access Token", groups=MANAGER_GROUP,
                                       copy=False)
    shopify_client_id = fields.Char(string="Client ID", groups=MANAGER_GROUP, copy=False)
    shopify_client_secret = fields.Char(
        string="Client Secret",
        groups=MANAGER_GROUP,
        copy=False,
        help="The app's client secret; Shopify also signs webhooks with it, so it is used to "
        "verify them when the webhook secret is left empty.",
    )
    shopify_api_base_url = fields.Char(
        string="Shopify API Base URL Override",
        help="Advanced: call this base URL instead of https://<shop domain>, e.g. "
        "http://127.0.0.1:8701 for the local Shopify sandbox. Leave empty in production.",
    )
    shopify_public_base_url = fields.Char(
        string="Public Odoo URL",
        # sudo: system parameters are readable by administrators only
        default=lambda self: self.env["ir.config_parameter"].sudo().get_param("web.base.url"),
        help="The address under which Shopify reaches this Odoo; webhooks are registered to "
        "<this URL>/retail/shopify/webhook/<backend id>.",
    )
    shopify_rate_reserve = fields.Integer(
        string="Rate Budget Reserve (points)",
        default=200,
        help="GraphQL cost points kept in Shopify's bucket for other apps and for urgent "
        "calls: Odoo waits before a call rather than go under this level.",
    )
    shopify_shop_name = fields.Char(string="Shop Name", readonly=True, copy=False)
    shopify_plan = fields.Char(string="Plan", readonly=True, copy=False)
    shopify_currency = fields.Char(string="Shop Currency", readonly=True, copy=False)
    shopify_scopes = fields.Text(string="Granted Scopes", readonly=True, copy=False)
    shopify_checked_at = fields.Datetime(string="Last Connection Test", readonly=True,
                                         copy=False)
    shopify_webhook_report = fields.Text(string="Registered Webhooks", readonly=True,
                                         copy=False)
    shopify_throttle_status = fields.Char(
        string="Rate Budget", compute="_compute_shopify_runtime",
        help="Shopify's last throttle status as seen by this Odoo process.",
    )
    shopify_token_expires_at = fields.Datetime(
        string="Token Expires", compute="_compute_shopify_runtime",
        help="Expiry of the client-credentials token cached by this Odoo process.",
    )
    shopify_webhook_url = fields.Char(string="Webhook URL", compute="_compute_shopify_webhook_url")

    @api.constrains("shopify_api_version", "backend_type")
    def _check_shopify_api_version(self):
        for backend in self.filtered(lambda b: b.backend_type == "shopify"):
            version = (backend.shopify_api_version or "").strip()
            if not const.API_VERSION_PATTERN.match(version):
                raise ValidationError(
                    _("The Shopify API version must look like 2026-04 (YYYY-MM), not '%s'.",
                      version)
                )
            if version not in api_versions.API_VERSIONS:
                raise ValidationError(
                    _("This connector does not support Shopify API version %(version)s; choose "
                      "one of %(supported)s.", version=version,
                      supported=", ".join(api_versions.supported_versions()))
                )

    @api.depends("shopify_api_version", "backend_type")
    def _compute_shopify_api_version_warning(self):
        for backend in self:
            backend.shopify_api_version_warning = (
                api_versions.support_warning((backend.shopify_api_version or "").strip())
                if backend.backend_type == "shopify" else False
            ) or False

    @api.depends("shopify_public_base_url")
    def _compute_shopify_webhook_url(self):
        for backend in self:
            base = (backend.shopify_public_base_url or "").rstrip("/")
            backend.shopify_webhook_url = (
                f"{base}{const.WEBHOOK_ROUTE}/{backend.id}" if base and backend.id else False
            )

    def _compute_shopify_runtime(self):
        from ..adapter import cached_token_info
        from ..rate_budget import RateBudget

        for backend in self:
            backend.shopify_throttle_status = (
                RateBudget.for_backend(backend.id).describe() if backend.id else False
            )
            info = cached_token_info(backend.id) if backend.id else None
            backend.shopify_token_expires_at = (
                datetime.fromtimestamp(int(info["expires_at"]), tz=UTC).replace(tzinfo=None)
                if info else False
            )

    # ------------------------------------------------------------------
    # Engine extension points
    # ------------------------------------------------------------------
    def _shopify_adapter(self):
        """A fresh :class:`~..adapter.ShopifyAdapter` of this backend."""
        from ..adapter import ShopifyAdapter

        self.ensure_one()
        return ShopifyAdapter(self)

    def _channel_notes_answers(self):
        return self.backend_type == "shopify" or super()._channel_notes_answers()

    def _circuit_probe(self):
        if self.backend_type != "shopify":
            return super()._circuit_probe()
        return self._shopify_adapter().shop_info()

    def _binding_external_url(self, binding):
        if self.backend_type != "shopify":
            return super()._binding_external_url(binding)
        path = const.ADMIN_PATHS.get(binding._name)
        store = (self.shopify_shop_domain or "").split(".")[0]
        external_id = str(binding.external_id or "").rsplit("/", 1)[-1]
        if not (path and store and external_id):
            return False
        return f"https://admin.shopify.com/store/{store}/{path}/{external_id}"

    def _shopify_normalized_domain(self):
        """The shop domain without scheme, path or case: what X-Shopify-Shop-Domain says."""
        self.ensure_one()
        domain = (self.shopify_shop_domain or "").strip().lower()
        domain = domain.split("://", 1)[-1]
        return domain.split("/", 1)[0]

    def _shopify_webhook_secrets(self):
        """Secrets that may sign this backend's webhooks: current, previous, client secret."""
        self.ensure_one()
        # sudo: the webhook secrets are fields reserved to Retail Managers; the public route
        # verifies with them
        backend = self.sudo()
        current = backend.webhook_secret or backend.shopify_client_secret
        return (current, backend.webhook_secret_previous)
