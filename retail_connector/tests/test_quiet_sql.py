import logging
import threading

from odoo.tests import BaseCase, tagged

from ..engine import quiet_sql


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@tagged("post_install", "-at_install")
class TestQuietSql(BaseCase):
    def test_only_the_thread_expecting_a_conflict_is_quiet(self):
        logger = logging.getLogger(quiet_sql.SQL_LOGGER)
        collect = _Collect()
        logger.addHandler(collect)
        self.addCleanup(logger.removeHandler, collect)
        inside, release = threading.Event(), threading.Event()

        def expecting():
            with quiet_sql.expected_errors():
                logger.error("expected conflict")
                inside.set()
                release.wait(30)

        thread = threading.Thread(target=expecting)
        thread.start()
        self.assertTrue(inside.wait(30))
        logger.error("another thread's bad query")  # while the other thread is quiet
        release.set()
        thread.join(30)
        logger.error("after")
        self.assertEqual(collect.messages, ["another thread's bad query", "after"])
        # Unlike mute_logger, nothing of the logger's set-up was swapped.
        self.assertIn(collect, logger.handlers)
