"""Shopify webhooks: verify the HMAC of the raw body and the shop, store once, answer fast.

Shopify waits 5 seconds for a 2xx and retries a failed delivery 8 times over 4 hours, so this
route does no import work: it stores the event (deduplicated on ``X-Shopify-Webhook-Id``) and
the engine's job imports it. Nothing is stored before the signature and the shop domain match.
"""

import json
import logging

from odoo import http
from odoo.http import request

from odoo.addons.retail_connector.engine.intake import (
    NO_INTEGRATION_USER_STATUS,
    hmac_matches,
    intake_backend,
    read_bounded_body,
    refuse_delivery,
    store_event,
    webhook_backend,
)

from ..const import WEBHOOK_ROUTE

_logger = logging.getLogger(__name__)

#: Shopify headers kept with the event (name in the event -> HTTP header).
KEPT_HEADERS = {
    "topic": "X-Shopify-Topic",
    "webhook_id": "X-Shopify-Webhook-Id",
    "event_id": "X-Shopify-Event-Id",
    "triggered_at": "X-Shopify-Triggered-At",
    "api_version": "X-Shopify-API-Version",
    "shop_domain": "X-Shopify-Shop-Domain",
}


def payload_id(body):
    """The ``id`` of the REST-shaped payload as a string, or None (never raises)."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        return None
    value = payload.get("id") if isinstance(payload, dict) else None
    return str(value) if value is not None else None


class ShopifyWebhookController(http.Controller):
    @http.route(
        f"{WEBHOOK_ROUTE}/<int:backend_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def shopify_webhook(self, backend_id, **_kwargs):
        backend = webhook_backend(request.env, backend_id, "shopify")
        if not backend:
            return request.make_response("unknown backend", status=404)
        body = read_bounded_body(request.httprequest, backend.max_body_bytes)
        if body is None:
            return request.make_response("payload too large", status=413)
        headers = request.httprequest.headers
        signature = headers.get("X-Shopify-Hmac-Sha256")
        if not hmac_matches(body, signature, backend._shopify_webhook_secrets()):
            _logger.warning("Shopify webhook for backend %s refused: bad signature", backend_id)
            return request.make_response("invalid signature", status=401)
        shop = (headers.get("X-Shopify-Shop-Domain") or "").strip().lower()
        if shop != backend._shopify_normalized_domain():
            _logger.warning(
                "Shopify webhook for backend %s refused: shop %r is not %r",
                backend_id,
                shop,
                backend.shopify_shop_domain,
            )
            return request.make_response("shop domain does not match this backend", status=403)
        topic = headers.get("X-Shopify-Topic")
        key = headers.get("X-Shopify-Webhook-Id")
        if not topic or not key:
            return request.make_response(
                "X-Shopify-Topic and X-Shopify-Webhook-Id required", status=400
            )
        refused = refuse_delivery(backend, topic, key, "Shopify webhook", request.httprequest, body)
        if refused:
            return request.make_response(refused[1], status=refused[0])
        as_user = intake_backend(backend, "Shopify webhook")
        if not as_user:
            return request.make_response(
                "the backend has no active integration user", status=NO_INTEGRATION_USER_STATUS
            )
        event, created = store_event(
            as_user,
            topic,
            body,
            key,
            external_id=payload_id(body),
            headers={name: headers.get(header) for name, header in KEPT_HEADERS.items()},
        )
        _logger.info(
            "Shopify webhook %s for backend %s: %s event %s",
            topic,
            backend_id,
            "stored" if created else "duplicate",
            event.id or "",
        )
        return request.make_response("ok" if created else "duplicate", status=200)
