from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .. import compat
from ..access import MANAGER_GROUP, USER_GROUP, requires_group
from ..canonical import Customer, Order, Refund, from_dict
from ..engine.importers import PartnerImporter
from ..engine.order_import import OrderImporter
from ..engine.refund_import import RefundImporter
from ..errors import DataError

# ir.config_parameter listing the credential columns that neutralization clears.
CREDENTIAL_COLUMNS_PARAM = "retail_connector.credential_columns"

# Where the events of a topic come from: the channel (webhook, poll) or Odoo itself
# (exports, shipments...). Only channel topics are accepted at a webhook's door.
FROM_CHANNEL, FROM_ODOO = "channel", "odoo"

# Topics of the generic backend: payload class, core importer and its method.
GENERIC_TOPICS = {
    "customer": (Customer, PartnerImporter, "import_customer"),
    "order": (Order, OrderImporter, "import_order"),
    "refund": (Refund, RefundImporter, "import_refund"),
}
# The generic backend's allow-list: topic -> (handler method, origin).
GENERIC_EVENT_TOPICS = dict.fromkeys(GENERIC_TOPICS, ("_import_canonical_event", FROM_CHANNEL))


class RetailBackend(models.Model):
    """One connected store or org: its configuration, secrets and health.

    Channel addons extend :attr:`backend_type` with ``selection_add`` and add their own fields
    (credentials, API version, ...) and flows. The engine only relies on the methods documented
    here: :meth:`_event_topics` (the allow-list of topics and their handlers),
    :meth:`_get_exporter` to export a flow, :meth:`_catch_up` for the scheduled catch-up and
    :meth:`_circuit_probe` for the half-open probe.
    """

    _name = "retail.backend"
    _check_company_auto = True
    _description = "Retail Connector Backend"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    backend_type = fields.Selection(
        selection=[("generic", "Generic (canonical JSON)")],
        string="Type",
        required=True,
        default="generic",
        tracking=True,
        help="The channel this backend connects. Each channel addon adds its type.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    environment = fields.Selection(
        [
            ("production", "Production"),
            ("staging", "Staging"),
            ("development", "Development"),
        ],
        required=True,
        default="development",
        tracking=True,
        help="Production backends are deactivated when the database is neutralized (copied), "
        "so that a copy never talks to a live store or org.",
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Default Warehouse",
        check_company=True,
        tracking=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
        help="Warehouse of imported orders when no location mapping says otherwise.",
    )
    pricelist_id = fields.Many2one("product.pricelist", check_company=True, tracking=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True, tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        tracking=True,
        help="Receives the alerts of this backend (circuit opened, failed events).",
    )
    webhook_secret = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        help="Secret used to verify the signature of incoming webhooks.",
    )
    webhook_secret_previous = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        help="The secret before a rotation: accepted too until you clear it, so that no "
        "webhook is refused while the channel switches to the new one.",
    )
    webhook_tolerance = fields.Integer(
        string="Webhook Tolerance (s)",
        default=300,
        help="Generic webhooks: a delivery signed more than this many seconds from now is "
        "refused (a captured delivery cannot be replayed later).",
    )
    max_body_bytes = fields.Integer(
        default=2 * 1024 * 1024,
        help="Webhook bodies larger than this are refused with HTTP 413.",
    )
    max_attempts = fields.Integer(
        default=8,
        help="Transient failures of one event are retried this many times before the event "
        "is marked failed in the exception queue.",
    )
    event_retention_days = fields.Integer(
        default=30, help="Events done or ignored are purged after this many days."
    )
    failed_retention_days = fields.Integer(
        default=180, help="Failed events are kept this long for investigation."
    )
    rounding_tolerance = fields.Float(
        default=0.01,
        string="Reconciliation Tolerance",
        help="Largest difference the reconciliation report lets pass between the channel's "
        "total and Odoo's. Imports accept none: an order, invoice, payment or credit note "
        "that does not equal the channel's figure to the cent fails.",
    )
    generic_export_flows = fields.Char(
        help="Generic backend only: the outbound flows (comma-separated, e.g. 'stock') whose "
        "changes are marked and queued for an exporter an integrator adds. Channel backends "
        "declare their own flows.",
    )
    event_ids = fields.One2many("retail.event", "backend_id")
    checkpoint_ids = fields.One2many("retail.checkpoint", "backend_id")
    mapping_ids = fields.One2many("retail.value.mapping", "backend_id")
    event_failed_count = fields.Integer(compute="_compute_event_stats")
    event_pending_count = fields.Integer(compute="_compute_event_stats")
    event_done_today = fields.Integer(compute="_compute_event_stats")
    last_webhook_at = fields.Datetime(
        compute="_compute_event_stats", help="When the last inbound event was received."
    )

    compat.sql_constraints(locals(), [
        ("name_company_uniq", "unique(name, company_id)", "Backend names are unique per company."),
    ])

    @api.model_create_multi
    def create(self, vals_list):
        # The default warehouse is the current company's: a backend of another company gets
        # one of its own (links are checked against the backend's company).
        for vals in vals_list:
            if vals.get("company_id") and "warehouse_id" not in vals:
                vals["warehouse_id"] = (
                    self.env["stock.warehouse"]
                    .search([("company_id", "=", vals["company_id"])], limit=1)
                    .id
                )
        return super().create(vals_list)

    def init(self):
        super().init()
        # Neutralization (data/neutralize.sql) clears the columns listed here: every stored
        # field reserved to managers, whichever addon adds it, found by its groups.
        # sudo: module initialization writes a system parameter
        self.env["ir.config_parameter"].sudo().set_param(
            CREDENTIAL_COLUMNS_PARAM, ",".join(self._credential_fields())
        )

    @api.model
    def _credential_fields(self):
        """Names of the stored fields of every backend type that hold credentials: the
        fields only managers may read (``groups=MANAGER_GROUP``)."""
        return sorted(
            name
            for name, field in self._fields.items()
            if field.store
            and field.column_type
            and MANAGER_GROUP in (field.groups or "").split(",")
        )

    @api.depends("event_ids.state")
    def _compute_event_stats(self):
        Event = self.env["retail.event"]
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        groups = Event._read_group(
            [("backend_id", "in", self.ids)], ["backend_id", "state"], ["__count"]
        )
        counts = {(backend.id, state): count for backend, state, count in groups}
        done_today = {
            backend.id: count
            for backend, count in Event._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("state", "=", "done"),
                    ("done_at", ">=", today),
                ],
                ["backend_id"],
                ["__count"],
            )
        }
        last_received = dict(
            Event._read_group(
                [("backend_id", "in", self.ids), ("direction", "=", "in")],
                ["backend_id"],
                ["received_at:max"],
            )
        )
        for backend in self:
            backend.last_webhook_at = last_received.get(backend)
            backend.event_failed_count = counts.get((backend.id, "failed"), 0)
            backend.event_pending_count = counts.get((backend.id, "received"), 0) + counts.get(
                (backend.id, "queued"), 0
            )
            backend.event_done_today = done_today.get(backend.id, 0)

    # ------------------------------------------------------------------
    # Extension points for channel addons
    # ------------------------------------------------------------------
    def _job_channel(self):
        """Return the queue_job channel of this backend's jobs."""
        self.ensure_one()
        return f"root.retail.{self.backend_type}"

    def _event_topics(self):
        """The allow-list of this backend's type: ``{topic: (handler method, origin)}``.

        Each channel addon overrides this once, returning its declarative table for its
        type. A handler method takes the event and returns the record it made (or a
        report); ``origin`` is :data:`FROM_CHANNEL` for what the channel sends (the only
        topics a webhook accepts) or :data:`FROM_ODOO` for events Odoo makes itself.
        """
        if self.backend_type == "generic":
            return GENERIC_EVENT_TOPICS
        return {}

    def _get_event_handler(self, topic):
        """Return ``handler(event) -> record`` of ``topic`` (from :meth:`_event_topics`)."""
        self.ensure_one()
        entry = self._event_topics().get(topic)
        return getattr(self, entry[0]) if entry else None

    def _event_calls(self):
        """Channel hook: ``{topic: call method}`` of the topics whose handler talks to the
        channel.

        An event job runs the call method ``call(event) -> prepared`` first, with no row of
        its own written or locked (remote reads, and remote writes whose outcome the handler
        records idempotently), then the handler as ``handler(event, prepared)`` in the
        record transaction, which writes no more to the channel. A call method writes to
        Odoo only in short transactions of its own (``engine.transactions``). Called
        directly (a dry run, a test), a handler runs its call step itself.
        """
        return {}

    def _get_event_call(self, topic):
        """Return the call step ``call(event) -> prepared`` of ``topic``, or ``None``."""
        self.ensure_one()
        name = self._event_calls().get(topic)
        return getattr(self, name) if name else None

    def _run_event_then(self, prepared):
        """Run the channel writes a handler left for after its record transaction
        (``prepared["then"]``: ``[(backend method name, args)]``, e.g. writing Odoo's id back
        to the channel's record), with no row held. Called directly, a handler runs them
        itself."""
        for name, args in (prepared or {}).pop("then", None) or ():
            getattr(self, name)(*args)

    def _accepts_channel_topic(self, topic):
        """Whether a webhook of this backend may store an event of ``topic``."""
        self.ensure_one()
        entry = self._event_topics().get(topic or "")
        return bool(entry) and entry[1] == FROM_CHANNEL

    def _export_flows(self):
        """Return the names of the flows this backend exports (channel addons extend it)."""
        if self.backend_type == "generic" and self.generic_export_flows:
            return frozenset(
                name.strip() for name in self.generic_export_flows.split(",") if name.strip()
            )
        return frozenset()

    def _export_binding_model(self, flow):
        """The binding model whose rows ``flow`` sends (the exporter class's
        ``binding_model``), without building an exporter; None when this backend has no
        exporter for it (channel addons extend it)."""
        return None

    def _get_exporter(self, flow):
        """Return the exporter instance of ``flow`` for this backend (see engine.outbound)."""
        raise UserError(
            _("Backend %(name)s has no exporter for %(flow)s.", name=self.name, flow=flow)
        )

    def _catch_up(self):
        """Run the catch-up imports of this backend (polling since the checkpoints)."""
        return "no catch-up flow for this backend type"

    def _circuit_probe(self):
        """Check that the remote side answers again; raise a RetailError if not."""
        return True

    def _import_canonical_event(self, event):
        """Import an event whose payload is a canonical record as JSON (generic backend)."""
        topic = event.topic
        record_class, importer_class, method = GENERIC_TOPICS[topic]
        try:
            record = from_dict(record_class, event._payload_json())
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise DataError(
                _("The %(topic)s payload is malformed: %(error)s", topic=topic, error=exc)
            ) from exc
        return getattr(importer_class(self), method)(record)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    @requires_group(USER_GROUP)
    def action_open_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector.action_retail_event"
        )
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    @requires_group(USER_GROUP)
    def action_open_exceptions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector.action_retail_exception_queue"
        )
        action["domain"] = [("backend_id", "=", self.id), ("state", "=", "failed")]
        # One backend's exceptions: a flat list (the menu groups by backend, topic, kind).
        action["context"] = {}
        return action

    @requires_group(MANAGER_GROUP)
    def action_open_jobs(self):
        """This backend's jobs, charted (graph and pivot) over the last 24 hours."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "retail_connector.action_retail_jobs"
        )
        action["domain"] = [("retail_backend_id", "=", self.id)]
        return action

    def _binding_external_url(self, binding):
        """Return the URL of a bound record in the channel's admin, or False."""
        return False

    # ------------------------------------------------------------------
    # Reconciliation (channel addons override)
    # ------------------------------------------------------------------
    def _reconcile_supported(self):
        return False

    def _reconcile_orders(self, date_from, date_to):
        """Yield ``(canonical order, raw payload)`` of the channel's orders of the window."""
        return iter(())

    def _reconcile_reimport_topic(self):
        """Inbox topic under which a re-imported order payload is stored."""
        return "order"
