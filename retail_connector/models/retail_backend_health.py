# Loaded after retail_backend_circuit: its _notify_circuit_opened extends the circuit one.
from datetime import timedelta

from odoo import _, fields, models


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
