import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from odoo.tests import HttpCase, tagged

from odoo.addons.retail_connector import compat
from odoo.addons.retail_connector_shopify.adapter import ShopifyAdapter

from .common import SANDBOX_SHOP


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestSandboxDelivery(HttpCase):
    """The sandbox signs and posts a webhook to Odoo's test server, as Shopify would.

    The sandbox runs in its own process here: inside the Odoo test process its webhook sender
    would go through the test harness's ``requests`` guard, which rejects the sender's
    ``(connect, read)`` timeout tuple.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import tests.sandbox.shopify as sandbox_package
        from tests.sandbox.shopify import SandboxControl

        root = Path(sandbox_package.__file__).resolve().parents[3]
        port = free_port()
        cls.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sandbox.shopify", "--port", str(port)],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        cls.addClassCleanup(cls._stop_process)
        cls.base = f"http://127.0.0.1:{port}"
        cls.control = SandboxControl(cls.base, timeout=30)
        deadline = time.monotonic() + 20
        while True:
            try:
                cls.control.health()
                break
            except Exception:
                if time.monotonic() > deadline or cls.process.poll() is not None:
                    raise
                time.sleep(0.1)
        shop = cls.control.state("shop")
        cls.backend = cls.env["retail.backend"].create(
            {
                "name": "Delivered shop",
                "backend_type": "shopify",
                "shopify_shop_domain": shop["myshopify_domain"],
                "shopify_api_base_url": cls.base,
                "shopify_access_token": "shpat_sandbox_token",
                "webhook_secret": "sandbox-client-secret",
            }
        )

    @classmethod
    def _stop_process(cls):
        cls.process.terminate()
        try:
            cls.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            cls.process.kill()

    def test_sandbox_delivers_an_order_webhook_to_odoo(self):
        self.backend.shopify_public_base_url = self.base_url()
        ShopifyAdapter(self.backend).create_webhook_subscription(
            "orders/create", self.backend.shopify_webhook_url
        )
        order = self.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 2}])
        with compat.outside_requests(self):
            self.control.flush_webhooks(timeout=20)
        deliveries = self.control.deliveries()["deliveries"]
        statuses = [a["status"] for d in deliveries for a in d["attempts"]]
        self.assertEqual(statuses, [200], deliveries)
        event = self.env["retail.event"].search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.topic, "orders/create")
        self.assertEqual(event.external_id, str(order["id"]))
        self.assertEqual(event.idempotency_key, deliveries[0]["webhook_id"])
        self.assertEqual(json.loads(event.payload)["name"], order["name"])
        self.assertEqual(json.loads(event.headers)["shop_domain"], SANDBOX_SHOP)
        self.assertEqual(event.state, "queued")
