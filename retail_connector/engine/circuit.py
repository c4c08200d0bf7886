"""Circuit breaker decisions as pure functions.

A backend's circuit is *closed* while calls succeed. Consecutive failures (transient or
authentication) open it: ``threshold`` transient failures, or a single authentication failure.
While *open*, work is parked (no call, no new job per event) until ``cooldown`` seconds after
the opening; then the circuit is *half-open*: exactly one caller (the one that claims the probe
in the database) calls the channel, its success closes the circuit and releases the parked
work, its failure opens it again for another cooldown.
"""

import math
import random
import threading
from datetime import timedelta

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

# Answers received from a channel by this thread: a job whose work called nothing (a customer
# webhook mapped from its payload) says nothing about the channel's health.
_ANSWERS = threading.local()


def note_answer():
    """Adapters call this for each answer of their channel that is not a failure."""
    _ANSWERS.count = getattr(_ANSWERS, "count", 0) + 1


def answer_count():
    """How many channel answers this thread has noted so far."""
    return getattr(_ANSWERS, "count", 0)


def parked_wait(state, opened_at, cooldown_seconds, now):
    """Seconds before the next probe of a circuit in ``state`` is due; 0 when it is closed.

    Only a closed circuit lets ordinary calls go: an open or half-open one answers at least 1
    (the probe is not theirs to make).
    """
    if state == CLOSED:
        return 0
    reopen_at = (opened_at or now) + timedelta(seconds=cooldown_seconds or 0)
    return max(1, math.ceil((reopen_at - now).total_seconds()))


def jittered(seconds, spread=0.2, rng=random):
    """``seconds`` plus a random part of up to ``spread`` of it, rounded up to whole seconds.

    Only ever later, never earlier (a server's ``Retry-After`` is a minimum), so that retries
    and probes of many workers do not all come back in the same second.
    """
    if not seconds or seconds <= 0:
        return 0
    return math.ceil(seconds + rng.uniform(0, seconds * spread))


def after_failure(state, failure_count, threshold, kind):
    """Return ``(new_state, new_failure_count)`` after a failed call of error ``kind``."""
    count = failure_count + 1
    if kind == "auth" or state == HALF_OPEN or count >= threshold:
        return OPEN, count
    return state, count
