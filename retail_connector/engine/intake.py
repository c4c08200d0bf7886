"""The inbound path shared by every channel: verify → store once → enqueue → answer.

Controllers verify the signature on the raw body themselves (each channel signs differently)
and then call :func:`store_event`. Polling jobs call it too, with a key made of the external
id and its update time, so that webhook and poll share one code path from the inbox on.
"""

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import logging

from psycopg2.errors import SerializationFailure

from odoo import fields

from . import quiet_sql

_logger = logging.getLogger(__name__)


def hmac_matches(body, signature, secrets, digest=hashlib.sha256, encoding="base64"):
    """Return True when ``signature`` is the HMAC of ``body`` under one of ``secrets``.

    Compared in constant time; empty secrets are skipped so that an unset previous secret
    never matches. Two secrets are accepted during a rotation.
    """
    if not signature:
        return False
    for secret in secrets:
        if not secret:
            continue
        mac = hmac.new(secret.encode(), body, digest).digest()
        expected = base64.b64encode(mac).decode() if encoding == "base64" else mac.hex()
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return True
    return False


def webhook_backend(env, backend_id, backend_type):
    """The active backend of ``backend_type`` a webhook URL names, or an empty recordset."""
    # One query on the hot path: the row of an active backend of this type, all its columns.
    # sudo: a webhook's route is public; finding its backend and reading the secrets that
    # verify it is the one read done in superuser mode. Storing is done as the backend's
    # integration user (:func:`intake_backend`).
    Backend = env["retail.backend"].sudo()
    domain = [("id", "=", backend_id), ("backend_type", "=", backend_type)]
    return Backend.search_fetch(domain, _row_columns(type(Backend)), limit=1)


@functools.lru_cache(maxsize=16)
def _row_columns(model_class):
    """The stored, prefetched columns of a model class (one class per registry load)."""
    return [
        name
        for name, field in model_class._fields.items()
        if field.store and field.column_type and field.prefetch is True
    ]


#: HTTP status of a delivery refused because its backend has no active integration user: a
#: configuration to fix, after which the channel's retries get through.
NO_INTEGRATION_USER_STATUS = 503


def intake_backend(backend, channel):
    """``backend`` as its integration user (no superuser mode), to store a verified delivery
    and enqueue its job as that user; None when it has no active one (logged with the
    backend's name: the caller refuses with :data:`NO_INTEGRATION_USER_STATUS`)."""
    problem = backend._integration_user_problem()
    if problem:
        _logger.error("%s for backend %s refused: %s", channel, backend.id, problem)
        return None
    return backend._as_integration_user()


def refuse_topic(backend, topic, delivery_id, channel):
    """Whether a webhook's ``topic`` is off the backend's allow-list (then it is logged, with
    the backend and the channel's delivery id, and the caller refuses it: nothing stored)."""
    if backend._accepts_channel_topic(topic):
        return False
    _logger.warning(
        "%s delivery %s for backend %s refused: topic %r is not one it accepts",
        channel,
        delivery_id,
        backend.id,
        topic,
    )
    return True


READ_CHUNK = 64 * 1024


def read_bounded_body(httprequest, limit):
    """The raw body of a webhook, or None when it is larger than ``limit`` bytes (answer 413).

    The announced Content-Length is checked before anything is read; then the body is read
    in chunks and reading stops as soon as it passes the limit (a chunked request announces
    no length), so an oversized body is never held in memory whole.
    """
    if (httprequest.content_length or 0) > limit:
        return None
    # Odoo's HTTPRequest wraps werkzeug's request and does not expose its input stream.
    stream = getattr(httprequest, "_HTTPRequest__wrapped", httprequest).stream
    chunks, size = [], 0
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def refuse_body(httprequest, body, mimetype="application/json"):
    """``(status, text)`` when a signed body is not what the channel sends: another content
    type (415) or bytes that are not UTF-8 (400); None when it may be stored."""
    got = httprequest.mimetype or ""
    if got != mimetype:
        return 415, f"content type {got or '(none)'} is not {mimetype}"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "the body is not UTF-8"
    return None


def refuse_delivery(backend, topic, delivery_id, channel, httprequest, body):
    """``(status, text)`` when a signed webhook delivery is refused before it is stored: a
    topic off the backend's allow-list (422) or a body that is not what the channel sends
    (see :func:`refuse_body`); logged with the channel's delivery id. None: store it."""
    if refuse_topic(backend, topic, delivery_id, channel):
        return 422, "topic not accepted"
    refused = refuse_body(httprequest, body)
    if refused:
        _logger.warning(
            "%s %s for backend %s refused: %s", channel, delivery_id, backend.id, refused[1]
        )
    return refused


