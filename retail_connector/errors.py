"""The error taxonomy of the connector, and how each kind of failure ends.

Every failure met while importing or exporting is turned into one of three kinds:

* :class:`TransientError` – the remote side or the database is busy (network failure,
  timeout, HTTP 429/5xx, GraphQL THROTTLED, a lock held by another import, a unique or
  serialization conflict). The work is retried later with a backoff that honours the
  server's ``Retry-After``. Consecutive transient failures count towards the circuit breaker.
* :class:`DataError` – the payload cannot be applied as it is (unknown SKU, unmapped tax or
  gateway, missing required field). Retrying does not help until a person fixes the data or a
  mapping: the event ends *failed* in the exception queue with :attr:`message`, which must say
  what to do. A missing mapping can be named so that a draft mapping row is created.
* :class:`AuthError` – credentials are rejected or the account is blocked (HTTP 401/402/403/423,
  ACCESS_DENIED, an expired refresh token, a daily API limit). The backend's circuit opens at
  once and its jobs wait until a probe succeeds.

This module imports nothing from Odoo so that adapters and mappers can raise these errors in
plain Python code.
"""


class RetailError(Exception):
    """Base class of the connector's own errors."""

    kind = "error"

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self):
        return self.message


class TransientError(RetailError):
    """A failure that goes away by itself: retry later.

    :param retry_after: seconds the server asked us to wait (``Retry-After``), or ``None`` to
        use the backoff schedule.
    :param circuit: whether the failure says the channel is unwell and counts towards its
        circuit breaker. Contention on one record (an import lock held by another worker, a
        database conflict, a record locked in the remote system, an order whose own event is
        still queued) is retried but says nothing about the channel: ``circuit=False``.
    """

    kind = "transient"
    #: whether the failed try counts towards the event's ``max_attempts``
    spends_attempt = True

    def __init__(self, message, retry_after=None, circuit=True, **details):
        super().__init__(message, **details)
        self.retry_after = retry_after
        self.circuit = circuit


class QuotaExceeded(TransientError):
    """The channel's request quota is used up (a daily API limit): nothing is wrong with the
    channel or the data, the calls must wait until the quota allows them again.

    The backend pauses all its calls for ``retry_after`` seconds (then asks the channel
    whether the quota allows calls again, see ``retail.backend._pause_probe``), its
    responsible is alerted, events wait without spending attempts, and the circuit stays
    closed.
    """

    spends_attempt = False
    report = "paused"

    def __init__(self, message, retry_after, **details):
        super().__init__(message, retry_after=retry_after, circuit=False, **details)


class RecordBusy(TransientError):
    """Another import of the same record was running: this one waited for it to end and
    must now start again, since its view of the database (Odoo's repeatable read) predates
    what that import committed. Contention, not a failure: retried within a second, its
    attempt not spent, the circuit untouched."""

    spends_attempt = False
    #: the first word of the event's report (a drain stops on "paused", not on this)
    report = "busy"

    def __init__(self, message, **details):
        super().__init__(message, retry_after=1, circuit=False, **details)


class DataError(RetailError):
    """The payload cannot be applied until a person acts.

    :param missing_mapping: optional ``(kind, external_value, label)`` naming the value mapping
        that is missing; the engine then creates a draft mapping row for a person to complete.
    """

    kind = "data"

    def __init__(self, message, missing_mapping=None, **details):
        super().__init__(message, **details)
        self.missing_mapping = missing_mapping


class IgnoredEvent(RetailError):
    """The event is valid but nothing should be imported from it (a test order): it ends
    *ignored*, with :attr:`message` saying why, and nothing it would have written."""

    kind = "ignored"


class AuthError(RetailError):
    """Credentials rejected or access blocked: open the backend's circuit."""

    kind = "auth"


# Backoff schedule (attempt number -> seconds) used when the server gave no Retry-After.
BACKOFF_SECONDS = (10, 30, 60, 120, 300, 600, 900, 1800)


def backoff_delay(attempt, retry_after=None):
    """Return the delay in seconds before retry number ``attempt`` (1-based).

    A server's ``Retry-After`` wins when it is given, so that we never come back earlier than
    the server asked; the schedule caps at its last value.
    """
    if retry_after is not None:
        try:
            return max(0, int(float(retry_after) + 0.999))
        except (TypeError, ValueError):
            pass
    index = min(max(attempt, 1), len(BACKOFF_SECONDS)) - 1
    return BACKOFF_SECONDS[index]
