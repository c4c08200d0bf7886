"""Circuit breaker decisions as pure functions.

A backend's circuit is *closed* while calls succeed. Consecutive failures (transient or
authentication) open it: ``threshold`` transient failures, or a single authentication failure.
While *open*, jobs are postponed until ``cooldown`` seconds after the opening; then the circuit
is *half-open*: the next call is a probe, its success closes the circuit and its failure opens
it again for another cooldown.
"""

from datetime import timedelta

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


def allows_call(state, opened_at, cooldown_seconds, now):
    """Return ``(allowed, new_state, wait_seconds)`` for a call about to be made at ``now``."""
    if state in (CLOSED, HALF_OPEN):
        return True, state, 0
    reopen_at = (opened_at or now) + timedelta(seconds=cooldown_seconds)
    if now >= reopen_at:
        return True, HALF_OPEN, 0
    return False, OPEN, max(1, int((reopen_at - now).total_seconds() + 0.999))


def after_failure(state, failure_count, threshold, kind):
    """Return ``(new_state, new_failure_count)`` after a failed call of error ``kind``."""
    count = failure_count + 1
    if kind == "auth" or state == HALF_OPEN or count >= threshold:
        return OPEN, count
    return state, count