def signed_message(timestamp, topic, event_id, body):
    """What the generic webhook signs: ``<timestamp>.<topic>.<event id>.`` then the body, so
    that none of them can be changed or replayed under another name or time."""
    return f"{timestamp}.{topic}.{event_id}.".encode() + body


def timestamp_within(timestamp, tolerance, now):
    """Whether a delivery's Unix ``timestamp`` (a string) is within ``tolerance`` seconds of
    ``now``; a missing or malformed one is not."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    return abs(now - sent) <= tolerance


# One statement stores a delivery once: the unique key ``(backend_id, idempotency_key)``
# answers for a duplicate, which inserts nothing and returns no row.
INSERT_EVENT_SQL = """
    INSERT INTO retail_event (
        backend_id, company_id, backend_type, direction, topic, idempotency_key, external_id,
        payload, headers, state, parked, received_at, duration_ms,
        create_uid, create_date, write_uid, write_date
    ) VALUES (
        %(backend_id)s, %(company_id)s, %(backend_type)s, %(direction)s, %(topic)s,
        %(idempotency_key)s, %(external_id)s, %(payload)s, %(headers)s, %(state)s, %(parked)s,
        %(received_at)s, 0,
        %(uid)s, (now() AT TIME ZONE 'UTC'), %(uid)s, (now() AT TIME ZONE 'UTC')
    )
    ON CONFLICT (backend_id, idempotency_key) DO NOTHING
    RETURNING id
