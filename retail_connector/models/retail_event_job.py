"""The import job of one event: claim, commit, call, record.

No row stays locked while the channel is called. The job's own transaction only reads:

1. **claim**: a short transaction, committed at once, counts the attempt and stamps the start
   on the event row;
2. **call**: the topic's call step (:meth:`retail.backend._get_event_call`) talks to the
   channel (reads, and writes whose outcome the handler records idempotently) with no row
   written or locked;
3. **record**: one short transaction runs the handler (the import's writes, no call to the
   channel) and writes the event's outcome (done, failed, or a retry job); both commit
   together, so an event is never half-imported. A handler may leave channel writes that
   need what it created (Odoo's id written back to Salesforce) for after that commit
   (``prepared["then"]``); the outcome is then recorded once they are done.

A person editing the event or the sale order meanwhile is neither blocked nor conflicts: the
claim has committed, and the record transaction starts after the call.
"""

from odoo import _, fields, models

from ..engine import circuit
from ..engine.transactions import short_transaction
from .retail_event import UNIQUE_RETRIES


class RetailEvent(models.Model):
    _inherit = "retail.event"

    pending_call = fields.Json(
        readonly=True,
        copy=False,
        help="A write to the channel that was started and whose outcome is not recorded yet: "
        "what a rerun needs to recognise its result instead of sending it again.",
    )

    def _process_job(self, replay=False):
        """Job: import one event. Returns a short report of what happened."""
        self.ensure_one()
        refused = self._process_begin(replay)
        if refused:
            return refused
        return self._process_claimed(replay)

    def _process_begin(self, replay=False):
        """The checks before the call, and the claim (committed at once). Returns why the
        event is not processed now (parked, postponed, failed, done meanwhile), or None."""
        self.ensure_one()
        if self.state in ("done", "ignored") and not replay:
            return f"nothing to do: event is {self.state}"
        backend = self.backend_id

        def park():
            self._park()
            return "circuit open: event parked until the circuit closes"

        def postpone(wait):
            self._enqueue(delay=wait, replay=replay)
            return f"paused: postponed by {wait}s"

        refused = backend._call_gate(
            park,
            postpone,
            archived=lambda: f"backend {backend.name} is archived: event left {self.state}",
        )
        if refused is not None:
            return refused
        backend = backend.with_context(retail_no_export=True)
        if backend._get_event_handler(self.topic) is None:
            return self._mark_failed(
                "data",
                _(
                    "No importer for topic '%(topic)s' on a %(type)s backend: ignore the event "
                    "or install the channel addon that handles it.",
                    topic=self.topic,
                    type=backend.backend_type,
                ),
            )
        return self._claim(replay)

    def _process_claimed(self, replay=False):
        """Call, then record, for a claimed event. The call step reads through this
        record's environment and writes to Odoo only in short transactions of its own."""
        backend = self.backend_id.with_context(retail_no_export=True)
        answers = circuit.answer_count()
        call = backend._get_event_call(self.topic)
        prepared = failure = None
        if call:
            try:
                prepared = call(self.with_env(backend.env))
            except Exception as error:  # classified in the record transaction
                failure = error
        with short_transaction(self.env) as env:
            event = self.with_env(env)
            guarded = event.backend_id.with_context(retail_no_export=True)
            handler = guarded._get_event_handler(self.topic)

            def work():
                if failure is not None:
                    raise failure
                return handler(event, prepared) if call else handler(event)

            outcome, value = guarded._call_guarded(work, answers=answers)
            then = outcome == "done" and isinstance(prepared, dict) and prepared.get("then")
            if not then:
                report = event._record_outcome(outcome, value, replay)
            elif isinstance(value, models.BaseModel):
                value = (value._name, value.ids)
        self.invalidate_recordset()
        if then:
            report = self._process_then(backend, prepared, value, replay)
        return report

    def _process_then(self, backend, prepared, value, replay):
        """The channel writes the handler left for after its committed import (see
        :meth:`retail.backend._run_event_then`), then the event's outcome in a short
        transaction. A failure of those writes is the event's failure: its retry imports
        again (nothing changes: the bindings are there) and writes again."""
        answers = circuit.answer_count()
        failure = None
        try:
            backend._run_event_then(prepared)
        except Exception as error:  # classified in the record transaction
            failure = error
        with short_transaction(self.env) as env:
            event = self.with_env(env)
            guarded = event.backend_id.with_context(retail_no_export=True)
            record = env[value[0]].browse(value[1]) if isinstance(value, tuple) else value

            def work():
                if failure is not None:
                    raise failure
                return record

            outcome, result = guarded._call_guarded(work, answers=answers)
            report = event._record_outcome(outcome, result, replay)
        self.invalidate_recordset()
        return report

    def _claim(self, replay):
        """The claim transaction: count the attempt and stamp the start, committed at once.
        Returns why the event is not processed (another job finished it meanwhile), or None."""
        with short_transaction(self.env) as env:
            event = self.with_env(env)
            event.invalidate_recordset()
            if event.state in ("done", "ignored") and not replay:
                return f"nothing to do: event is {event.state}"
            event.with_context(retail_event_internal=True).write(
                {"started_at": fields.Datetime.now(), "attempts": event.attempts + 1}
            )
            event._stamp("started_ms")
        self.invalidate_recordset()
        return None

    def _record_outcome(self, outcome, value, replay):
        """In the record transaction: the event's state after its handler ended with
        ``outcome`` (see :meth:`retail.backend._call_guarded`)."""
        backend = self.backend_id
        if outcome == "done":
            return self._mark_done(value)
        if outcome == "data":
            return self._mark_failed("data", str(value), getattr(value, "missing_mapping", None))
        if outcome == "ignored":
            return self._mark_ignored(str(value))
        constraint = getattr(value, "details", {}).get("constraint")
        if constraint and self.attempts >= UNIQUE_RETRIES:
            # A concurrent insert clears on the next attempt; a conflict that survives the
            # retries is data: the record clashes with one that exists.
            return self._mark_failed(
                "data",
                _(
                    "This record conflicts with one Odoo already has (unique constraint "
                    "%(constraint)s), and retrying did not help: %(error)s Find the existing "
                    "record (same reference, e-mail or binding), merge or unbind it, then "
                    "retry.",
                    constraint=constraint,
                    error=value,
                ),
            )
        if not getattr(value, "spends_attempt", True):
            # A used-up quota (the backend is paused) or a record another import held: the
            # event waits, its attempt not spent.
            self.with_context(retail_event_internal=True).write(
                {"attempts": self.attempts - 1, "error_kind": outcome, "error_message": str(value)}
            )
            delay = backend._circuit_check() or backend._retry_delay(value, self.attempts)
            self._enqueue(delay=delay, replay=replay)
            return f"{getattr(value, 'report', 'paused')}, retry in {delay}s: {value}"
        if self.attempts >= backend.max_attempts:
            return self._mark_failed(
                outcome, _("Gave up after %(n)s attempts: %(error)s", n=self.attempts, error=value)
            )
        delay = backend._retry_delay(value, self.attempts)
        self.with_context(retail_event_internal=True).write(
            {"error_kind": outcome, "error_message": str(value)}
        )
        self._enqueue(delay=delay, replay=replay)
        return f"{outcome} failure, retry in {delay}s: {value}"

    def _record_pending_call(self, note):
        """A call step is about to write to the channel: keep ``note`` (what a rerun needs
        to recognise the result) in a short transaction committed before the call; the
        record transaction clears it. Inside a dry run, nothing is committed."""
        from ..engine.dry_run import is_dry_run

        self.ensure_one()
        with short_transaction(self.env, same=is_dry_run(self.env.context)) as env:
            self.with_env(env).with_context(retail_event_internal=True).write(
                {"pending_call": note}
            )
        self.invalidate_recordset(["pending_call"])
