"""Advisory locks that keep two imports of the same external record apart."""

import hashlib

import psycopg2.errors

from ..errors import RecordBusy, TransientError
from . import quiet_sql

#: How long an import waits for another import of the same record to end (milliseconds).
LOCK_WAIT_MS = 5000


def lock_key(backend_id, model, external_id):
    """Return the signed 64-bit advisory lock key of (backend, model, external id)."""
    digest = hashlib.sha256(f"{backend_id}:{model}:{external_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_external_record(cr, backend_id, model, external_id):
    """Take the transaction-scoped lock of one external record (released when the
    transaction ends).

    When another import holds it, this one waits for that import to end (up to
    :data:`LOCK_WAIT_MS`), then raises :class:`~..errors.RecordBusy`: its snapshot predates
    what the other import committed, so it starts again within a second, its attempt not
    spent. Failing at once instead (a try-lock) made the orders of one customer, imported by
    two drains side by side, fail in turn, spend their attempts within a minute and give up
    (a flash sale of one B2B customer). A lock held longer than the wait is a transient
    failure, retried shortly.
    """
    key = lock_key(backend_id, model, external_id)
    cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))
    if cr.fetchone()[0]:
        return
    cr.execute("SELECT current_setting('lock_timeout')")
    (previous,) = cr.fetchone()
    cr.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(LOCK_WAIT_MS)}ms",))
    try:
        with quiet_sql.expected_errors(), cr.savepoint(flush=False):
            cr.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
    except psycopg2.errors.LockNotAvailable:
        raise TransientError(
            f"Another import of {model} {external_id} is running; retried shortly.",
            retry_after=2,
            circuit=False,
        ) from None
    finally:
        cr.execute("SELECT set_config('lock_timeout', %s, true)", (previous,))
    raise RecordBusy(f"Another import of {model} {external_id} ended meanwhile; retried at once.")
