"""Advisory locks that keep two imports of the same external record apart."""

import hashlib

from ..errors import TransientError


def lock_key(backend_id, model, external_id):
    """Return the signed 64-bit advisory lock key of (backend, model, external id)."""
    digest = hashlib.sha256(f"{backend_id}:{model}:{external_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_external_record(cr, backend_id, model, external_id):
    """Take the transaction-scoped lock of one external record, or raise TransientError.

    The lock is released when the transaction ends. An import that finds it taken is retried
    shortly instead of waiting, so that a worker is never blocked behind another one.
    """
    cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (lock_key(backend_id, model, external_id),))
    if not cr.fetchone()[0]:
        raise TransientError(
            f"Another import of {model} {external_id} is running; retried shortly.",
            retry_after=2,
            circuit=False,
        )
