import logging
from datetime import timedelta

import psycopg2.errors

from odoo import _, fields, models

from ..access import MANAGER_GROUP, requires_group
from ..engine import circuit, quiet_sql

_logger = logging.getLogger(__name__)
RETRYABLE_DB_ERRORS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.LockNotAvailable,
    psycopg2.errors.DeadlockDetected,
)
# How stale ``last_success_at`` may get before a success refreshes it.
SUCCESS_REFRESH = timedelta(seconds=60)
# Seconds after which a probe claim is taken to have died with its worker: another may probe.
PROBE_STALE_SECONDS = 300
HEALTH_FIELDS = [
    "circuit_state",
    "circuit_opened_at",
    "circuit_failure_count",
    "circuit_last_error",
    "circuit_probe_at",
    "last_success_at",
]
# Claim the half-open probe: a single UPDATE, committed at once, so that of two workers that
# find the cooldown over only one calls the channel (the other's UPDATE matches no row, or
# fails to serialize against the first).
CLAIM_PROBE_SQL = """
    UPDATE retail_backend
       SET circuit_state = 'half_open', circuit_probe_at = (clock_timestamp() AT TIME ZONE 'UTC')
     WHERE id = %(id)s
       AND ((circuit_state = 'open'
             AND COALESCE(circuit_opened_at, '-infinity'::timestamp)
                 <= (clock_timestamp() AT TIME ZONE 'UTC')
                    - make_interval(secs => COALESCE(circuit_cooldown, 0)))
         OR (circuit_state = 'half_open'
             AND (circuit_probe_at IS NULL
                  OR circuit_probe_at
                     < (clock_timestamp() AT TIME ZONE 'UTC') - make_interval(secs => %(stale)s))))
 RETURNING id
"""


