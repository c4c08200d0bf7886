from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import SalesforceFlowMixin

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def order_envelope(org_id, notification_id, order_id):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAP}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
        '<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
        f"<OrganizationId>{org_id}</OrganizationId><ActionId>04k000000000009AAA</ActionId>"
        '<SessionId xsi:nil="true"/><EnterpriseUrl>https://x</EnterpriseUrl>'
        "<PartnerUrl>https://x</PartnerUrl>"
        f"<Notification><Id>{notification_id}</Id>"
        '<sObject xsi:type="sf:Order" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
        f"<sf:Id>{order_id}</sf:Id><sf:Status>Activated</sf:Status></sObject></Notification>"
        "</notifications></soapenv:Body></soapenv:Envelope>"
    ).encode()


class SalesforceOrderMixin(SalesforceFlowMixin):
    def standard_book(self):
        return next(book["Id"] for book in self.control.records("Pricebook2")
                    if book["IsStandard"])

    def make_order(self, account_id, code="SKU-O", price=50, quantity=2, activate=True):
        book = self.standard_book()
        product = self.control.create_record(
            "Product2", {"Name": f"Widget {code}", "ProductCode": code, "IsActive": True})
        entry = self.control.create_record("PricebookEntry", {
            "Pricebook2Id": book, "Product2Id": product["Id"], "UnitPrice": price,
            "IsActive": True})
        order = self.control.create_record("Order", {
            "AccountId": account_id, "EffectiveDate": "2026-05-01", "Status": "Draft",
            "Pricebook2Id": book})
        self.control.create_record("OrderItem", {
            "OrderId": order["Id"], "PricebookEntryId": entry["Id"], "Quantity": quantity,
            "UnitPrice": price})
        if activate:
            self.control.update_record("Order", order["Id"], {"Status": "Activated"})
        return self.control.record("Order", order["Id"])

    def sale_of(self, order_id):
        return self.env["retail.order.binding"].search(
            [("backend_id", "=", self.backend.id), ("external_id", "=", order_id)]).odoo_id


