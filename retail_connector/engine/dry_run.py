"""Dry run by construction: the adapters ask here before every request they send.

While the context holds ``retail_dry_run``, a read goes out (and is journaled) and a write
is journaled and refused with :class:`DryRunWriteRefused` before anything leaves Odoo. The
check sits in each adapter's one request path, so no handler can forget it.

The wizard opens a :func:`journal` and puts its token in the context: every call the
handler made or would have made is listed in its result. A plain ``retail_dry_run=True``
refuses writes the same way, without a journal.

No ORM here: adapters pass their environment's context.
"""

import threading
import uuid
from contextlib import contextmanager

CONTEXT_KEY = "retail_dry_run"

_JOURNALS = {}  # token -> list of calls
_LOCK = threading.Lock()


class DryRunWriteRefused(Exception):
    """A handler tried to write to the channel during a dry run: nothing was sent.

    Not a :class:`~odoo.addons.retail_connector.errors.RetailError`: no handler catches it
    as a channel failure, it ends the dry run's handler at the first write.
    """

    def __init__(self, channel, description):
        super().__init__(f"{channel}: {description}")
        self.channel = channel
        self.description = description


def is_dry_run(context):
    return bool((context or {}).get(CONTEXT_KEY))


@contextmanager
def journal():
    """Yield ``(token, calls)``: put ``token`` in the context as ``retail_dry_run``; every
    call an adapter makes under it is appended to ``calls`` as a dict."""
    token = f"dry-run-{uuid.uuid4().hex}"
    calls = []
    with _LOCK:
        _JOURNALS[token] = calls
    try:
        yield token, calls
    finally:
        with _LOCK:
            _JOURNALS.pop(token, None)


def guard(context, channel, description, write, payload=None):
    """Called by an adapter before it sends a request.

    :param write: the request changes something on the channel (a mutation, a POST/PATCH).
    :param payload: what would be sent (shown in the dry run's result).
    :raises DryRunWriteRefused: a write during a dry run.
    """
    token = (context or {}).get(CONTEXT_KEY)
    if not token:
        return
    with _LOCK:
        calls = _JOURNALS.get(token) if isinstance(token, str) else None
        if calls is not None:
            calls.append(
                {
                    "channel": channel,
                    "write": bool(write),
                    "call": description,
                    "payload": payload,
                }
            )
    if write:
        raise DryRunWriteRefused(channel, description)


def describe_calls(calls, limit=300):
    """Lines of the dry run's result: ``Would send`` for writes, ``Read`` for reads."""
    lines = []
    for call in calls:
        verb = "Would send" if call["write"] else "Read"
        line = f"  {verb} ({call['channel']}): {call['call']}"
        if call["write"] and call.get("payload") not in (None, "", {}):
            text = str(call["payload"])
            line += f" — {text[:limit]}{'…' if len(text) > limit else ''}"
        lines.append(line)
    return lines
