"""Silence the SQL error log of an expected conflict in this thread only.

An insert that may hit a unique constraint (a duplicate webhook delivered twice at once)
or a write that may lose a race is tried in a savepoint and its error handled; Odoo's cursor
still logs it as ``bad query``. ``odoo.tools.mute_logger`` swaps the logger's handlers for
the whole process: two threads entering and leaving it out of order restore each other's
muted state and ``odoo.sql_db`` stays silent for the rest of the server's life. Here a
filter installed once drops ``odoo.sql_db`` records of the current thread only, while it
is inside :func:`expected_errors`.
"""

import logging
import threading
from contextlib import contextmanager

SQL_LOGGER = "odoo.sql_db"
_STATE = threading.local()


class _ThreadQuietFilter(logging.Filter):
    def filter(self, record):
        return not getattr(_STATE, "depth", 0)


_FILTER = _ThreadQuietFilter()


@contextmanager
def expected_errors():
    """Within this block, this thread's SQL errors are not logged (others' still are)."""
    logger = logging.getLogger(SQL_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    _STATE.depth = getattr(_STATE, "depth", 0) + 1
    try:
        yield
    finally:
        _STATE.depth -= 1