@tagged("post_install", "-at_install")
class TestOrdersIn(SalesforceOrderMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.widget = cls.env["product.product"].create({
            "name": "Widget", "default_code": "SKU-O", "type": "consu",
            "invoice_policy": "order", "taxes_id": [(5, 0, 0)]})

    def setUp(self):
        super().setUp()
        self.reset_sandbox()
        self.control.add_field("Order", "Odoo_Status__c")
        self.control.add_field("Order", "Odoo_Tracking__c")

    def test_activated_order_becomes_a_confirmed_sale_order(self):
        account = self.control.create_record("Account", {"Name": "Acme", "BillingCountry": "US"})
        order = self.make_order(account["Id"])
        draft = self.make_order(account["Id"], code="SKU-O", activate=False)
        with trap_jobs() as trap:
            report = self.backend._catch_up()
            self.assertEqual(report, "polled 1 accounts, 1 orders")
            trap.perform_enqueued_jobs()  # the events
            self.assertEqual(set(self.events().mapped("state")), {"done"})
            (result,) = self.perform(trap)  # the status export
        self.assertEqual(result, "sent 1, unchanged 0, in 1 call(s)")
        sale = self.sale_of(order["Id"])
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.partner_id.name, "Acme")
        self.assertEqual(sale.client_order_ref, order["OrderNumber"])
        self.assertEqual(sale.retail_backend_id, self.backend)
        line = sale.order_line
        self.assertEqual((line.product_id, line.product_uom_qty, line.price_unit),
                         (self.widget, 2, 50))
        self.assertFalse(sale.invoice_ids, "pending: confirmed only")
        self.assertFalse(self.sale_of(draft["Id"]))
        # the status went to the Order itself, no new Order
        self.assertEqual(self.control.record("Order", order["Id"])["Odoo_Status__c"],
                         "confirmed")
        self.assertEqual(len(self.control.records("Order")), 2)
        binding = self.env["retail.sf.status.binding"].search([("odoo_id", "=", sale.id)])
        self.assertEqual((binding.external_id, binding.from_odoo), (order["Id"], False))

        # the status write comes back with the next poll: no new sale order, nothing resent
        with trap_jobs() as trap:
            self.backend._catch_up()
            trap.perform_enqueued_jobs()
            self.assertFalse(self.export_jobs(trap))
        self.assertEqual(self.env["sale.order"].search_count(
            [("retail_backend_id", "=", self.backend.id)]), 1)

    def test_unknown_product_fails_naming_the_sku(self):
        account = self.control.create_record("Account", {"Name": "Beta", "BillingCountry": "US"})
        order = self.make_order(account["Id"], code="NOPE-1")
        self.catch_up()
        event = self.events(topic="order")
        self.assertEqual((event.state, event.error_kind), ("failed", "data"))
        self.assertIn("Unknown SKU 'NOPE-1'", event.error_message)
        self.assertFalse(self.sale_of(order["Id"]))

    def test_order_of_an_account_without_country_waits(self):
        account = self.control.create_record("Account", {"Name": "Gamma"})
        self.make_order(account["Id"])
        self.backend.sf_import_orders = True
        self.catch_up()
        event = self.events(topic="order")
        self.assertEqual(event.state, "failed")
        self.assertIn("Country (country_id)", event.error_message)

    def test_published_products_and_prices_go_out(self):
        Template = self.env["product.template"]
        with trap_jobs() as trap:
            desk = Template.create({"name": "Desk", "default_code": "SKU-D", "list_price": 250,
                                    "sf_publish": True})
            Template.create({"name": "Chair", "default_code": "SKU-C", "list_price": 80,
                             "sf_publish": True})
            Template.create({"name": "Secret", "default_code": "SKU-X"})
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 2, unchanged 0, in 4 call(s)")
        products = {p["ProductCode"]: p for p in self.control.records("Product2")}
        self.assertEqual(set(products), {"SKU-D", "SKU-C"})
        self.assertTrue(products["SKU-D"]["IsActive"])
        self.assertEqual(products["SKU-D"]["Name"], "Desk")
        self.assertEqual(products["SKU-D"]["Odoo_Id__c"], str(desk.product_variant_id.id))
        entries = {e["Product2Id"]: e for e in self.control.records("PricebookEntry")}
        desk_entry = entries[products["SKU-D"]["Id"]]
        self.assertEqual((desk_entry["UnitPrice"], desk_entry["Pricebook2Id"]),
                         (250, self.standard_book()))
        binding = desk.product_variant_id.retail_binding_ids
        self.assertEqual(binding.external_id, products["SKU-D"]["Id"])

        with trap_jobs() as trap:
            desk.list_price = 260
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 1, unchanged 0, in 4 call(s)")
        entries = self.control.records("PricebookEntry")
        self.assertEqual(len(entries), 2, "the entry is updated, not duplicated")
        self.assertIn(260, [e["UnitPrice"] for e in entries])
        with trap_jobs() as trap:
            desk.name = "Desk"
            (result,) = self.perform(trap)
        self.assertEqual(result, "sent 0, unchanged 1, in 0 call(s)")
        with trap_jobs() as trap:
            desk.sf_publish = False
            self.perform(trap)
        self.assertFalse(self.control.record("Product2", binding.external_id)["IsActive"])

        # an order line names the Product2: found through the binding
        account = self.control.create_record("Account", {"Name": "Delta", "BillingCountry": "US"})
        book = self.standard_book()
        desk.sf_publish = True
        order = self.control.create_record("Order", {
            "AccountId": account["Id"], "EffectiveDate": "2026-05-02", "Status": "Draft",
            "Pricebook2Id": book})
        entry = next(e for e in self.control.records("PricebookEntry")
                     if e["Product2Id"] == binding.external_id)
        self.control.create_record("OrderItem", {"OrderId": order["Id"], "Quantity": 1,
                                                 "PricebookEntryId": entry["Id"],
                                                 "UnitPrice": 260})
        self.control.update_record("Order", order["Id"], {"Status": "Activated"})
        self.catch_up()
        self.assertEqual(self.sale_of(order["Id"]).order_line.product_id, desk.product_variant_id)


@tagged("post_install", "-at_install")
class TestOrderOutboundMessage(SalesforceOrderMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_sandbox()
        cls.backend.sf_organization_id = cls.org_id
        cls.env["product.product"].create({"name": "Widget", "default_code": "SKU-OM",
                                           "type": "consu", "taxes_id": [(5, 0, 0)]})

    def setUp(self):
        super().setUp()
        self.reset_sandbox()

    def test_order_message_delivered_twice_imports_once(self):
        account = self.control.create_record("Account", {"Name": "Omega", "BillingCountry": "US"})
        order = self.make_order(account["Id"], code="SKU-OM")
        path = (f"/retail/salesforce/outbound/{self.backend.id}/"
                f"{self.backend.sf_outbound_token}")
        body = order_envelope(self.org_id, "04l000000000077AAA", order["Id"])
        for _attempt in range(2):  # Salesforce did not see the first ACK: it sends again
            response = self.url_open(path, data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
            self.assertEqual(response.status_code, 200)
            self.assertIn("<Ack>true</Ack>", response.text)
        event = self.events(topic="order")
        self.assertEqual(len(event), 1)
        with trap_jobs():
            event._process_job()
            event._process_job()
        self.assertEqual(event.state, "done")
        self.assertEqual(self.env["sale.order"].search_count(
            [("retail_backend_id", "=", self.backend.id)]), 1)
        self.assertEqual(self.sale_of(order["Id"]).state, "sale")
