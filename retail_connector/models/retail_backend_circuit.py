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

    def _circuit_check(self):
        """Return the seconds to wait before calling the channel, 0 when a call may go.

        Moves an open circuit to half-open once its cooldown has passed.
        """
        self.ensure_one()
        allowed, state, wait = circuit.allows_call(
            self.circuit_state,
            self.circuit_opened_at,
            self.circuit_cooldown,
            fields.Datetime.now(),
        )
        if state != self.circuit_state:
            self._circuit_write({"circuit_state": state})
        return 0 if allowed else wait

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

    def _circuit_record_success(self):
        """Close the circuit after a success; refresh ``last_success_at`` at most once a minute.

        Every job ends here: writing the backend row each time made concurrent jobs conflict
        on it (and queue_job run them twice), so a healthy backend is left untouched.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        values = {}
        if self.circuit_state != circuit.CLOSED or self.circuit_failure_count:
            values.update(
                circuit_state=circuit.CLOSED, circuit_failure_count=0, circuit_opened_at=False
            )
        if values or not self.last_success_at or now - self.last_success_at > SUCCESS_REFRESH:
            values["last_success_at"] = now
            self._circuit_write(values)

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
        """Probe every backend whose circuit has been open for its cooldown."""
        for backend in self.search([("circuit_state", "!=", circuit.CLOSED)]):
            if backend._circuit_check() == 0:
                backend.action_circuit_probe()
