"""Webhook of the generic backend: canonical JSON events signed with HMAC-SHA256.

It is the reference for channel controllers: read the raw body, refuse what is too large,
check the signature in constant time against the current and the previous secret, store the
event once, enqueue its import and answer at once.
"""

import logging

from odoo import http
from odoo.http import request

from ..engine.intake import (
    hmac_matches,
    read_bounded_body,
    refuse_topic,
    store_event,
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
        secrets = (backend.webhook_secret, backend.webhook_secret_previous)
        if not hmac_matches(body, headers.get("X-Retail-Hmac-Sha256"), secrets):
            _logger.warning("Generic webhook for backend %s refused: bad signature", backend_id)
            return request.make_response("invalid signature", status=401)
        topic = headers.get("X-Retail-Topic")
        key = headers.get("X-Retail-Event-Id")
        if not topic or not key:
            return request.make_response(
                "X-Retail-Topic and X-Retail-Event-Id required", status=400
            )
        if refuse_topic(backend, topic, key, "Generic webhook"):
            return request.make_response("topic not accepted", status=422)
        _event, created = store_event(
            backend,
            topic,
            body,
            key,
            external_id=headers.get("X-Retail-External-Id"),
            headers={"topic": topic, "event_id": key},
        )
        return request.make_response("ok" if created else "duplicate", status=200)