class RetailBackend(models.Model):
    """Health of a backend: the circuit breaker that stops calls to a failing channel."""

    _inherit = "retail.backend"

    circuit_state = fields.Selection(
        [
            (circuit.CLOSED, "Closed (flowing)"),
            (circuit.OPEN, "Open (paused)"),
            (circuit.HALF_OPEN, "Half-open (probing)"),
        ],
        default=circuit.CLOSED,
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    circuit_opened_at = fields.Datetime(readonly=True, copy=False)
    circuit_failure_count = fields.Integer(readonly=True, copy=False)
    circuit_last_error = fields.Text(readonly=True, copy=False)
    circuit_threshold = fields.Integer(
        default=5,
        help="Consecutive transient failures that open the circuit. One authentication "
        "failure opens it at once.",
    )
    circuit_cooldown = fields.Integer(
        string="Circuit Cooldown (s)",
        default=120,
        help="Seconds the circuit stays open before a probe is tried.",
    )
    last_success_at = fields.Datetime(readonly=True, copy=False)
    circuit_probe_at = fields.Datetime(
        readonly=True, copy=False, help="When the running half-open probe was claimed."
    )

    def _circuit_check(self):
        """Return the seconds to wait before calling the channel, 0 when a call may go.

        Only a closed circuit lets calls go; while it is open or half-open, the one probe is
        made by :meth:`_circuit_probe_once` (the resume job or the cron), not by the caller.
        """
        self.ensure_one()
        return circuit.parked_wait(
            self.circuit_state,
            self.circuit_opened_at,
            self.circuit_cooldown,
            fields.Datetime.now(),
        )

    def _circuit_parks(self):
        """Whether work of this backend is parked instead of enqueued (circuit not closed)."""
        self.ensure_one()
        return self.circuit_state != circuit.CLOSED and not self.env.context.get(
            "retail_circuit_release"
        )

    def _circuit_record_failure(self, error):
        """Count a transient or authentication failure; open the circuit when due."""
        self.ensure_one()
        kind = getattr(error, "kind", "transient")
        state, count = circuit.after_failure(
            self.circuit_state, self.circuit_failure_count, self.circuit_threshold, kind
        )
        values = {"circuit_failure_count": count, "circuit_last_error": str(error)}
        if state == circuit.OPEN and self.circuit_state != circuit.OPEN:
            values.update(circuit_state=circuit.OPEN, circuit_opened_at=fields.Datetime.now())
        elif state == circuit.OPEN:
            values["circuit_opened_at"] = fields.Datetime.now()
        if self._circuit_write(values) and values.get("circuit_state") == circuit.OPEN:
            self._notify_circuit_opened()
        if state == circuit.OPEN:
            self._circuit_schedule_resume()

    def _circuit_record_success(self, close=True):
        """Close the circuit after a success; refresh ``last_success_at`` at most once a minute.

        ``close=False`` (an ordinary job): an open circuit is left to its probe, since a job
        that was already running when it opened says little about the channel now.

        Every job ends here: writing the backend row each time made concurrent jobs conflict
        on it (and queue_job run them twice), so a healthy backend is left untouched.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        values = {}
        reopened = self.circuit_state != circuit.CLOSED
        if reopened and not close:
            return
        if reopened or self.circuit_failure_count:
            values.update(
                circuit_state=circuit.CLOSED,
                circuit_failure_count=0,
                circuit_opened_at=False,
                circuit_probe_at=False,
            )
        if values or not self.last_success_at or now - self.last_success_at > SUCCESS_REFRESH:
            values["last_success_at"] = now
            if self._circuit_write(values) and reopened:
                self._circuit_release_parked()

    def _circuit_write(self, values):
        """Write the health of the backend, best effort: returns whether it was written.

        Jobs of one backend finish concurrently; when two of them update its row at once, the
        loser's write is rolled back to a savepoint and skipped (the other job's write says
        the same), so that the job itself, and its event, are never failed by bookkeeping.
        """
        try:
            with quiet_sql.expected_errors(), self.env.cr.savepoint():
                self.sudo().write(values)
        except RETRYABLE_DB_ERRORS as error:
            _logger.info(
                "Health of backend %s not recorded (concurrent update): %s", self.id, error
            )
            return False
        return True

    def _notify_circuit_opened(self):
        self.ensure_one()
        self.sudo().message_post(
            body=_(
                "The circuit of %(name)s opened: calls are paused for %(seconds)s seconds, "
                "then probed. Last error: %(error)s",
                name=self.name,
                seconds=self.circuit_cooldown,
                error=self.circuit_last_error,
            )
        )

    @requires_group(MANAGER_GROUP)
    def action_circuit_reset(self):
        """Close the circuit by hand (after fixing credentials, for example)."""
        for backend in self:
            backend._circuit_record_success()

    @requires_group(MANAGER_GROUP)
    def action_circuit_probe(self):
        """Probe the channel now; the circuit closes when it answers."""
        from ..errors import RetailError

        for backend in self:
            try:
                backend._circuit_probe()
            except RetailError as error:
                backend._circuit_record_failure(error)
            else:
                backend._circuit_record_success()

    def _cron_circuit_probe(self):
        """Probe every backend whose circuit has been open for its cooldown, and release the
        work still parked on a closed one (parked by a job that raced the closing), and hand
        queued events left with no drain job to a new one."""
        for backend in self.search([("circuit_state", "!=", circuit.CLOSED)]):
            backend._circuit_probe_once()
        Event = self.env["retail.event"].sudo()
        parked = Event._read_group([("parked", "=", True)], ["backend_id"])
        for (backend,) in parked:
            if backend.active and backend.circuit_state == circuit.CLOSED:
                backend._circuit_release_parked(exports=False)
        self._cron_drain_stranded()

    # ------------------------------------------------------------------
    # Parked work and the one probe
    # ------------------------------------------------------------------
    def _circuit_schedule_resume(self, delay=None, prober=False):
        """Make sure one job waits to probe the circuit when its cooldown is over.

        ``prober``: called by the probe that just failed (itself a started job, or the
        cron), which must leave a successor; otherwise nothing is enqueued while a resume
        job is pending or running, so a storm of parked events adds no job.
        """
        self.ensure_one()
        identity = f"retail-circuit-resume-{self.id}"
        states = ("pending", "enqueued") if prober else ("pending", "enqueued", "started")
        Job = self.env["queue.job"].sudo()
        if Job.search_count([("identity_key", "=", identity), ("state", "in", states)], limit=1):
            return False
        wait = delay if delay is not None else max(self._circuit_check(), 1)
        eta = fields.Datetime.now() + timedelta(seconds=circuit.jittered(wait, spread=0.1))
        self.with_delay(
            channel=self._job_channel(),
            identity_key=identity,
            eta=eta,
            description=f"{self.name}: probe the channel, then resume parked work",
        )._circuit_resume()
        return True

    def _circuit_resume(self):
        """Job: the place holder of a backend's parked work. Probes the channel once its
        cooldown is over; when the circuit closes, the parked work flows again."""
        self.ensure_one()
        if self.circuit_state == circuit.CLOSED:
            # closed by another caller, which released the exports: events parked since
            released = self._circuit_release_parked(exports=False)
            return f"circuit closed: {released} parked event(s) released"
        wait = self._circuit_check()
        if self.circuit_state == circuit.OPEN and wait > 1:
            self._circuit_schedule_resume(delay=wait, prober=True)
            return f"circuit open: probe in {wait}s"
        outcome = self._circuit_probe_once()
        return f"probe: {outcome}"

    def _circuit_probe_once(self):
        """Claim the half-open probe, call the channel, record the outcome.

        Returns ``closed``, ``open`` or ``busy`` (cooldown not over, or another worker holds
        the probe). The claim and the outcome are committed on their own cursors, so no row
        of this transaction is locked while the channel is called, and two workers never
        both probe.
        """
        self.ensure_one()
        if not self._circuit_claim_probe():
            return "busy"
        try:
            self._circuit_probe()
        except Exception as error:  # any failure of the probe keeps the circuit open
            _logger.info("Backend %s: circuit probe failed: %s", self.id, error)
            self._circuit_store_probe(error)
            self._circuit_schedule_resume(delay=max(self.circuit_cooldown, 1), prober=True)
            return "open"
        self._circuit_store_probe(None)
        self._circuit_release_parked()
        return "closed"

    def _circuit_claim_probe(self):
        """Take the probe in one committed UPDATE; True when this caller holds it."""
        try:
            with quiet_sql.expected_errors(), self.env.registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '5s'")
                cr.execute(CLAIM_PROBE_SQL, {"id": self.id, "stale": PROBE_STALE_SECONDS})
                claimed = bool(cr.fetchall())
        except RETRYABLE_DB_ERRORS as error:
            _logger.info("Backend %s: probe taken by another worker (%s)", self.id, error)
            return False
        self.invalidate_recordset(HEALTH_FIELDS)
        return claimed

    def _circuit_store_probe(self, error):
        """Record the probe's outcome on a cursor of its own (committed): closed after a
        success, open for another cooldown after a failure."""
        if error is None:
            query = (
                "UPDATE retail_backend SET circuit_state = 'closed', circuit_failure_count = 0, "
                "circuit_opened_at = NULL, circuit_probe_at = NULL, "
                "last_success_at = (clock_timestamp() AT TIME ZONE 'UTC') WHERE id = %s"
            )
            params = (self.id,)
        else:
            query = (
                "UPDATE retail_backend SET circuit_state = 'open', circuit_probe_at = NULL, "
                "circuit_opened_at = (clock_timestamp() AT TIME ZONE 'UTC'), "
                "circuit_failure_count = circuit_failure_count + 1, circuit_last_error = %s "
                "WHERE id = %s"
            )
            params = (str(error)[:2000], self.id)
        for attempt in range(3):
            try:
                with quiet_sql.expected_errors(), self.env.registry.cursor() as cr:
                    cr.execute(query, params)
                break
            except RETRYABLE_DB_ERRORS:
                if attempt == 2:
                    raise
        self.invalidate_recordset(HEALTH_FIELDS)

    def _circuit_release_parked(self, exports=True):
        """Enqueue the parked events of this backend again, in the order they were received,
        and (``exports``) the export of every flow it exports, whose dirty records waited.
        Returns the number of events released."""
        self.ensure_one()
        backend = self.with_context(retail_circuit_release=True)
        events = (
            self.env["retail.event"]
            .sudo()
            .with_context(retail_circuit_release=True)
            .search([("backend_id", "=", self.id), ("parked", "=", True)], order="id")
        )
        events.with_context(retail_event_internal=True).write({"parked": False})
        events._enqueue()
        for flow in sorted(backend._export_flows()) if exports else ():
            backend._schedule_export(flow)
        return len(events)
