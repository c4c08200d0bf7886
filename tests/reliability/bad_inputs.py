"""More hostile inputs for the ``bad_inputs`` scenarios: Shopify shapes, the generic webhook,
Salesforce Outbound Messages. Each check is ``(label, ok, detail)``; ``ok`` means the input got
its expected outcome and left nothing behind (no event stored when it is refused at the door,
a failed event and no record when it is stored)."""

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

from tests.e2e import shopify_client as sc

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _event(stack, key):
    rows = stack.rpc.call("retail.event", "search_read", [("idempotency_key", "=", key)],
                          fields=["state", "error_message"])
    return rows[0] if rows else None


def _refused(checks, stack, label, key, status, got, text):
    stored = _event(stack, key)
    checks.append((label, got == status and stored is None,
                   f"HTTP {got} {text[:40]!r}, event stored: {bool(stored)}"))


def _failed(checks, stack, label, key, got, needle, wait_event):
    event = wait_event(stack, key)
    message = (event or {}).get("error_message") or ""
    ok = got == 200 and event is not None and event["state"] == "failed" and (
        needle.lower() in message.lower())
    checks.append((label, ok, f"HTTP {got}, event {event and event['state']}: {message[:90]!r}"))


def post_chunked(url, chunks, headers, timeout=30):
    """POST a body in chunks without Content-Length (Transfer-Encoding: chunked)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path, body=iter(chunks), headers=headers,
                           encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (BrokenPipeError, ConnectionResetError) as error:  # refused mid-body
        return 0, repr(error)
    finally:
        connection.close()


def _imported(checks, stack, label, key, got, external, wait_event):
    """The event is done and its order bound under exactly ``external`` (no float rounding)."""
    event = wait_event(stack, key)
    bound = stack.rpc.call("retail.order.binding", "search_count",
                           [("external_id", "=", external)])
    ok = got == 200 and event is not None and event["state"] == "done" and bound == 1
    checks.append((label, ok, f"HTTP {got}, event {event and event['state']}, "
                              f"orders bound to {external}: {bound}"))


# -- Shopify ----------------------------------------------------------------------------------
def shopify(stack, payload, wait_event, spare):
    checks = []
    body = json.dumps(payload).encode()

    def send(raw, topic="orders/create", **headers):
        key = str(uuid.uuid4())
        all_headers = dict(sc.webhook_headers(raw, topic, key, secret=stack.shopify.client_secret),
                           **headers)
        got, text, _seconds = sc.post(stack.webhook_url, raw, all_headers)
        return key, got, text

    for label, topic in (("unknown topic", "products/delete"), ("internal topic", "shipment")):
        key, got, text = send(body, topic)
        _refused(checks, stack, f"Shopify {label}", key, 422, got, text)
    latin = body.replace(b'"email": "', '"email": "é'.encode("latin-1"), 1)
    key, got, text = send(latin)
    _refused(checks, stack, "Shopify non-UTF-8 body", key, 400, got, text)
    key, got, text = send(body, **{"Content-Type": "text/plain"})
    _refused(checks, stack, "Shopify wrong content type", key, 415, got, text)
    key, got, _text = send(b"[1, 2, 3]")
    _failed(checks, stack, "Shopify JSON array instead of an object", key, got,
            "not a JSON object", wait_event)
    key, got, _text = send(b"[" * 5000 + b"]" * 5000)
    _failed(checks, stack, "Shopify deeply nested JSON", key, got, "nested too deeply",
            wait_event)
    null_lines = dict(payload, line_items=None)
    key, got, _text = send(json.dumps(null_lines).encode())
    _failed(checks, stack, "Shopify null line items", key, got, "no line items", wait_event)
    # Accepted shapes: ids beyond 64 bits kept exact, prices as JSON numbers.
    huge = dict(spare[0], id=2**70 + 1)
    key, got, _text = send(json.dumps(huge).encode())
    _imported(checks, stack, "Shopify ids beyond 64 bits", key, got, str(2**70 + 1), wait_event)
    numeric = spare[1]
    for line in numeric["line_items"]:
        line["price"] = float(line["price"])
    key, got, _text = send(json.dumps(numeric).encode())
    _imported(checks, stack, "Shopify prices as numbers", key, got, str(numeric["id"]),
              wait_event)
    limit = stack.rpc.call("retail.backend", "read", [stack.shopify_backend],
                           ["max_body_bytes"])[0]["max_body_bytes"]
    key = str(uuid.uuid4())
    headers = sc.webhook_headers(b"{}", "orders/create", key, secret=stack.shopify.client_secret)
    headers.pop("Content-Length", None)
    got, text = post_chunked(stack.webhook_url, (b" " * 65536 for _ in range(limit // 65536 + 2)),
                             headers)
    _refused(checks, stack, "Shopify oversized chunked body", key, 413, got, text)
    return checks


# -- the generic webhook ----------------------------------------------------------------------
def generic(stack, wait_event):
    secret = uuid.uuid4().hex
    backend = stack.rpc.call("retail.backend", "create", {
        "name": f"Bad inputs generic {uuid.uuid4().hex[:6]}", "backend_type": "generic",
        "webhook_secret": secret})
    url = f"{stack.odoo.url}/retail/generic/webhook/{backend}"
    customer = json.dumps({"external_id": "BAD-1", "name": "Ada Bad",
                           "email": "ada.bad@example.com"}).encode()
    checks = []

    def send(raw, topic="customer", timestamp=None, sign_topic=None, sign_secret=None,
             **headers):
        key = str(uuid.uuid4())
        timestamp = str(int(time.time())) if timestamp is None else timestamp
        message = f"{timestamp}.{sign_topic or topic}.{key}.".encode() + raw
        mac = hmac.new((sign_secret or secret).encode(), message, hashlib.sha256).digest()
        all_headers = {"Content-Type": "application/json", "X-Retail-Topic": topic,
                       "X-Retail-Event-Id": key, "X-Retail-Timestamp": timestamp,
                       "X-Retail-Hmac-Sha256": base64.b64encode(mac).decode(), **headers}
        got, text, _seconds = sc.post(url, raw, all_headers)
        return key, got, text

    key, got, text = send(customer, sign_secret="not-the-secret")
    _refused(checks, stack, "generic bad signature", key, 401, got, text)
    key, got, text = send(customer, topic="order", sign_topic="customer")
    _refused(checks, stack, "generic topic changed under its signature", key, 401, got, text)
    key, got, text = send(customer, timestamp=str(int(time.time()) - 3600))
    _refused(checks, stack, "generic replay outside its window", key, 401, got, text)
    key, got, text = send(customer, timestamp="")
    _refused(checks, stack, "generic delivery without timestamp", key, 400, got, text)
    key, got, text = send(customer, topic="export/stock")
    _refused(checks, stack, "generic unknown topic", key, 422, got, text)
    key, got, _text = send(b'{"name": 42, "addresses": "nowhere"}')
    _failed(checks, stack, "generic malformed customer", key, got, "malformed", wait_event)
    return checks


# -- Salesforce Outbound Messages -------------------------------------------------------------
def envelope(org_id, notification_id, sobject="sf:Account", soap=SOAP11, doctype=""):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<soapenv:Envelope xmlns:soapenv="{soap}" xmlns:xsi="{XSI}"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>04k000000000001AAA</ActionId>"
        '<SessionId xsi:nil="true"/><EnterpriseUrl>https://x</EnterpriseUrl>'
        "<PartnerUrl>https://x</PartnerUrl>"
        f"<Notification><Id>{notification_id}</Id>"
        f'<sObject xsi:type="{sobject}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        "<sf:Id>001000000000001AAA</sf:Id><sf:Name>&name;</sf:Name></sObject></Notification>"
        "</notifications></soapenv:Body></soapenv:Envelope>"
    )


XXE = '<!DOCTYPE x [<!ENTITY name SYSTEM "file:///etc/passwd">]>'
LAUGHS = ('<!DOCTYPE x [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY name "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')


def salesforce(stack):
    backend = stack.rpc.call("retail.backend", "read", [stack.salesforce_backend],
                             ["sf_outbound_token", "sf_organization_id"])[0]
    base = f"{stack.odoo.url}/retail/salesforce/outbound/{stack.salesforce_backend}"
    org = backend["sf_organization_id"]
    checks = []
    cases = (
        ("internal topic in an Outbound Message", {"sobject": "sf:export/accounts"}, 400, None),
        ("XML external entity", {"doctype": XXE}, 400, None),
        ("XML entity expansion", {"doctype": LAUGHS}, 400, None),
        ("SOAP 1.2 envelope", {"soap": SOAP12}, 400, None),
        ("another org's message", {}, 403, "00D000000000001AAA"),
        ("wrong URL token", {}, 404, None),
    )
    for label, shape, status, other_org in cases:
        notification = f"04l{uuid.uuid4().hex[:15]}"
        body = envelope(other_org or org, notification, **shape)
        if "doctype" not in shape:
            body = body.replace("&name;", "Acme")
        token = "not-the-token" if status == 404 else backend["sf_outbound_token"]
        got, text, _seconds = sc.post(f"{base}/{token}", body.encode(),
                                      {"Content-Type": "text/xml; charset=utf-8",
                                       "SOAPAction": '""'})
        _refused(checks, stack, f"Salesforce {label}", notification, status, got, text)
    return checks
