"""The one writer of failed outbound work: one open exception row per backend, flow and
record (or per backend and flow when the whole run failed).

A failure updates the open row (attempts, kind, message) instead of adding one, so the
exception queue does not grow with each export run; a later success closes it (done).
"""

import json
import uuid

from odoo import fields

OPEN_STATES = ("received", "queued", "failed")


def _open_rows(backend, flow, record):
    Event = backend.env["retail.event"]
    domain = [
        ("backend_id", "=", backend.id),
        ("direction", "=", "out"),
        ("topic", "=", f"export/{flow}"),
        ("state", "in", OPEN_STATES),
    ]
    if record:
        domain += [("res_model", "=", record._name), ("res_id", "=", record.id)]
        return Event.search(domain, order="id")
    return Event.search(domain, order="id").filtered(lambda event: not event.res_model)


def record_outbound_failure(backend, flow, message, kind="data", record=None, payload=None,
                            external_id=None, missing_mapping=None):
    """Open (or update) the exception row of ``flow`` for ``record``; return the event.

    :param record: the Odoo record that was not sent (product, binding...), or ``None`` when
        the whole run failed.
    :param payload: what the retry handler of ``export/<flow>`` reads (e.g. binding ids).
    """
    Event = backend.env["retail.event"].with_context(
        retail_event_internal=True, tracking_disable=True, mail_create_nolog=True,
        mail_create_nosubscribe=True,
    )
    record = record[:1] if record else None
    event = Event.browse(_open_rows(backend, flow, record)[:1].id)
    body = json.dumps(dict(payload or {}, flow=flow), default=str)
    if not event:
        key = f"export:{flow}:{record._name if record else '-'}:{record.id if record else '-'}"
        event = Event.create(
            {
                "backend_id": backend.id,
                "direction": "out",
                "topic": f"export/{flow}",
                # unique per row: a closed row keeps its key, the next failure opens a new one
                "idempotency_key": f"{key}:{uuid.uuid4().hex}",
                "external_id": external_id,
                "payload": body,
                "res_model": record._name if record else False,
                "res_id": record.id if record else False,
            }
        )
    else:
        event.write({"payload": body, "next_retry_at": False})
    event.write({"attempts": event.attempts + 1})
    event._mark_failed(kind, message, missing_mapping)
    return event


def close_outbound_failures(backend, flow, records=None):
    """Close the open exception rows of ``flow`` for ``records`` (or the flow's run-wide row
    when ``records`` is None): what failed has now been sent."""
    Event = backend.env["retail.event"].with_context(retail_event_internal=True)
    if records is not None and not records:
        return Event
    domain = [
        ("backend_id", "=", backend.id),
        ("direction", "=", "out"),
        ("topic", "=", f"export/{flow}"),
        ("state", "in", OPEN_STATES),
    ]
    if records is None:
        events = Event.search(domain).filtered(lambda event: not event.res_model)
    else:
        domain += [("res_model", "=", records._name), ("res_id", "in", records.ids)]
        events = Event.search(domain)
    if events:
        events.write({"state": "done", "done_at": fields.Datetime.now(), "next_retry_at": False})
    return events
