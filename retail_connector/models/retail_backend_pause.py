"""A backend paused by a used-up quota (a daily API limit), apart from the circuit breaker.

A :class:`~..errors.QuotaExceeded` says the channel refuses calls until its quota allows
them again: not a failure of the channel, so the circuit stays closed and events keep their
attempts. The backend records until when it is paused; every job asks
:meth:`_circuit_check` first and is postponed meanwhile. When the pause ends, the channel is
asked once (:meth:`_pause_probe`) whether the quota allows calls; if not, the pause goes on.
"""

import logging
from datetime import timedelta

from odoo import _, fields, models

from ..engine import circuit
from ..errors import QuotaExceeded, RetailError

_logger = logging.getLogger(__name__)


class RetailBackend(models.Model):
    _inherit = "retail.backend"

    paused_until = fields.Datetime(
        readonly=True,
        copy=False,
        help="The channel's request quota is used up: no call is made before this time.",
    )
    paused_reason = fields.Char(readonly=True, copy=False)

    def _circuit_check(self):
        return self._pause_check() or super()._circuit_check()

    def _pause_check(self):
        """Seconds the backend stays paused (0: calls may go); probes when a pause ends."""
        self.ensure_one()
        if not self.paused_until:
            return 0
        now = fields.Datetime.now()
        if now < self.paused_until:
            # Jittered: the jobs postponed by a pause must not all come due in one second.
            return circuit.jittered(max(1, (self.paused_until - now).total_seconds()))
        try:
            more = self._pause_probe()
        except QuotaExceeded as error:
            more = error.retry_after
        except RetailError as error:
            # Something else is wrong: resume, the circuit breaker handles that failure.
            _logger.info("Backend %s: quota probe failed (%s), resuming", self.id, error)
            more = 0
        if more:
            self._circuit_write(
                {"paused_until": now + timedelta(seconds=more)}
            )
            return int(more)
        # Jobs whose pause ended at once probe concurrently: the one that records the resume
        # says so, the others' writes give way (and say nothing twice).
        if self._circuit_write({"paused_until": False, "paused_reason": False}):
            self.message_post(body=_("The channel's quota allows calls again: resumed."))
        return 0

    def _pause_probe(self):
        """Channel hook: seconds to stay paused (0 once the quota allows calls again); may
        raise :class:`~..errors.QuotaExceeded`. The default resumes."""
        return 0

    def _call_guarded(self, work, answers=None):
        outcome, value = super()._call_guarded(work, answers=answers)
        if isinstance(value, QuotaExceeded):
            self._pause(value)
        return outcome, value

    def _pause(self, error):
        """Pause the backend's calls for ``error.retry_after`` seconds; alert its responsible."""
        self.ensure_one()
        until = fields.Datetime.now() + timedelta(seconds=error.retry_after or 60)
        first = not self.paused_until
        self._circuit_write({"paused_until": until, "paused_reason": str(error)[:500]})
        if first:
            message = _(
                "Calls to %(name)s are paused until the channel's quota allows them again "
                "(checked from %(until)s UTC on); events wait and keep their attempts. "
                "%(error)s",
                name=self.name,
                until=until,
                error=error,
            )
            self.message_post(body=message)
            self._alert("quota", message)