"""


def store_event(
    backend,
    topic,
    payload,
    idempotency_key,
    external_id=None,
    headers=None,
    direction="in",
    enqueue=True,
):
    """Store one event once and queue its import, as the user of ``backend``'s environment
    (a webhook passes the backend as its integration user, see :func:`intake_backend`).

    The hot path of every webhook: one ``INSERT … ON CONFLICT DO NOTHING`` (the same row the
    ORM would create: company and channel of the backend, ``received_at``, ``received_ms``
    from the column's default, creator; no chatter, as the ORM path had none), the access
    rights and record rules of ``retail.event`` checked on the new row, then one pending
    drain job per backend (:meth:`retail.backend._schedule_drain`) instead of a job per
    event. While the backend's circuit is open the event is stored parked and no job is
    added.

    :param payload: ``bytes``/``str`` as received, or a JSON-able value.
    :returns: ``(event, created)``; a duplicate returns the existing event (or an empty
        recordset when a concurrent transaction is creating it) and ``created=False``,
        and queues nothing.
    """
    if not topic or not idempotency_key:
        raise ValueError("An event needs a topic and an idempotency key.")
    Event = backend.env["retail.event"]
    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", errors="replace")
    elif not isinstance(payload, str):
        payload = json.dumps(payload, default=str)
    parked = bool(enqueue and backend._circuit_parks())
    values = {
        "backend_id": backend.id,
        "company_id": backend.company_id.id,
        "backend_type": backend.backend_type,
        "direction": direction,
        "topic": topic,
        "idempotency_key": idempotency_key,
        "external_id": external_id,
        "payload": payload,
        "headers": json.dumps(headers or {}, sort_keys=True),
        "state": "queued" if enqueue else "received",
        "parked": parked or None,
        "received_at": fields.Datetime.now(),
        "uid": Event.env.uid,
    }
    cr = backend.env.cr
    Event.flush_model(["backend_id", "idempotency_key"])
    # A duplicate committed by a transaction this one cannot see (a concurrent delivery of
    # the same key) is a serialization failure in Odoo's repeatable read: no row then.
    try:
        with quiet_sql.expected_errors(), cr.savepoint(flush=False):
            cr.execute(INSERT_EVENT_SQL, values)
            row = cr.fetchone()
            event = Event.browse(row[0]) if row else Event
            # the rules of the model hold for this row as for one the ORM would create
            event.check_access("create")
    except SerializationFailure:
        return Event, False
    if not row:
        domain = [("backend_id", "=", backend.id), ("idempotency_key", "=", idempotency_key)]
        return Event.search(domain, limit=1), False
    if parked:
        backend._circuit_schedule_resume()
    elif enqueue:
        backend._schedule_drain()
    return event, True


def poll_key(flow, external_id, updated_at):
    """The idempotency key of a polled record: one event per version of a record."""
    return f"poll:{flow}:{external_id}@{updated_at}"


def store_dependent_event(backend, topic, flow, external_id, version, payload):
    """Store a record a poll read with another one (the refund of a polled order) under its
    own topic, once per version: ``(event, created)`` as :func:`store_event`."""
    return store_event(
        backend, topic, payload, poll_key(flow, external_id, version), external_id=external_id
    )


def known_poll_versions(backend, flow, versions):
    """The ``(external_id, updated_at)`` of ``versions`` whose event the inbox holds already,
    so that a poller can skip reading them in full (one query for all of them)."""
    keys = {
        poll_key(flow, external_id, updated_at): (external_id, updated_at)
        for external_id, updated_at in versions
    }
    if not keys:
        return set()
    found = backend.env["retail.event"].search_read(
        [("backend_id", "=", backend.id), ("idempotency_key", "in", list(keys))],
        ["idempotency_key"],
    )
    return {keys[row["idempotency_key"]] for row in found}


@contextlib.contextmanager
def _poll_transaction(env):
    """:func:`~.transactions.short_transaction` for a poll; inside a test case's single
    transaction, that transaction itself: a savepoint would run its pending pre-commit hooks
    and forget that a drain job is queued already (the test's trapped jobs are not in the
    database, so a second one would be)."""
    from .transactions import shares_test_transaction, short_transaction

    if shares_test_transaction(env):
        yield env
        return
    with short_transaction(env) as short:
        yield short


#: Records a poll keeps in memory before storing them with the checkpoint in one short
#: transaction: the channel's next page is read with nothing of Odoo's held open.
POLL_BATCH = 50


def poll_into_inbox(backend, flow, topic, fetch, batch=POLL_BATCH):
    """Page through a channel since a checkpoint and store each record as an event.

    :param fetch: ``fetch(since) -> iterable of (external_id, updated_at, payload)`` in
        ascending ``updated_at`` order; ``since`` is the checkpoint minus its overlap window
        (``None`` on the first run). An item may carry a fourth element: the records read
        with it that have a topic of their own (the refunds of an order), as
        ``(topic, flow, external_id, version, payload)``; each is stored after the record,
        once per ``version`` (see :func:`poll_key`).
    :returns: the number of records seen.

    Claim, commit, call, record: the records read are kept in memory and stored every
    ``batch`` records, with the checkpoint advanced to the last of them, in a short
    transaction of their own (:func:`_poll_transaction`), so no transaction
    of the poll holds a new event, a drain job or the checkpoint row while the channel
    answers, and the drain imports the first records while the poll reads on. At the end the
    checkpoint advances to the time the run started. When the channel fails in the middle (a
    5xx, a throttle), what was read is stored and the checkpoint stays at the last record
    stored, so that the next run goes on from there instead of starting over (a failure
    before the first record is raised as usual); any other error leaves the batches stored
    before it, the checkpoint at their last record.
    """
    from ..canonical import parse_timestamp
    from ..errors import TransientError

    env = backend.env
    with _poll_transaction(env) as short:
        since = short["retail.checkpoint"]._for(backend.with_env(short), flow)._window_start()
    started = fields.Datetime.now()
    pending = []
    count = 0
    last_seen = None

    def record(to):
        """Store ``pending`` and move the checkpoint on to ``to`` (never back: the first
        records of a run are from its overlap window) in one short transaction."""
        with _poll_transaction(env) as short:
            target = backend.with_env(short)
            for external_id, updated_at, payload, *dependents in pending:
                store_event(
                    target, topic, payload, poll_key(flow, external_id, updated_at),
                    external_id=external_id,
                )
                for item in dependents[0] if dependents else ():
                    store_dependent_event(target, *item)
            checkpoint = short["retail.checkpoint"]._for(target, flow)
            if to and (not checkpoint.last_sync_at or to > checkpoint.last_sync_at):
                checkpoint._advance(to, count)
        pending.clear()
        env.invalidate_all()  # the poll's own transaction must not answer from before

    try:
        for item in fetch(since):
            pending.append(item)
            count += 1
            last_seen = item[1] or last_seen
            if len(pending) >= batch:
                record(parse_timestamp(last_seen))
    except TransientError as error:
        if not count:
            raise
        _logger.warning(
            "%s: %s poll stopped after %s records: %s", backend.name, flow, count, error
        )
        record(parse_timestamp(last_seen))
        return count
    record(started)
    return count
