"""Receiver of Salesforce Outbound Messages: verify → store each notification once → ACK.

Salesforce signs nothing: the URL carries the backend's secret token (compared in constant
time; ``log_redaction`` keeps it out of the request log) and the envelope's OrganizationId
must be the backend's org. Every notification becomes
one ``retail.event`` keyed by its notification Id (Salesforce resends the same Id until it
gets the ACK), whose job reads the full record over REST. A body that is not a notifications
envelope gets HTTP 400 with a SOAP fault and nothing is stored, so Salesforce retries.
"""

import hmac
import json
import logging

from odoo import http
from odoo.http import request

from odoo.addons.retail_connector.engine.intake import (
    NO_INTEGRATION_USER_STATUS,
    intake_backend,
    read_bounded_body,
    refuse_topic,
    store_event,
    webhook_backend,
)

from .. import log_redaction
from ..const import same_id
from ..soap import ACK, MalformedEnvelope, fault, parse_notifications

_logger = logging.getLogger(__name__)

# The token is in the URL Salesforce calls: keep it out of the request log lines.
log_redaction.install()

XML_CONTENT_TYPE = "text/xml; charset=utf-8"


def _xml_response(body, status=200):
    return request.make_response(body, headers=[("Content-Type", XML_CONTENT_TYPE)], status=status)


class SalesforceOutboundMessageController(http.Controller):
    @http.route(
        "/retail/salesforce/outbound/<int:backend_id>/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def salesforce_outbound_message(self, backend_id, token, **_kwargs):
        backend = webhook_backend(request.env, backend_id, "salesforce")
        expected = backend.sf_outbound_token if backend else ""
        if not expected or not hmac.compare_digest(expected.encode(), token.encode()):
            return request.make_response("unknown endpoint", status=404)
        body = read_bounded_body(request.httprequest, backend.max_body_bytes)
        if body is None:
            return _xml_response(fault("payload too large"), status=413)
        try:
            message = parse_notifications(body)
        except MalformedEnvelope as error:
            _logger.warning("Outbound Message for backend %s refused: %s", backend_id, error)
            return _xml_response(fault(f"malformed notifications envelope: {error}"), 400)
        if not same_id(message.organization_id, backend.sf_organization_id):
            _logger.warning(
                "Outbound Message for backend %s refused: organization %s is not %s",
                backend_id,
                message.organization_id,
                backend.sf_organization_id or "(unset)",
            )
            return _xml_response(fault("unknown organization"), status=403)
        for notification in message.notifications:
            topic = notification.sobject_type.lower()
            if refuse_topic(backend, topic, notification.notification_id, "Outbound Message"):
                return _xml_response(
                    fault(f"sObject type {notification.sobject_type} is not accepted"), 400
                )
        as_user = intake_backend(backend, "Outbound Message")
        if not as_user:
            return _xml_response(
                fault("the backend has no active integration user"), NO_INTEGRATION_USER_STATUS
            )
        created = 0
        for notification in message.notifications:
            _event, is_new = store_event(
                as_user,
                notification.sobject_type.lower(),
                json.dumps(notification.fields, sort_keys=True),
                notification.notification_id,
                external_id=notification.record_id,
                headers={
                    "source": "outbound_message",
                    "action_id": message.action_id,
                    "notification_id": notification.notification_id,
                    "sobject_type": notification.sobject_type,
                },
            )
            created += int(is_new)
        _logger.info(
            "Outbound Message for backend %s: %s notification(s), %s new",
            backend_id,
            len(message.notifications),
            created,
        )
        return _xml_response(ACK)
