from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_backend_type_available(self):
        """The addon adds its backend type and its job channel to the engine."""
        types = dict(self.env["retail.backend"]._fields["backend_type"].selection)
        self.assertIn("shopify", types)
        backend = self.env["retail.backend"].create(
            {"name": "Shopify test", "backend_type": "shopify"}
        )
        self.assertEqual(backend._job_channel(), "root.retail.shopify")
        channel = self.env.ref("retail_connector_shopify.channel_retail_shopify")
        self.assertEqual(channel.complete_name, "root.retail.shopify")
