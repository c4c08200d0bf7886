# Loaded after retail_backend_circuit: its _notify_circuit_opened extends the circuit one.
from datetime import timedelta

from odoo import _, fields, models

DASHBOARD_FIGURES = (
    "dashboard_orders_last_hour", "dashboard_latency_p50", "dashboard_latency_p95",
    "dashboard_sync_lag", "dashboard_stock_latency_p50", "dashboard_retried_today",
)


class RetailBackend(models.Model):
    """Alerts to the backend's responsible when something needs a person.

    An activity (a to-do on the backend, shown in the responsible's activities) is scheduled
    when the circuit opens, when failed events pass a threshold, or when no webhook arrived
    for a while; one open activity per reason, so a long outage does not flood anybody.
    """

    _inherit = "retail.backend"

    alert_failed_threshold = fields.Integer(
        string="Alert Above Failed Events",
        default=10,
        help="Schedule an activity for the responsible when more events than this are failed.",
    )
    alert_silence_minutes = fields.Integer(
        string="Alert After Silence (min)",
        default=0,
        help="Schedule an activity when no webhook arrived for this many minutes (0: never). "
        "Useful for a store that always has traffic.",
    )

    def _alert(self, reason, note):
        """Schedule a to-do for the responsible unless one for ``reason`` is still open."""
        self.ensure_one()
        summary = f"[{reason}] {self.name}"
        if self.activity_ids.filtered(lambda activity: activity.summary == summary):
            return False
        # sudo: the to-do subscribes the responsible as a follower of the backend, which takes
        # write access to it; alerts are raised by jobs, whose user has none
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=(self.user_id or self.env.ref("base.user_admin")).id,
        )
        return True

    def _notify_circuit_opened(self):
        super()._notify_circuit_opened()
        self._alert(
            "circuit",
            _(
                "Calls to %(name)s are paused: %(error)s",
                name=self.name,
                error=self.circuit_last_error,
            ),
        )

    def _cron_health_alerts(self):
        now = fields.Datetime.now()
        for backend in self.search([]):
            if backend.alert_failed_threshold and (
                backend.event_failed_count > backend.alert_failed_threshold
            ):
                backend._alert(
                    "failed events",
                    _(
                        "%(count)s events of %(name)s are failed: work the exception queue.",
                        count=backend.event_failed_count,
                        name=backend.name,
                    ),
                )
            silence = backend.alert_silence_minutes
            last = backend.last_webhook_at
            if silence and last and last < now - timedelta(minutes=silence):
                backend._alert(
                    "silence",
                    _(
                        "No webhook from %(name)s since %(last)s: check the channel's webhook "
                        "subscriptions.",
                        name=backend.name,
                        last=last,
                    ),
                )


class RetailBackendDashboard(models.Model):
    """Figures of the dashboard, computed from the event inbox."""

    _inherit = "retail.backend"

    dashboard_orders_last_hour = fields.Integer(
        string="Orders (last hour)", compute="_compute_dashboard"
    )
    dashboard_sync_lag = fields.Integer(
        string="Sync Lag (s)",
        compute="_compute_dashboard",
        help="Seconds since the last event was done: grows when nothing flows.",
    )
    dashboard_latency_p50 = fields.Float(
        string="Event Latency p50 (ms)",
        digits=(16, 1),
        compute="_compute_dashboard",
        help="Median time from receipt (the webhook stored) to done of the events done in the "
        "last 24 hours, from millisecond clocks.",
    )
    dashboard_latency_p95 = fields.Float(
        string="Event Latency p95 (ms)",
        digits=(16, 1),
        compute="_compute_dashboard",
        help="95th percentile of the time from receipt to done, last 24 hours.",
    )
    dashboard_stock_latency_p50 = fields.Integer(
        string="Stock Export p50 (ms)",
        compute="_compute_dashboard",
        help="Median time from a stock change (its export job created at commit) to the export "
        "job done, over the last 24 hours.",
    )
    dashboard_retried_today = fields.Integer(string="Retried (24h)", compute="_compute_dashboard")
    dashboard_needs_person = fields.Boolean(compute="_compute_dashboard")

    def _event_latencies(self):
        """``{backend id: (p50 ms, p95 ms, sync lag s)}`` of these backends, one SQL query:
        percentiles of done minus received over the events done in the last 24 hours, and
        the seconds since the last event was done (from the database's clock)."""
        if not self.ids:
            return {}
        self.env["retail.event"].flush_model(["backend_id", "received_ms", "done_ms", "state"])
        self.env.cr.execute(
            """
            WITH clock AS (SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms)
            SELECT e.backend_id,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY e.done_ms - e.received_ms)
                       FILTER (WHERE e.done_ms >= clock.now_ms - 86400000),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY e.done_ms - e.received_ms)
                       FILTER (WHERE e.done_ms >= clock.now_ms - 86400000),
                   (max(clock.now_ms) - max(e.done_ms)) / 1000
              FROM retail_event e, clock
             WHERE e.backend_id = ANY(%s) AND e.state = 'done'
               AND e.done_ms IS NOT NULL AND e.received_ms IS NOT NULL
             GROUP BY e.backend_id
            """,
            [self.ids],
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _stock_export_latency_p50(self, since):
        """Median milliseconds from creation to done of this backend's stock export jobs."""
        self.env["queue.job"].flush_model(
            ["retail_backend_id", "retail_flow", "state", "date_created", "date_done"]
        )
        self.env.cr.execute(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM date_done - date_created) * 1000)
              FROM queue_job
             WHERE retail_backend_id = %s AND retail_flow = 'export stock'
               AND state = 'done' AND date_done >= %s
            """,
            [self.id, since],
        )
        median = self.env.cr.fetchone()[0]
        return round(median) if median is not None else 0

    def _compute_dashboard(self):
        Event = self.env["retail.event"]
        now = fields.Datetime.now()
        day_ago, hour_ago = now - timedelta(days=1), now - timedelta(hours=1)
        latencies = self._event_latencies()
        for backend in self:
            if not backend.id:
                # An unsaved backend (a new form: Odoo 19 computes these for it) has no figures.
                backend.update(dict.fromkeys(DASHBOARD_FIGURES, 0))
                backend.dashboard_needs_person = False
                continue
            domain = [("backend_id", "=", backend.id)]
            backend.dashboard_orders_last_hour = Event.search_count(
                [
                    *domain,
                    ("topic", "in", ("orders/create", "order")),
                    ("received_at", ">=", hour_ago),
                ]
            )
            p50, p95, lag = latencies.get(backend.id, (None, None, None))
            backend.dashboard_latency_p50 = p50 or 0.0
            backend.dashboard_latency_p95 = p95 or 0.0
            backend.dashboard_sync_lag = int(lag or 0)
            backend.dashboard_stock_latency_p50 = backend._stock_export_latency_p50(day_ago)
            backend.dashboard_retried_today = Event.search_count(
                [*domain, ("attempts", ">", 1), ("received_at", ">=", day_ago)]
            )
            backend.dashboard_needs_person = bool(
                backend.circuit_state != "closed" or backend.event_failed_count
            )
