import json
import logging
import threading
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.retail_connector import compat

from ..soap import ACK
from .common import SalesforceSandboxMixin

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def envelope(org_id, notifications, action_id="04k000000000001AAA"):
    """A notifications envelope as Salesforce sends it: ``[(notification id, fields)]``."""
    items = ""
    for notification_id, values in notifications:
        fields = "".join(f"<sf:{name}>{value}</sf:{name}>" for name, value in values.items())
        items += (
            f"<Notification><Id>{notification_id}</Id>"
            '<sObject xsi:type="sf:Account" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            f"{fields}</sObject></Notification>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>{action_id}</ActionId>"
        '<SessionId xsi:nil="true"/>'
        "<EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/59.0/00D</EnterpriseUrl>"
        "<PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/59.0/00D</PartnerUrl>"
        f"{items}</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


ACCOUNT_1 = ("04l000000000001AAA", {"Id": "001000000000001AAA", "Name": "Acme", "Phone": "1"})
ACCOUNT_2 = ("04l000000000002AAA", {"Id": "001000000000002AAA", "Name": "Globex &amp; Co"})


@tagged("post_install", "-at_install")
class TestOutboundMessage(SalesforceSandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.sf_organization_id = cls.org_id

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def path(self, backend=None, token=None):
        backend = backend or self.backend
        return f"/retail/salesforce/outbound/{backend.id}/{token or backend.sf_outbound_token}"

    def post(self, body, path=None):
        return self.url_open(path or self.path(), data=body,
                             headers={"Content-Type": "text/xml; charset=utf-8",
                                      "SOAPAction": '""'})

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def test_valid_envelope_is_acked_and_stored_once(self):
        body = envelope(self.org_id, [ACCOUNT_1, ACCOUNT_2])
        response = self.post(body)
        self.assertEqual(response.status_code, 200)
        self.assertIn("<Ack>true</Ack>", response.text)
        self.assertEqual(response.text, ACK)
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        events = self.events()
        self.assertEqual(len(events), 2)
        self.assertEqual(set(events.mapped("topic")), {"account"})
        self.assertEqual(set(events.mapped("idempotency_key")),
                         {ACCOUNT_1[0], ACCOUNT_2[0]})
        second = events.filtered(lambda e: e.external_id == "001000000000002AAA")
        self.assertEqual(json.loads(second.payload)["Name"], "Globex & Co")
        self.assertEqual(json.loads(second.headers)["action_id"], "04k000000000001AAA")
        self.assertEqual(second.state, "queued")
        # Salesforce resends the same notification until it gets the ACK: no duplicate
        again = self.post(envelope(self.org_id, [ACCOUNT_1]))
        self.assertIn("<Ack>true</Ack>", again.text)
        self.assertEqual(len(self.events()), 2)

    def test_a_backend_without_an_integration_user_gets_a_fault_and_nothing_stored(self):
        self.backend.integration_user_id.active = False
        with self.assertLogs("odoo.addons.retail_connector.engine.intake", "ERROR") as logs:
            response = self.post(envelope(self.org_id, [ACCOUNT_1]))
        self.assertEqual(response.status_code, 503)
        self.assertIn("no active integration user", response.text)
        self.assertIn(self.backend.name, "\n".join(logs.output))
        self.assertFalse(self.events())

    def test_stored_as_the_integration_user(self):
        self.assertEqual(self.post(envelope(self.org_id, [ACCOUNT_1])).status_code, 200)
        self.assertEqual(self.events().create_uid, self.backend.integration_user_id)

    def test_15_character_org_id_is_accepted(self):
        response = self.post(envelope(self.org_id[:15], [ACCOUNT_1]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(self.events()), 1)

    def test_wrong_token_or_backend_is_404(self):
        body = envelope(self.org_id, [ACCOUNT_1])
        self.assertEqual(self.post(body, self.path(token="not-the-token")).status_code, 404)
        missing = f"/retail/salesforce/outbound/999999/{self.backend.sf_outbound_token}"
        self.assertEqual(self.post(body, missing).status_code, 404)
        generic = self.env["retail.backend"].create({"name": "Generic", "backend_type": "generic"})
        self.assertEqual(self.post(body, self.path(generic, "x")).status_code, 404)
        self.assertFalse(self.events())

    def test_other_org_is_refused(self):
        response = self.post(envelope("00D000000000009AAA", [ACCOUNT_1]))
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("<Ack>true</Ack>", response.text)
        self.assertFalse(self.events())

    def test_malformed_envelope_is_400_and_stores_nothing(self):
        for body in (
            b"<soapenv:Envelope>not xml",
            b'<?xml version="1.0"?><a/>',
            envelope(self.org_id, []),
            envelope(self.org_id, [("04l000000000003AAA", {"Name": "no id"})]),
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
        ):
            response = self.post(body)
            self.assertEqual(response.status_code, 400, body)
            self.assertIn("Fault", response.text)
        self.assertFalse(self.events())

    def test_body_over_the_limit_is_413(self):
        self.backend.max_body_bytes = 200
        response = self.post(envelope(self.org_id, [ACCOUNT_1]))
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.events())

    def test_sandbox_outbound_message_reaches_odoo(self):
        """The sandbox's own sender delivers to Odoo and stops retrying once acknowledged."""
        self.control.configure_outbound("Account", self.base_url() + self.path(),
                                        fields=["Name", "Phone"])
        with compat.outside_requests(self):
            created = self.control.create_record("Account", {"Name": "Pushed", "Phone": "555"})
            deadline = time.monotonic() + 20
            notifications = []
            while time.monotonic() < deadline:
                notifications = self.control.deliveries()["notifications"]
                if notifications and notifications[0]["state"] == "delivered":
                    break
                time.sleep(0.1)
        self.assertEqual([n["state"] for n in notifications], ["delivered"])
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.external_id, created["Id"])
        self.assertEqual(event.idempotency_key, notifications[0]["id"])
        self.assertEqual(json.loads(event.payload),
                         {"Id": created["Id"], "Name": "Pushed", "Phone": "555"})

    def test_an_internal_topic_is_refused_at_the_door(self):
        body = envelope(self.org_id, [ACCOUNT_1]).replace(
            b'xsi:type="sf:Account"', b'xsi:type="sf:export/accounts"')
        with self.assertLogs("odoo.addons.retail_connector.engine.intake", "WARNING") as logs:
            response = self.post(body)
        self.assertEqual(response.status_code, 400)
        self.assertIn("not accepted", response.text)
        self.assertFalse(self.events())
        self.assertIn(f"backend {self.backend.id}", logs.output[0])
        self.assertIn(ACCOUNT_1[0], logs.output[0])  # the notification id
        self.assertIn("'export/accounts'", logs.output[0])
        # The allow-list has it, but as a topic only Odoo makes.
        self.assertIn("export/accounts", self.backend._event_topics())
        self.assertFalse(self.backend._accepts_channel_topic("export/accounts"))
        self.assertTrue(self.backend._accepts_channel_topic("account"))

    def test_the_token_never_reaches_the_request_log(self):
        class Capture(logging.Handler):
            def emit(self, record):
                message = record.getMessage()
                lines.append(message)
                if "/retail/salesforce/outbound/" in message:
                    logged.set()

        lines, logged = [], threading.Event()
        logger = logging.getLogger("werkzeug")
        handler = Capture(logging.INFO)
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.INFO)
        token = self.backend.sf_outbound_token
        response = self.post(envelope(self.org_id, [ACCOUNT_1]))
        self.assertEqual(response.status_code, 200)
        # The server logs the request line once the answer is sent: wait for it.
        self.assertTrue(logged.wait(30), lines)
        request_lines = [line for line in lines if "/retail/salesforce/outbound/" in line]
        self.assertIn(f"/retail/salesforce/outbound/{self.backend.id}/[token]", request_lines[0])
        self.assertFalse([line for line in lines if token in line])
