from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_backend_type_available(self):
        """The addon adds its backend type and its job channel to the engine."""
        types = dict(self.env["retail.backend"]._fields["backend_type"].selection)
        self.assertIn("salesforce", types)
        backend = self.env["retail.backend"].create(
            {"name": "Salesforce test", "backend_type": "salesforce"}
        )
        self.assertEqual(backend._job_channel(), "root.retail.salesforce")
        channel = self.env.ref("retail_connector_salesforce.channel_retail_salesforce")
        self.assertEqual(channel.complete_name, "root.retail.salesforce")
