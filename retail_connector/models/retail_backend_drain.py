"""One drain job per backend imports its queued events, oldest first.

A webhook stores its event as ``queued`` and makes sure one drain job of its backend is
pending (identity key ``retail-drain-<backend id>``): a burst of webhooks adds no job while
one waits. A drain that finds a backlog leaves one more pending, so that as many drains as
the channel's capacity share it (each event held by a lock while it is imported). The drain
takes the events in batches in the order received and imports each one on a transaction of
its own (:meth:`retail.event._process_job`, committed per event), so one
event's failure, retry or rollback never touches another's, and no row an import wrote stays
locked while the next event calls the channel.

An event retried after a delay (a transient failure, a quota pause) stays queued with its
``next_retry_at``; one retry drain per backend (identity ``retail-drain-<id>-retry``) is pending
for the earliest of them, brought forward when an earlier retry needs it. An event with a job
of its own (``job_uuid``, from before this design) is left to that job.
"""

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import psycopg2.errors

from odoo import fields, models

from ..engine.locks import lock_key
from ..engine.transactions import between_transactions, environment, shares_test_transaction

_logger = logging.getLogger(__name__)

#: Events read per query, and the events or seconds one drain job takes before it hands the
#: rest over to the next one (a job stays short: the runner's time limits, a restart).
DRAIN_BATCH = 50
DRAIN_MAX_EVENTS = 500
DRAIN_MAX_SECONDS = 60
#: Seconds before the events a database conflict left queued are tried again.
CONFLICT_DELAY = 5
#: Events queued for this long with no drain pending are handed to a new one by the cron.
STRANDED_AFTER = timedelta(minutes=2)
CONFLICTS = (
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)
#: The backends whose drain this transaction has seen pending or enqueued.
SCHEDULED = "retail.drain.scheduled"
SCHEDULED_RETRY = "retail.drain.scheduled_retry"
DRAINED_DOMAIN = [("state", "=", "queued"), ("parked", "=", False), ("job_uuid", "=", False)]


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    def _drain_identity(self):
        return f"retail-drain-{self.id}"

    def _schedule_drain(self, delay=0):
        """Make sure a drain job of this backend is pending: one to run now (a pending one
        absorbs it), or with ``delay`` one to run then, for a retry (a pending retry drain
        absorbs it, and is brought forward if it was due later).

        While the circuit is open nothing is enqueued: the resume job holds the place.
        """
        self.ensure_one()
        if self._circuit_parks():
            self._circuit_schedule_resume()
            return None
        # The drain runs as the backend's integration user, whoever queues its events.
        backend = self._as_integration_user()
        if not delay:
            # once per transaction (a poll stores many events), then once per pending drain
            scheduled = backend.env.cr.precommit.data.setdefault(SCHEDULED, set())
            if backend.id in scheduled or backend._drain_pending():
                return None
            scheduled.add(backend.id)
            return backend.with_delay(
                channel=backend._job_channel(),
                identity_key=backend._drain_identity(),
                description=f"{backend.name}: import the queued events",
            )._drain_events()
        eta = fields.Datetime.now() + timedelta(seconds=delay)
        retries = backend.env.cr.precommit.data.setdefault(SCHEDULED_RETRY, {})
        if backend.id in retries and retries[backend.id] <= eta:
            return None
        retries[backend.id] = eta
        if backend._drain_pending(retry_at=eta):
            return None
        return backend.with_delay(
            channel=backend._job_channel(),
            identity_key=f"{backend._drain_identity()}-retry",
            eta=eta,
            description=f"{backend.name}: import the events due for a retry",
        )._drain_events()

    def _drain_pending(self, retry_at=None):
        """Whether a drain job of this backend waits to run (with ``retry_at``: a retry drain
        due by then; one due later is brought forward to it). The identity check queue_job
        would make, without building a job first: the hot path of every webhook."""
        self.env["queue.job"].flush_model(["identity_key", "state", "eta"])
        if retry_at is None:
            self.env.cr.execute(
                "SELECT 1 FROM queue_job WHERE identity_key = %s "
                "AND state IN ('wait_dependencies', 'pending', 'enqueued') LIMIT 1",
                (self._drain_identity(),),
            )
            return bool(self.env.cr.fetchone())
        self.env.cr.execute(
            "SELECT id, eta FROM queue_job WHERE identity_key = %s AND state = 'pending' "
            "LIMIT 1",
            (f"{self._drain_identity()}-retry",),
        )
        row = self.env.cr.fetchone()
        if row and row[1] and row[1] > retry_at:
            self.env.cr.execute("UPDATE queue_job SET eta = %s WHERE id = %s", (retry_at, row[0]))
            self.env["queue.job"].invalidate_model(["eta"])
        return bool(row)

    def _drain_events(self):
        """Job: import the queued events of this backend in the order received.

        Returns a short report. Stops (and leaves the rest to a successor job) after
        ``DRAIN_MAX_EVENTS`` events or ``DRAIN_MAX_SECONDS``; parks the queued events when the
        circuit opens and postpones itself while a quota pause lasts.
        """
        self.ensure_one()
        # events stored from here on need a drain after this one
        self.env.cr.precommit.data.get(SCHEDULED, set()).discard(self.id)
        self.env.cr.precommit.data.get(SCHEDULED_RETRY, {}).pop(self.id, None)
        if not self.active:
            return f"backend {self.name} is archived: events left queued"
        started, last_id, outcomes = time.monotonic(), 0, {}
        while True:
            with self._drain_env() as env:
                ids = self.with_env(env)._queued_event_ids(after=last_id)
            if not ids:
                break
            if len(ids) == DRAIN_BATCH and not last_id:
                # a backlog: a second drain may share it, as far as the channel allows
                self._drain_schedule()
            for event_id in ids:
                last_id = event_id
                outcome = self._drain_one(event_id)
                if outcome.startswith(("circuit open", "paused")):
                    return _report(outcomes, outcome)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if (
                    sum(outcomes.values()) >= DRAIN_MAX_EVENTS
                    or time.monotonic() - started > DRAIN_MAX_SECONDS
                ):
                    self._drain_schedule()
                    return _report(outcomes, "handed over to the next drain job")
        if outcomes.get("conflict"):
            self._drain_schedule(delay=CONFLICT_DELAY)
        with self._drain_env() as env:
            self.with_env(env)._schedule_next_retry()
        return _report(outcomes, "inbox drained")

    def _drain_schedule(self, delay=0):
        """:meth:`_schedule_drain` from a drain, on a transaction of its own: this job's
        snapshot is as old as the job and would miss the drains enqueued since."""
        with self._drain_env() as env:
            self.with_env(env)._schedule_drain(delay=delay)

    def _queued_event_ids(self, after=0, limit=DRAIN_BATCH):
        """Ids of this backend's events waiting for the drain and due, oldest first."""
        domain = [("backend_id", "=", self.id), ("id", ">", after), *_due_domain()]
        return self.env["retail.event"].search(domain, order="id", limit=limit).ids

    def _schedule_next_retry(self):
        """Make sure a retry drain is pending for the earliest event still waiting for its
        retry (in case the one scheduled with it was lost or absorbed by a later one)."""
        self.env["retail.event"].flush_model(["next_retry_at", "state", "parked", "job_uuid"])
        self.env.cr.execute(
            "SELECT min(next_retry_at) FROM retail_event WHERE backend_id = %s "
            "AND state = 'queued' AND parked IS NOT TRUE AND job_uuid IS NULL "
            "AND next_retry_at > %s",
            (self.id, fields.Datetime.now()),
        )
        due = self.env.cr.fetchone()[0]
        if due:
            seconds = (due - fields.Datetime.now()).total_seconds()
            self._schedule_drain(delay=max(seconds, 1))

    def _drain_one(self, event_id):
        """Import one event on a transaction of its own.

        Returns the first word of the import's report (``done``, ``failed``, ...);
        ``skipped`` when another drain holds the event or it is no longer queued;
        ``conflict`` when a database conflict left it queued for a later drain; or, without
        touching the event, ``circuit open: ...`` / ``paused: ...`` when the drain must stop.

        Drains of one backend may run side by side (up to the channel's capacity): the event
        is held by a session lock taken before its transaction starts, so the drain that
        gets it next sees the first one's outcome.
        """
        key = lock_key(self.id, "retail.event.drain", event_id)
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s)", (key,))
        if not self.env.cr.fetchone()[0]:
            return "skipped"
        try:
            return self._drain_held(event_id)
        finally:
            self.env.cr.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _drain_held(self, event_id):
        """Claim, commit, call, record: the checks and the event's claim on a transaction
        committed before the call; the call step on a cursor that holds no transaction
        while the channel answers (:func:`..engine.transactions.between_transactions`); its
        outcome recorded in a transaction of its own."""
        try:
            with self._drain_env() as env:
                backend = self.with_env(env)
                stopped = backend._call_gate(backend._drain_park, backend._drain_postpone)
                if stopped is not None:
                    return stopped
                event = env["retail.event"].browse(event_id)
                if not event.exists() or not event.filtered_domain(_due_domain()):
                    return "skipped"
                report = event._process_begin()
            if report is None:  # claimed
                with self._drain_reader() as env:
                    report = env["retail.event"].browse(event_id)._process_claimed()
        except CONFLICTS as error:
            _logger.info("Event %s left queued after a database conflict: %s", event_id, error)
            return "conflict"
        except Exception as error:
            # Bookkeeping outside the guarded import failed: into the exception queue, where
            # a person sees it and retries, instead of blocking the events behind it.
            _logger.exception("Event %s could not be processed", event_id)
            with self._drain_env() as env:
                env["retail.event"].browse(event_id)._mark_failed(
                    "data", f"Unexpected error ({type(error).__name__}): {error}"
                )
            return "failed"
        return str(report).split(":", 1)[0]

    def _drain_park(self):
        """:meth:`_call_gate`'s ``park`` for a drain: the circuit opened, its events wait."""
        return f"circuit open: {self._park_queued_events()} event(s) parked"

    def _drain_postpone(self, wait):
        """:meth:`_call_gate`'s ``postpone`` for a drain: a quota pause, the drain waits."""
        self._schedule_drain(delay=wait)
        return f"paused: drain postponed by {wait}s"

    @contextmanager
    def _drain_env(self):
        """An environment on a transaction of its own, committed when the block ends well
        (rolled back otherwise). On a test case's single transaction, a savepoint of it
        stands in for it."""
        if shares_test_transaction(self.env):
            with self.env.cr.savepoint():
                yield self.env
            return
        self.env.flush_all()  # what this transaction wrote is seen by the other one (tests)
        try:
            with self.env.registry.cursor() as cr:
                env = self.env
                yield environment(env.registry, cr, env.uid, env.context, env.su)
        finally:
            # this job's own transaction must not answer from what it read before
            self.env.invalidate_all()

    @contextmanager
    def _drain_reader(self):
        """An environment whose cursor holds no transaction between statements, for an
        event's call step (see :meth:`_drain_env` for tests)."""
        if shares_test_transaction(self.env):
            yield self.env
            return
        self.env.flush_all()
        try:
            with between_transactions(self.env) as env:
                yield env
        finally:
            self.env.invalidate_all()

    def _park_queued_events(self):
        """Park the events waiting for the drain (the circuit is open); one resume job holds
        their place. Returns how many were parked."""
        self.ensure_one()
        events = self.env["retail.event"].search([("backend_id", "=", self.id), *DRAINED_DOMAIN])
        events.with_context(retail_event_internal=True).write(
            {"parked": True, "next_retry_at": False}
        )
        if events:
            self._circuit_schedule_resume()
        return len(events)

    def _cron_drain_stranded(self):
        """Hand events queued for a while with no drain pending to a new drain job (a drain
        killed with its worker, a drain scheduled in a transaction rolled back)."""
        before = fields.Datetime.now() - STRANDED_AFTER
        Event = self.env["retail.event"]
        groups = Event._read_group([("received_at", "<", before), *_due_domain()], ["backend_id"])
        for (backend,) in groups:
            if backend.active:
                backend._schedule_drain()


def _due_domain():
    """Queued for the drain (no job of its own, not parked) and due: no retry time, or one
    reached (a second of slack: a retry drain may start within the second it was due)."""
    due = fields.Datetime.now() + timedelta(seconds=1)
    return [*DRAINED_DOMAIN, "|", ("next_retry_at", "=", False), ("next_retry_at", "<=", due)]


def _report(outcomes, end):
    counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    return f"{end}: {counts or 'no event'}"
