from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.retail_connector.access import MANAGER_GROUP, check_group, requires_group
from odoo.addons.retail_connector.errors import RetailError

from .. import const


class RetailBackend(models.Model):
    """The buttons of the Shopify page: connection test, locations, webhooks."""

    _inherit = "retail.backend"

    def _shopify_run(self, work):
        """Run ``work(adapter)``; a channel failure becomes a readable UserError.

        The buttons use the backend's secrets: only managers may run them (the view hides
        them, this check also covers RPC calls).
        """
        self.ensure_one()
        check_group(self.env, MANAGER_GROUP, _("Calling Shopify from here"))
        if self.backend_type != "shopify":
            raise UserError(_("%s is not a Shopify backend.", self.name))
        try:
            return work(self._shopify_adapter())
        except RetailError as error:
            raise UserError(_("Shopify (%(name)s): %(error)s", name=self.name, error=error))

    @requires_group(MANAGER_GROUP)
    def action_shopify_test_connection(self):
        """Read the shop, its plan and the granted scopes; close the circuit on success."""
        for backend in self:
            backend._check_integration_user()

            def check(adapter):
                return adapter.shop_info(), adapter.granted_scopes()

            shop, scopes = backend._shopify_run(check)
            backend.write(
                {
                    "shopify_shop_name": shop.get("name"),
                    "shopify_plan": (shop.get("plan") or {}).get("publicDisplayName"),
                    "shopify_currency": shop.get("currencyCode"),
                    "shopify_scopes": ", ".join(scopes)
                    if scopes is not None
                    else _("(Shopify did not report the scopes of this token)"),
                    "shopify_checked_at": fields.Datetime.now(),
                }
            )
            backend._circuit_record_success()
        return True

    @requires_group(MANAGER_GROUP)
    def action_shopify_import_locations(self):
        """Create a draft location mapping per Shopify location (value: numeric id)."""
        self.ensure_one()
        Mapping = self.env["retail.value.mapping"]
        locations = self._shopify_run(lambda adapter: adapter.locations())
        before = Mapping.search_count(
            [("backend_id", "=", self.id), ("kind", "=", "location")]
        )
        for location in locations:
            label = location["name"] if location.get("isActive", True) else _(
                "%s (inactive)", location["name"]
            )
            mapping = Mapping._ensure_draft(self, "location", location["legacyResourceId"], label)
            if mapping.external_label != label:
                mapping.external_label = label
        created = (
            Mapping.search_count([("backend_id", "=", self.id), ("kind", "=", "location")])
            - before
        )
        self.message_post(
            body=_(
                "%(count)s Shopify locations read, %(created)s new location mappings to "
                "complete.",
                count=len(locations),
                created=created,
            )
        )
        return True

    def _shopify_callback_url(self):
        self.ensure_one()
        if not self.shopify_webhook_url:
            raise UserError(_("Set the public Odoo URL that Shopify can reach first."))
        return self.shopify_webhook_url

    @requires_group(MANAGER_GROUP)
    def action_shopify_register_webhooks(self):
        """Subscribe every topic the flows need to this backend's webhook URL, once.

        Subscriptions of this backend that point at an older public URL are replaced.
        """
        self.ensure_one()
        url = self._shopify_callback_url()
        own_suffix = f"{const.WEBHOOK_ROUTE}/{self.id}"

        def register(adapter):
            wanted = dict(const.WEBHOOK_TOPICS)
            created, removed = [], []
            for subscription in adapter.webhook_subscriptions():
                callback = subscription.get("uri") or ""
                topic = _rest_topic(subscription["topic"])
                if callback == url and topic in wanted:
                    wanted.pop(topic)
                elif callback.endswith(own_suffix):
                    adapter.delete_webhook_subscription(subscription["id"])
                    removed.append(topic)
            for topic in wanted:
                adapter.create_webhook_subscription(topic, url)
                created.append(topic)
            return created, removed, adapter.webhook_subscriptions()

        created, removed, subscriptions = self._shopify_run(register)
        self.shopify_webhook_report = self._shopify_webhook_report(subscriptions)
        self.message_post(
            body=_(
                "Shopify webhooks: %(created)s created, %(removed)s stale removed.",
                created=", ".join(created) or _("none"),
                removed=", ".join(removed) or _("none"),
            )
        )
        return True

    @requires_group(MANAGER_GROUP)
    def action_shopify_webhook_health(self):
        """Refresh the report of the subscriptions Shopify holds for this shop."""
        self.ensure_one()
        subscriptions = self._shopify_run(lambda adapter: adapter.webhook_subscriptions())
        self.shopify_webhook_report = self._shopify_webhook_report(subscriptions)
        return True

    def _shopify_webhook_report(self, subscriptions):
        """One line per subscription, then the topics the flows need that are missing."""
        url = self.shopify_webhook_url
        lines, registered = [], set()
        for subscription in sorted(subscriptions, key=lambda s: s["topic"]):
            callback = subscription.get("uri") or ""
            topic = _rest_topic(subscription["topic"])
            ok = callback == url
            if ok:
                registered.add(topic)
            lines.append(f"{'OK ' if ok else '-- '}{topic} → {callback}")
        missing = [topic for topic in const.WEBHOOK_TOPICS if topic not in registered]
        lines.append(
            _("Missing: %s", ", ".join(missing)) if missing else _("All needed topics registered.")
        )
        lines.append(_("Checked %s UTC", fields.Datetime.to_string(fields.Datetime.now())))
        return "\n".join(lines)

    @requires_group(MANAGER_GROUP)
    def action_shopify_import_now(self):
        """Queue the catch-up import now: the first import of a new backend (orders and
        customers since the checkpoint, none yet: everything), or a catch-up on demand."""
        for backend in self:
            if backend.backend_type != "shopify":
                raise UserError(_("%s is not a Shopify backend.", backend.name))
            backend._enqueue_catch_up()
            backend.message_post(body=_("Import queued: orders and customers since the last run."))
        return True

    def _shopify_first_import_step(self):
        ran = any(self.checkpoint_ids.mapped("last_run_at"))
        if ran:
            return (_("First import"), True, "")
        # sudo: queue.job is readable by job managers only; this only counts the backend's queued
        # jobs
        queued = self.env["queue.job"].sudo().search_count(
            [("retail_backend_id", "=", self.id), ("method_name", "=", "_run_catch_up"),
             ("state", "in", ("pending", "enqueued", "started"))]
        )
        hint = (
            _("Queued: it runs in the background; this list updates when it is done.")
            if queued
            else _("Click Import Now to import the store's orders and customers.")
        )
        return (_("First import"), False, hint)

    def _setup_steps(self):
        steps = super()._setup_steps()
        if self.backend_type != "shopify":
            return steps
        mappings = self.mapping_ids
        return [
            (_("Credentials"), bool(self.shopify_shop_domain) and self._shopify_has_credentials(),
             _("Fill the shop domain and the access token (or client id and secret) in the "
               "Shopify tab.")),
            (_("Test Connection"), bool(self.shopify_checked_at),
             _("Click Test Connection.")),
            (_("Locations imported and mapped"),
             bool(mappings.filtered(lambda m: m.kind == "location"))
             and all(mappings.filtered(lambda m: m.kind == "location").mapped("is_complete")),
             _("Click Import Locations, then map each location to a stock location.")),
            *steps,
            (_("Webhooks registered"), bool(self.shopify_webhook_report),
             _("Click Register Webhooks (this Odoo must be reachable at the public URL).")),
            self._shopify_first_import_step(),
        ]

    def _shopify_has_credentials(self):
        # sudo: whether credentials are set shows in the checklist to Retail Users, who may not read
        # them
        backend = self.sudo()
        if backend.shopify_auth_method == "client_credentials":
            return bool(backend.shopify_client_id and backend.shopify_client_secret)
        return bool(backend.shopify_access_token)


def _rest_topic(graphql_topic):
    """``ORDERS_CREATE`` → ``orders/create`` (from the table, else by convention)."""
    for topic, enum in const.WEBHOOK_TOPICS.items():
        if enum == graphql_topic:
            return topic
    return graphql_topic.lower().replace("_", "/", 1)
