import json
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from .. import compat
from ..access import USER_GROUP, requires_group

# The database server's clock in epoch milliseconds (advances within a transaction).
EPOCH_MS_SQL = "extract(epoch FROM clock_timestamp()) * 1000"
# Attempts after which a unique-constraint conflict is taken for a data problem.
UNIQUE_RETRIES = 3

_logger = logging.getLogger(__name__)

EVENT_STATES = [
    ("received", "Received"),
    ("queued", "Queued"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("ignored", "Ignored"),
]


class RetailEvent(models.Model):
    """The event inbox and the exception queue.

    Every webhook, polled record and failed export becomes one event, stored once per
    ``(backend, idempotency key)``. A job imports it; its state tells where it stands. Failed
    events are the exception queue: a person reads the message, fixes the data or mapping,
    then retries, edits the payload and retries, replays or ignores.
    """

    _name = "retail.event"
    _description = "Retail Connector Event"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "display_name"

    backend_id = fields.Many2one("retail.backend", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    backend_type = fields.Selection(related="backend_id.backend_type", store=True)
    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")], required=True, default="in"
    )
    topic = fields.Char(required=True, index=True)
    idempotency_key = fields.Char(required=True)
    external_id = fields.Char(index=True)
    payload = fields.Text(help="The payload as received; edit it on a failed event, then retry.")
    original_payload = fields.Text(readonly=True, help="The payload before it was edited.")
    headers = fields.Text(readonly=True)
    # Not tracked: every event changes state two or three times on the hot path; the chatter
    # is for people's notes and assignment.
    state = fields.Selection(EVENT_STATES, required=True, default="received", index=True)
    attempts = fields.Integer(readonly=True)
    error_kind = fields.Selection(
        [("data", "Data error"), ("transient", "Transient"), ("auth", "Authentication")],
        readonly=True,
    )
    error_message = fields.Text(readonly=True)
    received_at = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    started_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime(readonly=True, index=True)
    next_retry_at = fields.Datetime(readonly=True)
    # Millisecond clocks (epoch ms) of the database server, written by SQL clock_timestamp():
    # Datetime fields keep whole seconds, too coarse for the dashboard's latencies, and one
    # clock serves every Odoo node.
    received_ms = fields.Float(string="Received (epoch ms)", readonly=True, copy=False)
    started_ms = fields.Float(string="Started (epoch ms)", readonly=True, copy=False)
    done_ms = fields.Float(string="Done (epoch ms)", readonly=True, copy=False)
    duration_ms = fields.Integer(
        string="Received to Done (ms)", compute="_compute_duration", store=True
    )
    res_model = fields.Char(string="Record Model", readonly=True)
    res_id = fields.Many2oneReference(string="Record Id", model_field="res_model", readonly=True)
    mapping_id = fields.Many2one(
        "retail.value.mapping",
        string="Missing Mapping",
        readonly=True,
        help="The draft mapping to complete before retrying.",
    )
    job_uuid = fields.Char(readonly=True, copy=False)
    parked = fields.Boolean(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Waiting in the inbox, with no job, for the backend's circuit to close.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assigned To",
        tracking=True,
        index=True,
        help="Who is working on this exception.",
    )

    compat.sql_constraints(locals(), [
        (
            "idempotency_uniq",
            "unique(backend_id, idempotency_key)",
            "An event with this idempotency key exists already for this backend.",
        )
    ])

    def init(self):
        super().init()
        self.env.cr.execute(
            f"ALTER TABLE {self._table} ALTER COLUMN received_ms SET DEFAULT ({EPOCH_MS_SQL})"
        )
        # The smart buttons of sale orders, partners, ... look their events up by record.
        create_index(
            self.env.cr, "retail_event_res_idx", self._table, ["res_model", "res_id"],
            where="res_id IS NOT NULL",
        )
        # The dashboard's latencies: done events of a backend over a time window.
        create_index(
            self.env.cr, "retail_event_backend_done_ms_idx", self._table,
            ["backend_id", "done_ms"], where="done_ms IS NOT NULL",
        )

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        # received_ms is the column's default, the database's clock: not known to the cache
        events.invalidate_recordset(["received_ms"])
        return events

    def _stamp(self, column):
        """Write the database's clock, in epoch milliseconds, into ``column`` of the events."""
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET %s = (%s) WHERE id = ANY(%s)",
                SQL.identifier(self._table),
                SQL.identifier(column),
                SQL(EPOCH_MS_SQL),
                self.ids,
            )
        )
        self.invalidate_recordset([column, "duration_ms"])
        if column == "done_ms":
            # duration_ms reads the precise clocks where they are known
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET duration_ms = round(done_ms - received_ms) "
                    "WHERE id = ANY(%s) AND received_ms IS NOT NULL",
                    SQL.identifier(self._table),
                    self.ids,
                )
            )

    @api.depends("received_at", "done_at")
    def _compute_duration(self):
        for event in self:
            if event.received_ms and event.done_ms:
                event.duration_ms = round(event.done_ms - event.received_ms)
            elif event.received_at and event.done_at:
                delta = event.done_at - event.received_at
                event.duration_ms = int(delta.total_seconds() * 1000)
            else:
                event.duration_ms = 0

    @api.depends("topic", "external_id", "backend_id")
    def _compute_display_name(self):
        for event in self:
            reference = event.external_id or event.idempotency_key
            event.display_name = f"{event.backend_id.name or ''} {event.topic} {reference}"

    def write(self, vals):
        if "payload" in vals and not self.env.context.get("retail_event_internal"):
            for event in self:
                if event.state not in ("failed", "received"):
                    raise UserError(_("Only a failed event's payload can be edited."))
                if not event.original_payload:
                    event.with_context(retail_event_internal=True).original_payload = event.payload
        return super().write(vals)

    def _payload_json(self):
        """Return the payload parsed as JSON, or raise DataError with a readable message."""
        from ..errors import DataError

        self.ensure_one()
        try:
            return json.loads(self.payload or "null")
        except ValueError as exc:
            raise DataError(_("The payload is not valid JSON: %s", exc)) from exc
        except RecursionError as exc:
            raise DataError(_("The payload is not valid JSON: it is nested too deeply.")) from exc

    # ------------------------------------------------------------------
    # Jobs
    # ------------------------------------------------------------------
    def _enqueue(self, delay=0, replay=False):
        """Queue the events for import by their backend's drain job (one pending per backend,
        see ``retail_backend_drain``), which imports them in the order received.

        ``delay``: a retry; the event waits until ``next_retry_at`` and a drain is scheduled
        for then (one pending retry drain per backend, brought forward when an earlier retry
        needs it). ``replay`` is kept for the callers: a queued event is imported whatever
        its state was before.

        While the backend's circuit is open the events are parked instead: they wait in the
        inbox with no job, one resume job per backend holds their place, and they are
        queued again in the order received when the circuit closes.
        """
        drained = self.browse()
        for event in self:
            if event.backend_id._circuit_parks():
                event._park()
            else:
                drained |= event
        due = fields.Datetime.now() + timedelta(seconds=delay) if delay else False
        drained.with_context(retail_event_internal=True).write(
            {"state": "queued", "next_retry_at": due, "parked": False, "job_uuid": False}
        )
        for backend in drained.backend_id:
            backend._schedule_drain(delay=delay)
        return True

    def _park(self):
        """Leave the event in the inbox without a job until the circuit closes."""
        self.ensure_one()
        self.with_context(retail_event_internal=True).write(
            {"state": "queued", "parked": True, "job_uuid": False, "next_retry_at": False}
        )
        self.backend_id._circuit_schedule_resume()

    def _job_store_values(self, job):
        """queue_job hook: an import job carries its event's backend and topic."""
        values = super()._job_store_values(job)
        values.update(retail_backend_id=self[:1].backend_id.id, retail_flow=self[:1].topic)
        return values

    def _mark_done(self, record):
        values = {
            "state": "done",
            "done_at": fields.Datetime.now(),
            "error_kind": False,
            "error_message": False,
            "next_retry_at": False,
            "pending_call": False,
        }
        if isinstance(record, models.BaseModel) and len(record) == 1:
            values.update(res_model=record._name, res_id=record.id)
        self.with_context(retail_event_internal=True).write(values)
        self._stamp("done_ms")
        self._close_superseded()
        return f"done: {record if isinstance(record, str) else values.get('res_model', '')}"

    def _close_superseded(self):
        """Failed events of the same record and kind that this later event made moot (an
        ``orders/updated`` imported after an ``orders/create`` failed) leave the exception
        queue, with a note pointing here."""
        self.ensure_one()
        if not self.external_id or self.direction != "in":
            return
        family = self.topic.split("/", 1)[0]
        same_kind = (
            ("topic", "=like", f"{family}/%") if "/" in self.topic else ("topic", "=", self.topic)
        )
        superseded = self.search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("external_id", "=", self.external_id),
                ("state", "=", "failed"),
                ("direction", "=", "in"),
                ("id", "<", self.id),
                same_kind,
            ]
        )
        for event in superseded:
            event.with_context(retail_event_internal=True).write(
                {
                    "state": "ignored",
                    "next_retry_at": False,
                    "error_message": _(
                        "Superseded by event %(event)s (%(topic)s), imported after it: "
                        "%(error)s",
                        event=self.id,
                        topic=self.topic,
                        error=event.error_message or "",
                    ),
                }
            )

    def _mark_ignored(self, reason):
        values = {
            "state": "ignored",
            "done_at": fields.Datetime.now(),
            "error_kind": False,
            "error_message": reason,
            "next_retry_at": False,
        }
        self.with_context(retail_event_internal=True).write(values)
        return f"ignored: {reason}"

    def _mark_failed(self, kind, message, missing_mapping=None):
        values = {"state": "failed", "error_kind": kind, "error_message": message}
        if missing_mapping:
            values["mapping_id"] = (
                self.env["retail.value.mapping"]._ensure_draft(self.backend_id, *missing_mapping).id
            )
        self.with_context(retail_event_internal=True).write(values)
        return f"failed: {message}"

    @api.model
    def _record_outbound_failure(self, backend, flow, error):
        """Put a failed export run in the exception queue: its one open row per backend and
        flow, updated on each failure (see :mod:`..engine.failures`)."""
        from ..engine.failures import record_outbound_failure

        return record_outbound_failure(
            backend, flow, str(error), kind=getattr(error, "kind", "data"),
            missing_mapping=getattr(error, "missing_mapping", None),
        )

    # ------------------------------------------------------------------
    # Exception queue actions (one or many rows)
    # ------------------------------------------------------------------
    @requires_group(USER_GROUP)
    def action_retry(self):
        """Retry failed or stuck events with their (possibly edited) payload."""
        events = self.filtered(lambda e: e.state in ("failed", "received", "queued"))
        events.with_context(retail_event_internal=True).write(
            {"attempts": 0, "error_kind": False, "error_message": False}
        )
        events._enqueue()
        return True

    @requires_group(USER_GROUP)
    def action_replay(self):
        """Import events again from their stored payload, done ones included."""
        events = self.filtered(lambda e: e.direction == "in")
        events.with_context(retail_event_internal=True).write({"attempts": 0})
        events._enqueue(replay=True)
        return True

    @requires_group(USER_GROUP)
    def action_ignore(self):
        self.filtered(lambda e: e.state != "done").with_context(retail_event_internal=True).write(
            {"state": "ignored", "next_retry_at": False}
        )
        return True

    @requires_group(USER_GROUP)
    def action_assign_to_me(self):
        self.write({"user_id": self.env.user.id})
        return True

    @requires_group(USER_GROUP)
    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(_("This event is not linked to a record yet."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Retention
    # ------------------------------------------------------------------
    @api.model
    def _cron_purge(self):
        """Delete old events per backend retention settings."""
        now = fields.Datetime.now()
        for backend in self.env["retail.backend"].with_context(active_test=False).search([]):
            done_before = now - timedelta(days=backend.event_retention_days or 30)
            failed_before = now - timedelta(days=backend.failed_retention_days or 180)
            old = self.search(
                [
                    ("backend_id", "=", backend.id),
                    "|",
                    "&",
                    ("state", "in", ("done", "ignored")),
                    ("received_at", "<", done_before),
                    "&",
                    ("state", "=", "failed"),
                    ("received_at", "<", failed_before),
                ]
            )
            old.unlink()
