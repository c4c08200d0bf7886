"""Webhook of the generic backend: canonical JSON events signed with HMAC-SHA256.

It is the reference for channel controllers: read the raw body, refuse what is too large,
check the signature in constant time against the current and the previous secret, store the
event once, enqueue its import and answer at once.

The signature (``X-Retail-Hmac-Sha256``, base64 HMAC-SHA256) covers
``<X-Retail-Timestamp>.<X-Retail-Topic>.<X-Retail-Event-Id>.<body>``: the topic and event id
cannot be changed, and a delivery whose Unix timestamp is more than the backend's *Webhook
Tolerance* away from now is refused, so a captured delivery cannot be replayed later (within
the window, the event id makes a replay a duplicate).
"""

import logging
import time

from odoo import http
from odoo.http import request

from ..engine.intake import (
    NO_INTEGRATION_USER_STATUS,
    hmac_matches,
    intake_backend,
    read_bounded_body,
    refuse_delivery,
    signed_message,
    store_event,
    timestamp_within,
    webhook_backend,
)

_logger = logging.getLogger(__name__)


class GenericWebhookController(http.Controller):
    @http.route(
        "/retail/generic/webhook/<int:backend_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def generic_webhook(self, backend_id, **_kwargs):
        backend = webhook_backend(request.env, backend_id, "generic")
        if not backend:
            return request.make_response("unknown backend", status=404)
        body = read_bounded_body(request.httprequest, backend.max_body_bytes)
        if body is None:
            return request.make_response("payload too large", status=413)
        headers = request.httprequest.headers
        topic = headers.get("X-Retail-Topic")
        key = headers.get("X-Retail-Event-Id")
        timestamp = headers.get("X-Retail-Timestamp")
        if not topic or not key or not timestamp:
            return request.make_response(
                "X-Retail-Topic, X-Retail-Event-Id and X-Retail-Timestamp required", status=400
            )
        secrets = (backend.webhook_secret, backend.webhook_secret_previous)
        signed = signed_message(timestamp, topic, key, body)
        if not hmac_matches(signed, headers.get("X-Retail-Hmac-Sha256"), secrets):
            _logger.warning("Generic webhook for backend %s refused: bad signature", backend_id)
            return request.make_response("invalid signature", status=401)
        if not timestamp_within(timestamp, backend.webhook_tolerance, time.time()):
            _logger.warning(
                "Generic webhook %s for backend %s refused: timestamp %s outside the %ss window",
                key,
                backend_id,
                timestamp,
                backend.webhook_tolerance,
            )
            return request.make_response("timestamp outside the tolerance window", status=401)
        refused = refuse_delivery(backend, topic, key, "Generic webhook", request.httprequest, body)
        if refused:
            return request.make_response(refused[1], status=refused[0])
        as_user = intake_backend(backend, "Generic webhook")
        if not as_user:
            return request.make_response(
                "the backend has no active integration user", status=NO_INTEGRATION_USER_STATUS
            )
        _event, created = store_event(
            as_user,
            topic,
            body,
            key,
            external_id=headers.get("X-Retail-External-Id"),
            headers={"topic": topic, "event_id": key},
        )
        return request.make_response("ok" if created else "duplicate", status=200)
