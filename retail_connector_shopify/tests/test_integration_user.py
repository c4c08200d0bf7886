"""A Shopify order delivered to the webhook route is stored, enqueued and imported by the
backend's integration user: never the public user, never in superuser mode."""

import json

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.job import Job

from .common import SANDBOX_SHOP, ShopifySandboxMixin, map_the_shop

INTAKE_LOGGER = "odoo.addons.retail_connector.engine.intake"


@tagged("post_install", "-at_install")
class TestShopifyIntegrationUser(ShopifySandboxMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_sandbox()
        cls.user = cls.backend.integration_user_id
        cls.url = f"/retail/shopify/webhook/{cls.backend.id}"
        cls.env.ref("base.EUR").active = True
        common = {"is_storable": True, "invoice_policy": "order", "taxes_id": [(5, 0, 0)]}
        cls.env["product.product"].create(
            {"name": "T-shirt blue M", "default_code": "TSHIRT-BLUE-M", **common}
        )
        map_the_shop(cls.env, cls.backend, tax_name="VAT 20 (iuser)")

    def post_order(self, webhook_id):
        from tests.sandbox.shopify import sign

        order = self.control.place_order(
            [{"sku": "TSHIRT-BLUE-M", "quantity": 2}],
            financial_status="paid",
            tax_rate=0.2,
            shipping={"title": "Standard", "code": "STD", "price": "5.00"},
            customer={"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"},
        )
        body = json.dumps(self.control.rest("orders", order["id"])).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Hmac-Sha256": sign(self.sandbox.client_secret, body),
            "X-Shopify-Shop-Domain": SANDBOX_SHOP,
            "X-Shopify-API-Version": "2026-04",
            "X-Shopify-Webhook-Id": webhook_id,
        }
        return order, self.url_open(self.url, data=body, headers=headers)

    def events(self):
        return self.env["retail.event"].search([("backend_id", "=", self.backend.id)])

    def test_the_order_is_created_by_the_integration_user_in_a_job_without_superuser(self):
        self.assertTrue(self.user)
        self.assertFalse(self.user.has_group("retail_connector.group_retail_manager"))
        order, response = self.post_order("iuser-1")
        self.assertEqual((response.status_code, response.text), (200, "ok"))
        event = self.events()
        self.assertEqual(event.create_uid, self.user)
        # the backend's drain job imports the event
        job_record = self.env["queue.job"].search(
            [("identity_key", "=", f"retail-drain-{self.backend.id}")]
        )
        self.assertEqual(len(job_record), 1)
        self.assertEqual(job_record.user_id, self.user)
        self.assertNotEqual(job_record.user_id, self.env.ref("base.public_user"))
        job = Job.load(self.env, job_record.uuid)
        self.assertEqual(job.recordset.env.uid, self.user.id)
        self.assertFalse(job.recordset.env.su, "the job must not run in superuser mode")
        job.perform()
        event.invalidate_recordset()
        self.assertEqual(event.state, "done", event.error_message)
        sale = self.env["retail.order.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", str(order["id"]))]
        ).odoo_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.create_uid, self.user)
        self.assertEqual(sale.partner_id.create_uid, self.user)
        self.assertEqual(sale.invoice_ids.create_uid, self.user)
        self.assertEqual(sale.invoice_ids.payment_state in ("paid", "in_payment"), True)

    def test_a_backend_without_an_active_integration_user_is_refused_at_the_door(self):
        self.backend.integration_user_id = False
        with self.assertLogs(INTAKE_LOGGER, "ERROR") as logs:
            _order, response = self.post_order("iuser-none")
        self.assertEqual(response.status_code, 503)
        self.assertIn("no integration user", "\n".join(logs.output))
        self.assertIn(self.backend.name, "\n".join(logs.output))
        self.assertFalse(self.events())
        with self.assertRaisesRegex(UserError, "no integration user: set one on its form"):
            self.backend.action_shopify_test_connection()
        self.backend.integration_user_id = self.user
        self.user.active = False
        with self.assertLogs(INTAKE_LOGGER, "ERROR") as logs:
            _order, response = self.post_order("iuser-archived")
        self.assertEqual(response.status_code, 503)
        self.assertIn("archived", "\n".join(logs.output))
        self.assertFalse(self.events())
