"""The Outbound Message sender: SOAP ``notifications`` POSTed to a configured endpoint.

For each configured object, every create or update (REST, collections, bulk or control API)
queues a notification. A worker thread delivers due notifications, up to 100 per message per
endpoint, as the real envelope (OrganizationId, ActionId, SessionId, EnterpriseUrl,
PartnerUrl, Notification/Id and sObject with ``xsi:type="sf:Account"`` fields). The record's
*current* values are sent at each attempt, as Salesforce does. Only an HTTP 200 whose body
contains ``<Ack>true</Ack>`` counts as delivered; anything else is retried with exponential
backoff (15 s doubling, at most 2 h) multiplied by ``backoff_factor`` so tests can compress
time, and dropped after 24 h (also scaled). Every attempt is logged for the control API.
"""

import threading
import time
from xml.sax.saxutils import escape

import requests

from . import ids

ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org_id}</OrganizationId>
   <ActionId>{action_id}</ActionId>
   {session}
   <EnterpriseUrl>{base}/services/Soap/c/{version}/{org15}</EnterpriseUrl>
   <PartnerUrl>{base}/services/Soap/u/{version}/{org15}</PartnerUrl>
{notifications}  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""

NOTIFICATION = """   <Notification>
    <Id>{notification_id}</Id>
    <sObject xsi:type="sf:{object}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
{fields}    </sObject>
   </Notification>
"""

ACK = "<Ack>true</Ack>"
FIRST_RETRY_SECONDS = 15.0
MAX_RETRY_SECONDS = 7200.0
GIVE_UP_SECONDS = 86400.0
MAX_PER_MESSAGE = 100


def _xml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


class OutboundSender:
    """Queues notifications on record changes and delivers them from a daemon thread."""

    def __init__(self, app, backoff_factor=1.0, timeout=10.0, version="59.0"):
        self.app = app
        self.backoff_factor = backoff_factor
        self.timeout = timeout
        self.version = version
        self.configs = {}
        self.pending = []
        self.log = []
        self.notifications = {}
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = None
        app.store.listeners.append(self.on_change)

    # ------------------------------------------------------------ configuration
    def configure(self, object_name, endpoint_url, fields=None, action_id=None,
                  send_session_id=False, username=None):
        """Send Outbound Messages for ``object_name`` to ``endpoint_url`` with ``fields``."""
        config = {"object": object_name, "endpoint_url": endpoint_url,
                  "fields": [name for name in (fields or []) if name != "Id"],
                  "action_id": action_id or ids.new_id("04k"),
                  "send_session_id": bool(send_session_id), "username": username}
        with self._condition:
            self.configs[object_name] = config
        return config

    def remove(self, object_name):
        with self._condition:
            self.configs.pop(object_name, None)

    def reset(self):
        with self._condition:
            self.configs.clear()
            self.pending.clear()
            self.log.clear()
            self.notifications.clear()

    # ------------------------------------------------------------ queueing
    def on_change(self, event):
        """Store listener: queue a notification for creates and updates of configured objects."""
        if event["kind"] not in ("created", "updated"):
            return
        with self._condition:
            config = self.configs.get(event["object"])
            if config is None:
                return
            notification = {"id": ids.new_id("04l"), "object": event["object"],
                            "record_id": event["id"], "kind": event["kind"],
                            "endpoint_url": config["endpoint_url"], "state": "pending",
                            "attempts": 0, "queued_at": time.time(), "next_at": time.monotonic(),
                            "first_at": time.monotonic(), "delivered_at": None}
            self.notifications[notification["id"]] = notification
            self.pending.append(notification)
            self._condition.notify_all()

    # ------------------------------------------------------------ worker
    def start(self):
        if self._thread is None:
            self._stopped = False
            self._thread = threading.Thread(target=self._run, name="sf-outbound", daemon=True)
            self._thread.start()

    def stop(self):
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self):
        while True:
            with self._condition:
                if self._stopped:
                    return
                now = time.monotonic()
                due = [item for item in self.pending if item["next_at"] <= now]
                if not due:
                    wait = min((item["next_at"] for item in self.pending), default=now + 1) - now
                    self._condition.wait(timeout=max(0.005, min(wait, 1.0)))
                    continue
                batch_key = (due[0]["endpoint_url"], due[0]["object"])
                batch = [item for item in due
                         if (item["endpoint_url"], item["object"]) == batch_key][:MAX_PER_MESSAGE]
                config = dict(self.configs.get(due[0]["object"]) or {})
            self._deliver(batch, config)

    def envelope(self, batch, config):
        """The SOAP body for a batch of notifications, built from current record values."""
        store = self.app.store
        parts = []
        for item in batch:
            _, record = store.find_any(item["record_id"])
            field_xml = f'     <sf:Id>{item["record_id"]}</sf:Id>\n'
            for name in config.get("fields", []):
                value = record.get(name) if record and not record["IsDeleted"] else None
                if value is not None:
                    field_xml += f"     <sf:{name}>{_xml_value(value)}</sf:{name}>\n"
            parts.append(NOTIFICATION.format(notification_id=item["id"], object=item["object"],
                                             fields=field_xml))
        session = '<SessionId xsi:nil="true"/>'
        if config.get("send_session_id"):
            session = f"<SessionId>{self.app.auth.issue_for(config.get('username'))}</SessionId>"
        return ENVELOPE.format(org_id=store.org_id, org15=store.org_id[:15],
                               action_id=config.get("action_id", ""), session=session,
                               base=self.app.base_url, version=self.version,
                               notifications="".join(parts))

    def _deliver(self, batch, config):
        status, error, acked = None, None, False
        if not config:
            error = "outbound message no longer configured"
        else:
            body = self.envelope(batch, config)
            try:
                response = requests.post(config["endpoint_url"], data=body.encode("utf-8"),
                                         headers={"Content-Type": "text/xml; charset=utf-8",
                                                  "SOAPAction": '""'}, timeout=self.timeout)
                status = response.status_code
                acked = status == 200 and ACK in response.text
                if not acked:
                    error = f"HTTP {status}: no <Ack>true</Ack> in response"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
        with self._condition:
            for item in batch:
                item["attempts"] += 1
                self.log.append({"notification_id": item["id"], "object": item["object"],
                                 "record_id": item["record_id"], "attempt": item["attempts"],
                                 "at": time.time(), "status_code": status, "acked": acked,
                                 "error": error, "batch_size": len(batch)})
                if acked:
                    item["state"] = "delivered"
                    item["delivered_at"] = time.time()
                    self.pending.remove(item)
                    continue
                delay = min(FIRST_RETRY_SECONDS * 2 ** (item["attempts"] - 1), MAX_RETRY_SECONDS)
                item["next_at"] = time.monotonic() + delay * self.backoff_factor
                if item["next_at"] - item["first_at"] > GIVE_UP_SECONDS * self.backoff_factor:
                    item["state"] = "dropped"
                    self.pending.remove(item)

    # ------------------------------------------------------------ reporting
    def deliveries(self):
        """Notifications with their state, and the attempt log."""
        with self._condition:
            return {"notifications": [
                {key: value for key, value in item.items() if key not in ("next_at", "first_at")}
                for item in self.notifications.values()],
                "attempts": list(self.log), "configs": list(self.configs.values())}

    def wait_idle(self, timeout=5.0):
        """Block until nothing is pending (for tests); returns True when idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._condition:
                if not self.pending:
                    return True
            time.sleep(0.01)
        return False
