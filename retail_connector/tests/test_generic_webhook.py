import base64
import hashlib
import hmac
import time

from odoo.tests import HttpCase, tagged

from .common import RetailCase


def sign(body, secret, timestamp, topic="customer", key="evt-1"):
    message = f"{timestamp}.{topic}.{key}.".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@tagged("post_install", "-at_install")
class TestGenericWebhook(HttpCase):
    """The controller over real HTTP: verify, store once, enqueue, answer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "Webhook backend",
                "backend_type": "generic",
                "webhook_secret": "current",
                "max_body_bytes": 4096,
            }
        )
        cls.url = f"/retail/generic/webhook/{cls.backend.id}"
        cls.body = RetailCase.customer_payload(external_id="W-1").encode()

    def post(self, body, secret="current", key="evt-1", timestamp=None, **headers):
        timestamp = str(int(time.time())) if timestamp is None else timestamp
        topic = headers.get("X-Retail-Topic", "customer")
        headers = {
            "X-Retail-Topic": topic,
            "X-Retail-Event-Id": key,
            "X-Retail-Timestamp": timestamp,
            "X-Retail-Hmac-Sha256": sign(body, secret, timestamp, topic, key) if secret else "",
            "Content-Type": "application/json",
            **headers,
        }
        return self.url_open(self.url, data=body, headers=headers)

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def jobs(self):
        return self.env["queue.job"].search(
            [("retail_backend_id", "=", self.backend.id), ("method_name", "=", "_drain_events")]
        )

    def test_valid_webhook_is_stored_once_and_drained_by_one_job(self):
        jobs_before = len(self.jobs())
        response = self.post(self.body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "ok")
        again = self.post(self.body)
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.text, "duplicate")
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual((event.topic, event.state), ("customer", "queued"))
        self.assertEqual(event.payload.encode(), self.body)
        self.assertEqual(len(self.jobs()) - jobs_before, 1)
        self.assertFalse(event.job_uuid, "no job of its own: the backend's drain takes it")
        self.assertEqual(self.post(self.body, key="evt-2").text, "ok")
        self.assertEqual(len(self.events()), 2)
        self.assertEqual(len(self.jobs()) - jobs_before, 1, "the pending drain takes it too")

    def test_stored_and_enqueued_as_the_integration_user_or_refused_without_one(self):
        user = self.backend.integration_user_id
        self.assertEqual(self.post(self.body, key="as-user").status_code, 200)
        event = self.events()
        self.assertEqual(event.create_uid, user)
        # the backend's drain job, which imports the event, runs as that user
        drain = self.jobs().filtered(
            lambda job: job.identity_key == f"retail-drain-{self.backend.id}"
        )
        self.assertEqual(drain.user_id, user)
        self.backend.integration_user_id = False
        with self.assertLogs("odoo.addons.retail_connector.engine.intake", "ERROR") as logs:
            response = self.post(self.body, key="no-user")
        self.assertEqual(response.status_code, 503)
        self.assertIn("Webhook backend has no integration user", "\n".join(logs.output))
        self.assertEqual(self.events(), event)

    def test_bad_signature_is_refused_and_nothing_stored(self):
        tampered = self.body.replace(b"Ada", b"Eve")
        now = str(int(time.time()))
        headers = {"X-Retail-Hmac-Sha256": sign(self.body, "current", now),
                   "X-Retail-Timestamp": now}
        response = self.post(tampered, secret=None, **headers)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.post(self.body, secret="wrong").status_code, 401)
        self.assertFalse(self.events())

    def test_rotated_secret_is_accepted(self):
        self.backend.write({"webhook_secret": "next", "webhook_secret_previous": "current"})
        self.assertEqual(self.post(self.body, secret="current", key="old-secret").status_code, 200)
        self.assertEqual(self.post(self.body, secret="next", key="new-secret").status_code, 200)
        self.assertEqual(len(self.events()), 2)

    def test_oversized_body_and_unknown_backend(self):
        big = b"{" + b" " * 5000 + b"}"
        self.assertEqual(self.post(big).status_code, 413)
        response = self.url_open("/retail/generic/webhook/999999", data=b"{}")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.events())

    def test_unknown_topic_is_refused_at_the_door(self):
        with self.assertLogs("odoo.addons.retail_connector.engine.intake", "WARNING") as logs:
            response = self.post(self.body, key="door-1", **{"X-Retail-Topic": "export/stock"})
        self.assertEqual(response.status_code, 422)
        self.assertIn(f"delivery door-1 for backend {self.backend.id}", logs.output[0])
        self.assertFalse(self.events())
        self.assertEqual(set(self.backend._event_topics()), {"customer", "order", "refund"})

    def test_topic_event_id_and_time_are_signed_and_a_late_replay_is_refused(self):
        now = int(time.time())
        signature = sign(self.body, "current", str(now), "customer", "evt-r")
        signed = {"X-Retail-Hmac-Sha256": signature, "X-Retail-Timestamp": str(now)}
        # The same signature under another topic or event id does not verify.
        for changed in ({"X-Retail-Topic": "order"}, {"X-Retail-Event-Id": "evt-other"}):
            response = self.post(self.body, secret=None, key="evt-r", **signed, **changed)
            self.assertEqual(response.status_code, 401, changed)
        self.assertEqual(self.post(self.body, secret=None, key="evt-r", **signed).text, "ok")
        # Replayed within the window: the event id makes it a duplicate.
        self.assertEqual(self.post(self.body, secret=None, key="evt-r", **signed).text,
                         "duplicate")
        # Signed (correctly) but outside the window: refused, nothing stored.
        late = str(now - self.backend.webhook_tolerance - 60)
        with self.assertLogs("odoo.addons.retail_connector.controllers.generic_webhook",
                             "WARNING"):
            response = self.post(self.body, key="evt-late", timestamp=late)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.post(self.body, key="evt-nots", timestamp="").status_code, 400)
        self.assertEqual(self.events().mapped("idempotency_key"), ["evt-r"])

    def test_an_oversized_chunked_body_is_refused_while_read(self):
        def chunks():
            for _index in range(64):
                yield b" " * 1024  # 64 KiB announced by no Content-Length

        url = f"http://127.0.0.1:{self.http_port()}{self.url}"
        # The test's opener: Odoo 19 serves a test's requests only with its test cursor cookie.
        response = self.opener.post(url, data=chunks(), timeout=30, headers={
            "X-Retail-Topic": "customer", "X-Retail-Event-Id": "big",
            "X-Retail-Timestamp": str(int(time.time())), "X-Retail-Hmac-Sha256": "x"})
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.events())

    def test_a_body_that_is_not_utf8_json_is_refused(self):
        latin = self.body.replace(b"Ada", "Adá".encode("latin-1"))
        response = self.post(latin, key="latin-1")
        self.assertEqual((response.status_code, response.text), (400, "the body is not UTF-8"))
        response = self.post(self.body, key="text", **{"Content-Type": "text/plain"})
        self.assertEqual(response.status_code, 415)
        self.assertFalse(self.events())
