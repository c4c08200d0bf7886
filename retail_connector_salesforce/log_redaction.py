"""Keep the Outbound Message token out of Odoo's request log.

Salesforce sends no credentials with an Outbound Message: the secret is the last segment of
the endpoint URL, and the HTTP server logs every request line (werkzeug's access log). The
filter installed on the loggers that print request lines replaces that segment before any
handler sees the record.
"""

import logging
import re

TOKEN_IN_PATH = re.compile(r"(/retail/salesforce/outbound/\d+/)[^\s/?\"']+")
REDACTED = r"\1[token]"
# werkzeug prints the request line of every request; odoo.http names the path on errors.
LOGGERS = ("werkzeug", "odoo.http")


def redact(value):
    """``value`` with the token of an Outbound Message path replaced (other values as is)."""
    return TOKEN_IN_PATH.sub(REDACTED, value) if isinstance(value, str) else value


class OutboundTokenFilter(logging.Filter):
    """Redacts the token in a record's message and arguments; never drops a record."""

    def filter(self, record):
        record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(value) for key, value in record.args.items()}
        return True


def install():
    """Add the filter to the request loggers once per process."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(item, OutboundTokenFilter) for item in logger.filters):
            logger.addFilter(OutboundTokenFilter())
