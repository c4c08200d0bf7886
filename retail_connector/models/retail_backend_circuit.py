import logging
from datetime import timedelta

import psycopg2.errors

from odoo import _, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from .. import compat
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
        """Count a transient or authentication failure; open the circuit when due.

        The count is committed at once on a cursor of its own, from the row as it is then:
        two jobs failing at the same moment (one per worker) count two failures. Written in
        the jobs' own transactions, one of the two writes lost to the other (a serialization
        failure, skipped), so the circuit opened after twice the threshold, and every job
        enqueued meanwhile was one more row in ``queue_job``.
        """
        self.ensure_one()
        kind = getattr(error, "kind", "transient")
        counted = self._circuit_count_failure(kind, str(error))
        if counted is None:  # the row stayed locked: best effort in this transaction
            state, count = circuit.after_failure(
                self.circuit_state, self.circuit_failure_count, self.circuit_threshold, kind
            )
            values = {"circuit_failure_count": count, "circuit_last_error": str(error)}
            if state == circuit.OPEN and self.circuit_state != circuit.OPEN:
                values.update(circuit_state=circuit.OPEN, circuit_opened_at=fields.Datetime.now())
            elif state == circuit.OPEN:
                values["circuit_opened_at"] = fields.Datetime.now()
            opened = self._circuit_write(values) and values.get("circuit_state") == circuit.OPEN
            if state == circuit.OPEN:
                self._circuit_schedule_resume()
        else:  # the resume job was enqueued with the opening
            state, opened = counted
        if opened:
            self._notify_circuit_opened()

    def _circuit_count_failure(self, kind, message):
        """Count one failure in a committed transaction of its own: read the row locked
        (``FOR NO KEY UPDATE``: a job inserting a row that references the backend takes a
        key-share lock, which a ``FOR UPDATE`` would turn into a serialization failure),
        decide (``circuit.after_failure``), write. Returns ``(state, opened)``, or None when
        the row could not be locked in time (e.g. this job's own transaction holds it) or is
        not committed yet: the caller then counts in its own transaction."""
        for _attempt in range(5):
            try:
                with quiet_sql.expected_errors(), self.env.registry.cursor() as cr:
                    cr.execute("SET LOCAL lock_timeout = '2s'")
                    cr.execute(
                        "SELECT circuit_state, circuit_failure_count, circuit_threshold "
                        "FROM retail_backend WHERE id = %s FOR NO KEY UPDATE",
                        (self.id,),
                    )
                    row = cr.fetchone()
                    if row is None:  # made in this transaction, not committed yet
                        return None
                    before, count, threshold = row
                    state, count = circuit.after_failure(before, count or 0, threshold, kind)
                    cr.execute(
                        "UPDATE retail_backend SET circuit_failure_count = %s, "
                        "circuit_last_error = %s, circuit_state = %s, circuit_opened_at = "
                        "CASE WHEN %s THEN (clock_timestamp() AT TIME ZONE 'UTC') "
                        "ELSE circuit_opened_at END WHERE id = %s "
                        "RETURNING circuit_opened_at",
                        (count, message, state, state == circuit.OPEN, self.id),
                    )
                    (opened_at,) = cr.fetchone()
                    if state == circuit.OPEN and before != circuit.OPEN:
                        # The resume job commits with the opening: anyone who sees the
                        # circuit open sees the job that holds the place of parked work.
                        if cr.transaction is None:  # without Registry(): no registry lock
                            cr.transaction = compat.new_transaction(self.env.registry)
                        # same user, context and superuser mode as the job, on this cursor
                        self.with_env(self.env(cr=cr))._circuit_schedule_resume()
            except psycopg2.errors.LockNotAvailable:
                return None
            except RETRYABLE_DB_ERRORS as error:
                _logger.info("Backend %s: failure count retried (%s)", self.id, error)
                continue
            # This transaction's snapshot predates the commit: show it what was committed.
            self._circuit_cache(
                circuit_state=state,
                circuit_failure_count=count,
                circuit_last_error=message,
                circuit_opened_at=opened_at,
            )
            return state, state == circuit.OPEN and before != circuit.OPEN
        return None

    def _circuit_cache(self, **values):
        """Put health values committed on another cursor into this transaction's cache."""
        for name, value in values.items():
            field = self._fields[name]
            self.env.cache.update(self, field, [field.convert_to_cache(value, self)])

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
        The row is never waited for (NOWAIT): a job's record transaction must not wait on a
        row its own job's transaction may hold.
        """
        # The caller's own pending writes are flushed outside the savepoint: a conflict of
        # theirs must reach the caller, not be swallowed here as health not recorded (and the
        # writes silently lost with it).
        self.env.flush_all()
        try:
            with quiet_sql.expected_errors(), self.env.cr.savepoint():
                self.env.cr.execute(
                    "SELECT id FROM retail_backend WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                    (tuple(self.ids),),
                )
                # sudo: the circuit's state is runtime bookkeeping on the backend, written by jobs
                # whose user may not edit its configuration
                self.sudo().write(values)
        except RETRYABLE_DB_ERRORS as error:
            _logger.info(
                "Health of backend %s not recorded (concurrent update): %s", self.id, error
            )
            return False
        return True

    def _notify_circuit_opened(self):
        self.ensure_one()
        self.message_post(
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
        Event = self.env["retail.event"]
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
        # sudo: queue.job is readable by job managers only; this only counts the pending resume job
        Job = self.env["queue.job"].sudo()
        if Job.search_count([("identity_key", "=", identity), ("state", "in", states)], limit=1):
            return False
        if self._circuit_resume_committed(identity, states):
            return False
        wait = delay if delay is not None else max(self._circuit_check(), 1)
        eta = fields.Datetime.now() + timedelta(seconds=circuit.jittered(wait, spread=0.1))
        self._as_integration_user().with_delay(
            channel=self._job_channel(),
            identity_key=identity,
            eta=eta,
            description=f"{self.name}: probe the channel, then resume parked work",
        )._circuit_resume()
        return True

    def _circuit_resume_committed(self, identity, states):
        """Whether a resume job is committed, read on a cursor of its own: a job whose
        snapshot predates the opening (it learnt of it from its own failure count) would not
        see the resume job enqueued with it, and would enqueue another."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT 1 FROM queue_job WHERE identity_key = %s AND state IN %s LIMIT 1",
                (identity, tuple(states)),
            )
            return bool(cr.fetchall())

    def _circuit_resume(self):
        """Job: the place holder of a backend's parked work. Probes the channel once its
        cooldown is over; when the circuit closes, the parked work flows again.

        While the circuit stays open the job postpones itself (``RetryableJobError``, its
        retry count untouched) instead of enqueuing a successor: one ``queue.job`` row holds
        the place for the whole outage, not one per cooldown. Its transaction has nothing to
        lose: the probe's claim and outcome are committed on cursors of their own.
        """
        self.ensure_one()
        if self.circuit_state == circuit.CLOSED:
            # closed by another caller, which released the exports: events parked since
            released = self._circuit_release_parked(exports=False)
            return f"circuit closed: {released} parked event(s) released"
        wait = self._circuit_check()
        if self.circuit_state == circuit.OPEN and wait > 1:
            self._circuit_postpone_resume(f"circuit open: probe in {wait}s", wait)
        outcome = self._circuit_probe_once(successor=False)
        if outcome == "open":
            self._circuit_postpone_resume(
                "probe: open", max(self.circuit_cooldown, 1)
            )
        return f"probe: {outcome}"

    def _circuit_postpone_resume(self, message, seconds):
        """Run this resume job again in ``seconds`` (jittered), as the same job."""
        raise RetryableJobError(
            message, seconds=circuit.jittered(seconds, spread=0.1), ignore_retry=True
        )

    def _circuit_probe_once(self, successor=True):
        """Claim the half-open probe, call the channel, record the outcome.

        Returns ``closed``, ``open`` or ``busy`` (cooldown not over, or another worker holds
        the probe). The claim and the outcome are committed on their own cursors, so no row
        of this transaction is locked while the channel is called, and two workers never
        both probe. ``successor``: after a failed probe, make sure a resume job waits for
        the next cooldown (the resume job itself postpones instead).
        """
        self.ensure_one()
        if not self._circuit_claim_probe():
            return "busy"
        try:
            self._circuit_probe()
        except Exception as error:  # any failure of the probe keeps the circuit open
            _logger.info("Backend %s: circuit probe failed: %s", self.id, error)
            self._circuit_store_probe(error)
            if successor:
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
            .with_context(retail_circuit_release=True)
            .search([("backend_id", "=", self.id), ("parked", "=", True)], order="id")
        )
        events.with_context(retail_event_internal=True).write({"parked": False})
        events._enqueue()
        for flow in sorted(backend._export_flows()) if exports else ():
            backend._schedule_export(flow)
        return len(events)
