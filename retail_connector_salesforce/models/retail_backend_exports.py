from odoo import _, fields, models

from odoo.addons.retail_connector.engine.outbound import mark_dirty

from ..const import DEFAULT_EXTERNAL_ID_FIELD

# Flows with an exporter (Salesforce takes no stock levels).
EXPORT_FLOWS = ("accounts", "products", "order_status")


class RetailBackend(models.Model):
    """Salesforce flows out: accounts, products and prices, order status."""

    _inherit = "retail.backend"

    sf_required_partner_fields = fields.Char(
        string="Required Customer Fields", default="country_id",
        help="Comma-separated partner fields an Account must fill before Odoo creates the "
        "customer (what invoicing needs), e.g. country_id,zip. An Account without one of them "
        "goes to the exception queue naming it.",
    )
    sf_account_vat_field = fields.Char(
        string="Account VAT Field", help="Account field that receives the partner's VAT number "
        "(e.g. VAT__c). Empty: not sent.")
    sf_account_payment_term_field = fields.Char(
        string="Account Payment Terms Field", help="Account text field that receives the name "
        "of the partner's payment terms (e.g. Payment_Terms__c). Empty: not sent.")
    sf_account_credit_limit_field = fields.Char(
        string="Account Credit Limit Field", help="Account number/currency field that receives "
        "the partner's credit limit (e.g. Credit_Limit__c). Empty: not sent.")
    sf_product_external_id_field = fields.Char(
        string="Product External Id Field", default=DEFAULT_EXTERNAL_ID_FIELD,
        help="Product2 field (External ID, Unique) that holds the Odoo variant id.")
    sf_order_external_id_field = fields.Char(
        string="Order External Id Field", default=DEFAULT_EXTERNAL_ID_FIELD,
        help="Order field (External ID, Unique) that holds the Odoo sale order id of orders "
        "that did not come from Salesforce.")
    sf_order_status_object = fields.Char(string="Order Status Object", default="Order")
    sf_order_status_field = fields.Char(string="Order Status Field", default="Odoo_Status__c")
    sf_order_tracking_field = fields.Char(
        string="Order Tracking Field", default="Odoo_Tracking__c",
        help="Receives the tracking numbers of the done deliveries (empty: not sent).")
    sf_export_order_status = fields.Boolean(
        string="Send Order Status", default=True,
        help="Write the status of every sale order (of any channel) to a Salesforce Order.")
    sf_import_orders = fields.Boolean(
        string="Poll Orders", default=True, help="The catch-up imports activated Orders.")

    def _sf_external_id_field(self, setting):
        return (self[setting] or "").strip() or DEFAULT_EXTERNAL_ID_FIELD

    def _sf_required_partner_fields(self):
        names = (self.sf_required_partner_fields or "").replace(";", ",").split(",")
        Partner = self.env["res.partner"]
        return [name.strip() for name in names if name.strip() in Partner._fields]

    def _export_flows(self):
        if self.backend_type == "salesforce":
            return super()._export_flows() | frozenset(EXPORT_FLOWS)
        return super()._export_flows()

    @staticmethod
    def _sf_exporter_class(flow):
        from .. import exporters

        return {
            "accounts": exporters.AccountExporter,
            "products": exporters.ProductExporter,
            "order_status": exporters.OrderStatusExporter,
        }[flow]

    def _export_binding_model(self, flow):
        if self.backend_type == "salesforce" and flow in EXPORT_FLOWS:
            return self._sf_exporter_class(flow).binding_model
        return super()._export_binding_model(flow)

    def _get_exporter(self, flow):
        self.ensure_one()
        if self.backend_type != "salesforce" or flow not in EXPORT_FLOWS:
            return super()._get_exporter(flow)
        return self._sf_exporter_class(flow)(self, flow)

    def _sf_retry_export_event(self, event):
        """Retry of a failed ``export/<flow>`` event: mark its record dirty, export again."""
        from ..exporters.base import event_binding

        flow = event.topic.split("/", 1)[1]
        if "binding_model" not in (event._payload_json() or {}):  # a whole run failed
            self._schedule_export(flow)
            return _("Export of %s scheduled again.", flow)
        binding = event_binding(event)
        if not binding:
            return _("The record of this export is gone: nothing to send.")
        binding.sync_hash = False
        mark_dirty(binding.with_context(retail_no_export=False), flow)
        return binding.odoo_id
