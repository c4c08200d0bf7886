import logging
from datetime import timedelta

import psycopg2.errors

from odoo import fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import circuit
from ..engine.failures import close_outbound_failures
from ..engine.outbound import CLAIM_TIMEOUT
from ..errors import AuthError, DataError, RetailError, TransientError, backoff_delay

_logger = logging.getLogger(__name__)

# Database conflicts that another attempt resolves: a concurrent import created the same
# binding (unique violation), or two transactions touched the same rows.
RETRYABLE_DB_ERRORS = (
    psycopg2.errors.UniqueViolation,
    psycopg2.errors.SerializationFailure,
    psycopg2.errors.DeadlockDetected,
    psycopg2.errors.LockNotAvailable,
)


class RetailBackend(models.Model):
    """The jobs of a backend and the guard every call to a channel goes through."""

    _inherit = "retail.backend"

    def _call_gate(self, park, postpone, archived=None):
        """The checks a job makes before it calls the channel, in this order:

        - an archived backend stops the job: ``archived()`` returns its report (without
          ``archived``, the caller checks this elsewhere);
        - a circuit that is not closed parks it: ``park()`` parks the caller's work (the
          resume job holds its place until the circuit closes) and returns its report;
        - a used-up quota postpones it: ``postpone(wait)`` puts the work off by ``wait``
          seconds and returns its report.

        :returns: None when the call may go, else the report of the callable that ran.
        """
        self.ensure_one()
        if archived is not None and not self.active:
            return archived()
        if self._circuit_parks():
            return park()
        wait = self._circuit_check()
        if wait:  # paused by a used-up quota
            return postpone(wait)
        return None

    def _call_guarded(self, work, answers=None):
        """Run ``work()`` in a savepoint and classify how it ended.

        ``answers``: the channel answer count (``circuit.answer_count()``) before the work
        began, when part of it ran earlier (an event job's call step, before its record
        transaction).

        :returns: ``(outcome, value)`` where outcome is ``done`` (value is what ``work``
            returned), ``data``, ``transient`` or ``auth`` (value is the
            :class:`~..errors.RetailError`). Nothing ``work`` wrote survives a failure, so an
            event is never half-imported. Transient and authentication failures count
            towards the circuit breaker, successes close it.
        """
        self.ensure_one()
        if answers is None:
            answers = circuit.answer_count()
        try:
            with self.env.cr.savepoint():
                value = work()
        except RetailError as error:
            failure = error
        except RETRYABLE_DB_ERRORS as error:
            unique = isinstance(error, psycopg2.errors.UniqueViolation)
            failure = TransientError(
                f"Concurrent update, retried: {error.pgerror or error}",
                constraint=(error.diag.constraint_name or "?") if unique else None,
                retry_after=2,
                circuit=False,
            )
        except (UserError, ValidationError) as error:
            failure = DataError(str(error.args[0] if error.args else error))
        except Exception as error:
            _logger.exception("Unexpected error in retail connector job")
            failure = DataError(f"Unexpected error ({type(error).__name__}): {error}")
        else:
            if circuit.answer_count() > answers or not self._channel_notes_answers():
                self._circuit_record_success(close=False)
            return "done", value
        if isinstance(failure, AuthError) or getattr(failure, "circuit", False):
            self._circuit_record_failure(failure)
        return failure.kind, failure

    def _channel_notes_answers(self):
        """Channel hook: whether its adapter notes each answer (``circuit.note_answer``), so
        that only work that reached the channel counts as a success for the circuit."""
        return False

    def _retry_delay(self, error, attempt):
        """Seconds to wait before retrying after ``error`` on attempt number ``attempt``."""
        if isinstance(error, AuthError):
            return circuit.jittered(max(self.circuit_cooldown, 1))
        return circuit.jittered(backoff_delay(attempt, getattr(error, "retry_after", None)))

    # ------------------------------------------------------------------
    # Export jobs
    # ------------------------------------------------------------------
    def _schedule_export(self, flow, delay=0):
        """Enqueue the export job of ``flow``; a pending one absorbs it (identity key).

        While the circuit is open nothing is enqueued: the records stay dirty, the resume job
        holds the place and schedules every flow's export when the circuit closes. Without an
        active integration user nothing is enqueued either (logged): this is called from the
        writes of people editing products, stock and orders, whose work must not stop; the
        records stay dirty for the first export once the backend is fixed.
        """
        self.ensure_one()
        problem = self._integration_user_problem()
        if problem:
            _logger.warning("Export %s of backend %s not scheduled: %s", flow, self.name, problem)
            return None
        if self._circuit_parks():
            self._circuit_schedule_resume()
            return None
        eta = fields.Datetime.now() + timedelta(seconds=delay) if delay else None
        return self._as_integration_user().with_delay(
            channel=self._job_channel(),
            identity_key=f"retail-export-{self.id}-{flow}",
            eta=eta,
            description=f"{self.name}: export {flow}",
        )._export_flow(flow)

    def _job_store_values(self, job):
        """queue_job hook: the backend's jobs carry it and their flow (dashboard charts)."""
        values = super()._job_store_values(job)
        flow = job.args[0] if job.method_name == "_export_flow" and job.args else None
        values.update(
            retail_backend_id=self[:1].id,
            retail_flow=f"export {flow}" if flow else job.method_name.strip("_").replace("_", " "),
        )
        return values

    def _export_flow(self, flow):
        """Job: export what is dirty in ``flow``. Returns a short report."""
        self.ensure_one()

        def park():
            self._circuit_schedule_resume()
            return "circuit open: export parked until the circuit closes"

        def postpone(wait):
            self._schedule_export(flow, delay=wait)
            return f"paused: export postponed by {wait}s"

        refused = self._call_gate(
            park, postpone, archived=lambda: f"backend {self.name} is archived: nothing exported"
        )
        if refused is not None:
            return refused
        outcome, value = self._call_guarded(lambda: self._get_exporter(flow).run())
        if outcome == "done":
            close_outbound_failures(self, flow)  # the run-wide failure row, if one is open
            return str(value)
        if outcome == "data":
            self.env["retail.event"]._record_outbound_failure(self, flow, value)
            return f"export failed: {value}"
        if self._circuit_parks():
            # The circuit decides when the channel is called again: the export waits parked
            # and runs as soon as the probe closes the circuit, not after a long backoff.
            self._circuit_schedule_resume()
            return f"{outcome} failure, export parked until the circuit closes: {value}"
        delay = self._retry_delay(value, self.circuit_failure_count)
        self._schedule_export(flow, delay=delay)
        return f"{outcome} failure, export retried in {delay}s: {value}"

    # ------------------------------------------------------------------
    # Scheduled actions
    # ------------------------------------------------------------------
    def _enqueue_job(self, method, key, description):
        """Enqueue ``method`` of this backend as a job on its channel, at most one pending per
        backend and ``key`` (identity ``retail-<key>-<backend id>``)."""
        self.ensure_one()
        delayed = self._as_integration_user().with_delay(
            channel=self._job_channel(),
            identity_key=f"retail-{key}-{self.id}",
            description=f"{self.name}: {description}",
        )
        return getattr(delayed, method)()

    def _enqueue_catch_up(self):
        """The catch-up job: the cron, and the channels' Import Now / Poll Now buttons."""
        return self._enqueue_job("_run_catch_up", "catch-up", "catch-up import")

    def _cron_catch_up(self):
        """Enqueue one catch-up job per active backend, and the export of each flow whose
        rows a dead run left claimed (see ``_schedule_stale_exports``)."""
        for backend in self._cron_ready_backends():
            backend._enqueue_catch_up()
            backend._schedule_stale_exports()

    def _schedule_stale_exports(self):
        """Schedule the export of each flow holding a row still waiting to be sent whose claim
        has expired: a worker that died between its claim and its record leaves its rows
        claimed (``CLAIM_TIMEOUT``), and without a new change to them nothing would run the
        flow again. Returns the flows scheduled."""
        self.ensure_one()
        scheduled = []
        for flow in sorted(self._export_flows()):
            model = self._export_binding_model(flow)
            if not model:
                continue
            Binding = self.env[model]
            Binding.flush_model(["backend_id", "export_pending", "export_claimed_at"])
            self.env.cr.execute(
                f"SELECT 1 FROM {Binding._table} WHERE backend_id = %s AND export_pending "
                "AND export_claimed_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => %s) "
                "LIMIT 1",
                (self.id, CLAIM_TIMEOUT),
            )
            if self.env.cr.fetchone():
                self._schedule_export(flow)
                scheduled.append(flow)
        return scheduled

    def _run_catch_up(self):
        """Job: poll the channel since each flow's checkpoint into the event inbox."""
        self.ensure_one()
        wait = self._circuit_check()
        if wait:
            return f"circuit open: catch-up skipped, next run in {wait}s"
        outcome, value = self._call_guarded(self._catch_up)
        if outcome == "done":
            return str(value)
        return f"catch-up ended with a {outcome} failure: {value}"
