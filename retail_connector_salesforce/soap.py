"""Outbound Message envelopes: parse ``notifications`` safely, build the ACK and faults.

Pure functions over bytes; the controller does the HTTP. The parser resolves no entities,
loads no DTD and touches no network, and refuses any DOCTYPE: Salesforce never sends one.
"""

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from .const import OUTBOUND_NS, SOAP_ENV_NS, XSI_NS

ACK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body>'
    f'<notificationsResponse xmlns="{OUTBOUND_NS}"><Ack>true</Ack></notificationsResponse>'
    "</soapenv:Body></soapenv:Envelope>"
)


class MalformedEnvelope(ValueError):
    """The body is not an Outbound Message ``notifications`` envelope."""


@dataclass
class Notification:
    notification_id: str
    sobject_type: str
    record_id: str
    fields: dict = field(default_factory=dict)


@dataclass
class OutboundMessage:
    organization_id: str
    action_id: str
    notifications: list


def fault(message, code="soapenv:Client"):
    """A SOAP 1.1 fault envelope (Salesforce retries the delivery)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV_NS}"><soapenv:Body><soapenv:Fault>'
        f"<faultcode>{escape(code)}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(tag):
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element, name):
    child = element.find(f"{{{OUTBOUND_NS}}}{name}")
    return (child.text or "").strip() if child is not None else ""


def parse_notifications(body):
    """Return the :class:`OutboundMessage` of ``body`` or raise :class:`MalformedEnvelope`."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise MalformedEnvelope(f"not well-formed XML: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise MalformedEnvelope("a DOCTYPE is not allowed")
    if root.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise MalformedEnvelope("the root is not a SOAP 1.1 Envelope")
    notifications = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{OUTBOUND_NS}}}notifications")
    if notifications is None:
        raise MalformedEnvelope("no notifications element in the SOAP Body")
    organization_id = _text(notifications, "OrganizationId")
    if not organization_id:
        raise MalformedEnvelope("no OrganizationId")
    items = notifications.findall(f"{{{OUTBOUND_NS}}}Notification")
    if not items:
        raise MalformedEnvelope("no Notification")
    return OutboundMessage(
        organization_id=organization_id,
        action_id=_text(notifications, "ActionId"),
        notifications=[_notification(item) for item in items],
    )


def _notification(element):
    notification_id = _text(element, "Id")
    sobject = element.find(f"{{{OUTBOUND_NS}}}sObject")
    if not notification_id or sobject is None:
        raise MalformedEnvelope("a Notification without Id or sObject")
    xsi_type = sobject.get(f"{{{XSI_NS}}}type") or ""
    sobject_type = xsi_type.rpartition(":")[2]
    values = {}
    for child in sobject:
        name = _local(child.tag)
        if not name:
            continue
        if child.get(f"{{{XSI_NS}}}nil") == "true":
            values[name] = None
        else:
            values[name] = child.text or ""
    record_id = (values.get("Id") or "").strip()
    if not sobject_type or not record_id:
        raise MalformedEnvelope(f"notification {notification_id}: no sObject type or Id")
    return Notification(notification_id, sobject_type, record_id, values)
