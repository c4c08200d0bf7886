import json
import uuid

from odoo.tests import HttpCase, tagged

from .. import const
from .common import SANDBOX_SHOP, ShopifySandboxMixin

INTAKE_LOGGER = "odoo.addons.retail_connector.engine.intake"


@tagged("post_install", "-at_install")
class TestShopifyWebhookController(ShopifySandboxMixin, HttpCase):
    """``/retail/shopify/webhook/<id>`` over real HTTP, signed like Shopify signs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.backend.max_body_bytes = 8192
        cls.url = f"/retail/shopify/webhook/{cls.backend.id}"
        cls.body = json.dumps(
            {"id": 820982911946154508, "name": "#1001", "email": "jane@example.com"}
        ).encode()

    def post(self, body, secret=None, webhook_id=None, url=None, **headers):
        from tests.sandbox.shopify import sign

        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(secret or self.sandbox.client_secret, body),
            "X-Shopify-Shop-Domain": SANDBOX_SHOP,
            "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": "evt-1",
            "X-Shopify-Triggered-At": "2026-01-15T10:00:00.000000000Z",
            **headers,
        }
        return self.url_open(url or self.url, data=body, headers=headers)

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def jobs(self):
        return self.env["queue.job"].search(
            [("retail_backend_id", "=", self.backend.id), ("method_name", "=", "_drain_events")]
        )

    def test_signed_delivery_is_stored_once_and_drained_by_one_job(self):
        jobs_before = len(self.jobs())
        response = self.post(self.body, webhook_id="delivery-1")
        self.assertEqual((response.status_code, response.text), (200, "ok"))
        again = self.post(self.body, webhook_id="delivery-1")
        self.assertEqual((again.status_code, again.text), (200, "duplicate"))
        event = self.events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.topic, "orders/create")
        self.assertEqual(event.idempotency_key, "delivery-1")
        self.assertEqual(event.external_id, "820982911946154508")
        self.assertEqual(event.state, "queued")
        self.assertEqual(event.payload.encode(), self.body)
        headers = json.loads(event.headers)
        self.assertEqual(headers["webhook_id"], "delivery-1")
        self.assertEqual(headers["event_id"], "evt-1")
        self.assertEqual(headers["api_version"], "2026-04")
        self.assertEqual(headers["triggered_at"], "2026-01-15T10:00:00.000000000Z")
        self.assertEqual(len(self.jobs()) - jobs_before, 1)
        self.assertFalse(event.job_uuid, "no job of its own: the backend's drain takes it")
        # more deliveries while the drain waits add no job
        for index in range(3):
            self.assertEqual(self.post(self.body, webhook_id=f"delivery-{index + 2}").text, "ok")
        self.assertEqual(len(self.events()), 4)
        self.assertEqual(len(self.jobs()) - jobs_before, 1)

    def test_unknown_topic_fails_through_the_engine_with_a_clear_message(self):
        # Refused at the door (see below); one stored before the allow-list still fails clearly.
        from odoo.addons.retail_connector.engine.intake import store_event

        event, _created = store_event(self.backend, "carts/create", self.body, "unhandled")
        event._process_job()
        self.assertEqual(event.state, "failed")
        self.assertIn("No importer for topic 'carts/create'", event.error_message)

    def test_tampered_body_is_refused_and_nothing_stored(self):
        from tests.sandbox.shopify import sign

        tampered = self.body.replace(b"#1001", b"#6666")
        response = self.post(
            tampered, **{"X-Shopify-Hmac-Sha256": sign(self.sandbox.client_secret, self.body)}
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.post(self.body, secret="not-the-secret").status_code, 401)
        self.assertEqual(self.post(self.body, **{"X-Shopify-Hmac-Sha256": ""}).status_code, 401)
        self.assertFalse(self.events())

    def test_other_shop_is_refused(self):
        response = self.post(self.body, **{"X-Shopify-Shop-Domain": "evil.myshopify.com"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.events())

    def test_previous_secret_is_accepted_during_a_rotation(self):
        self.backend.write(
            {
                "webhook_secret": "rotated-secret",
                "webhook_secret_previous": self.sandbox.client_secret,
            }
        )
        self.assertEqual(self.post(self.body).status_code, 200)
        self.assertEqual(self.post(self.body, secret="rotated-secret").status_code, 200)
        self.assertEqual(self.post(self.body, secret="older").status_code, 401)
        self.assertEqual(len(self.events()), 2)

    def test_client_secret_signs_when_no_webhook_secret_is_set(self):
        self.backend.write(
            {"webhook_secret": False, "shopify_client_secret": self.sandbox.client_secret}
        )
        self.assertEqual(self.post(self.body).status_code, 200)
        self.assertEqual(len(self.events()), 1)

    def test_oversized_body_is_refused_before_reading(self):
        big = json.dumps({"id": 1, "note": "x" * 9000}).encode()
        self.assertEqual(self.post(big).status_code, 413)
        self.assertFalse(self.events())

    def test_unknown_archived_or_other_type_backend_is_404(self):
        unknown = self.post(self.body, url="/retail/shopify/webhook/999999")
        self.assertEqual(unknown.status_code, 404)
        generic = self.env["retail.backend"].create({"name": "Generic", "webhook_secret": "x"})
        url = f"/retail/shopify/webhook/{generic.id}"
        self.assertEqual(self.post(self.body, url=url).status_code, 404)
        self.backend.active = False
        self.assertEqual(self.post(self.body).status_code, 404)
        self.assertFalse(self.events())

    def test_missing_headers_are_a_bad_request(self):
        response = self.post(self.body, **{"X-Shopify-Webhook-Id": ""})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.events())

    def test_a_topic_off_the_allow_list_is_refused_at_the_door(self):
        for topic in ("shipment", "export/stock", "products/delete"):
            with self.subTest(topic=topic):
                with self.assertLogs(INTAKE_LOGGER, "WARNING") as logs:
                    response = self.post(self.body, webhook_id=f"door-{topic}",
                                         **{"X-Shopify-Topic": topic})
                self.assertEqual(response.status_code, 422)
                self.assertIn(f"delivery door-{topic} for backend {self.backend.id}",
                              logs.output[0])
        self.assertFalse(self.events())
        self.assertEqual(
            {topic for topic, (_m, origin) in self.backend._event_topics().items()
             if origin == "channel"},
            set(const.WEBHOOK_TOPICS),
        )

    def test_deeply_nested_json_is_stored_and_fails_clearly(self):
        body = b"[" * 4000 + b"]" * 4000  # within the 8 KiB limit, deeper than Python parses
        response = self.post(body, webhook_id="deep-1")
        self.assertEqual((response.status_code, response.text), (200, "ok"))
        event = self.events()
        self.assertFalse(event.external_id)
        event._process_job()
        self.assertEqual(event.state, "failed")
        self.assertIn("nested too deeply", event.error_message)
