"""Pure parts: mapper, envelope parser, URL routing, error classification (no sandbox)."""

from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
)

from odoo.tests import BaseCase, tagged

from odoo.addons.retail_connector.canonical import parse_timestamp
from odoo.addons.retail_connector.errors import (
    AuthError,
    DataError,
    QuotaExceeded,
    TransientError,
)

from ..const import same_id, to_18_char_id
from ..errors import classify_auth_failure, classify_salesforce_error
from ..mappers import SalesforceAccountMapper, SalesforceOrderMapper, salesforce_timestamp
from ..soap import MalformedEnvelope, parse_notifications
from ..transport import SalesforceTransport


@tagged("post_install", "-at_install")
class TestPure(BaseCase):
    def test_account_mapper(self):
        customer = SalesforceAccountMapper.account_to_customer({
            "attributes": {"type": "Account"}, "Id": "001Hs00000008EuIAI", "Name": " Acme ",
            "Phone": "+1 555", "BillingStreet": "1 Market St", "BillingCity": "SF",
            "BillingPostalCode": "94105", "BillingCountry": "us",
            "SystemModstamp": "2024-05-01T12:34:56.000+0000",
            "LastModifiedDate": "2024-04-01T00:00:00.000+0000",
        })
        self.assertEqual((customer.external_id, customer.name, customer.phone),
                         ("001Hs00000008EuIAI", "Acme", "+1 555"))
        self.assertTrue(customer.is_company)
        self.assertEqual(customer.default_address.country_code, "US")
        self.assertEqual(customer.updated_at, "2024-05-01T12:34:56.000+00:00")
        self.assertEqual(parse_timestamp(customer.updated_at).isoformat(),
                         "2024-05-01T12:34:56")

    def test_account_mapper_without_address_or_code(self):
        customer = SalesforceAccountMapper.account_to_customer(
            {"Id": "001", "Name": "N", "BillingCountry": "France",
             "LastModifiedDate": "2024-05-01T00:00:00Z"})
        self.assertIsNone(customer.default_address)
        self.assertEqual(customer.updated_at, "2024-05-01T00:00:00+00:00")

    def test_contact_mapper(self):
        customer = SalesforceAccountMapper.contact_to_customer(
            {"Id": "003", "FirstName": "Ada", "LastName": "Lovelace", "Email": "a@x.example",
             "MobilePhone": "07", "MailingCity": "London", "MailingCountry": "GB"})
        self.assertEqual((customer.name, customer.email, customer.phone, customer.is_company),
                         ("Ada Lovelace", "a@x.example", "07", False))
        self.assertEqual(customer.default_address.city, "London")

    def test_timestamp_forms(self):
        self.assertEqual(salesforce_timestamp("2024-05-01T10:00:00.000-0500"),
                         "2024-05-01T10:00:00.000-05:00")
        self.assertEqual(salesforce_timestamp(None), "")

    def test_ids(self):
        self.assertEqual(to_18_char_id("001Hs00000008Eu"), "001Hs00000008EuIAI")
        self.assertTrue(same_id("001Hs00000008Eu", "001Hs00000008EuIAI"))
        self.assertFalse(same_id("001hs00000008Eu", "001Hs00000008EuIAI"))
        self.assertFalse(same_id("", "001Hs00000008EuIAI"))

    def test_parse_rejects_entities_and_foreign_roots(self):
        with self.assertRaises(MalformedEnvelope):
            parse_notifications(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
        with self.assertRaises(MalformedEnvelope):
            parse_notifications(b"")

    def test_parse_nil_fields(self):
        message = parse_notifications(
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Body>'
            b'<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
            b"<OrganizationId>00D</OrganizationId><Notification><Id>04l1</Id>"
            b'<sObject xsi:type="sf:Contact" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">'
            b'<sf:Id>0031</sf:Id><sf:Email xsi:nil="true"/></sObject></Notification>'
            b"</notifications></e:Body></e:Envelope>")
        (notification,) = message.notifications
        self.assertEqual((notification.sobject_type, notification.record_id), ("Contact", "0031"))
        self.assertEqual(notification.fields, {"Id": "0031", "Email": None})

    def test_transport_routes_salesforce_hosts_only(self):
        transport = SalesforceTransport("http://127.0.0.1:8702/")
        transport.add_instance("na1.example.com")
        self.assertEqual(transport.rewrite("https://login.salesforce.com/services/oauth2/token"),
                         "http://127.0.0.1:8702/services/oauth2/token")
        self.assertEqual(transport.rewrite("https://acme.my.salesforce.com/a?q=1"),
                         "http://127.0.0.1:8702/a?q=1")
        self.assertEqual(transport.rewrite("https://na1.example.com/x"),
                         "http://127.0.0.1:8702/x")
        self.assertEqual(transport.rewrite("https://example.org/x"), "https://example.org/x")
        self.assertEqual(SalesforceTransport().rewrite("https://login.salesforce.com/x"),
                         "https://login.salesforce.com/x")

    def test_error_classification(self):
        def rest(cls, status, code, fields=None):
            content = [{"errorCode": code, "message": "m", "fields": fields or []}]
            return classify_salesforce_error(cls("u", status, "Account", content), "call")

        self.assertIsInstance(rest(SalesforceMalformedRequest, 400, "UNABLE_TO_LOCK_ROW"),
                              TransientError)
        self.assertIsInstance(rest(SalesforceRefusedRequest, 403, "REQUEST_LIMIT_EXCEEDED"),
                              QuotaExceeded)
        concurrent = classify_salesforce_error(SalesforceRefusedRequest(
            "u", 403, "Account", [{"errorCode": "REQUEST_LIMIT_EXCEEDED",
                                   "message": "ConcurrentPerOrgLongTxn Limit exceeded."}]), "call")
        self.assertNotIsInstance(concurrent, QuotaExceeded)
        self.assertIsInstance(concurrent, TransientError)
        self.assertFalse(concurrent.circuit)
        several = classify_salesforce_error(SalesforceMoreThanOneRecord(
            "u", 300, "Account", ["/services/data/v59.0/sobjects/Account/001A",
                                  "/services/data/v59.0/sobjects/Account/001B"]), "read")
        self.assertIsInstance(several, DataError)
        self.assertIn("001A, 001B", str(several))
        self.assertIsInstance(rest(SalesforceGeneralError, 503, "SERVER_UNAVAILABLE"),
                              TransientError)
        duplicate = rest(SalesforceMalformedRequest, 400, "DUPLICATE_VALUE", ["Odoo_Id__c"])
        self.assertIsInstance(duplicate, DataError)
        self.assertEqual(duplicate.details["fields"], ["Odoo_Id__c"])
        self.assertIsInstance(
            classify_auth_failure(SalesforceAuthenticationFailed("INVALID_LOGIN", "bad")),
            AuthError)
        self.assertIsInstance(
            classify_auth_failure(SalesforceAuthenticationFailed(503, "<html>")), TransientError)

    def test_order_mapper(self):
        from decimal import Decimal

        order = SalesforceOrderMapper.order_to_canonical(
            {"Id": "801Hs00000008EuIAI", "OrderNumber": "00000101", "TotalAmount": 100.5,
             "EffectiveDate": "2026-05-01", "SystemModstamp": "2026-05-01T10:00:00.000+0000",
             "ShippingCity": "Austin", "ShippingCountry": "US"},
            [{"Id": "802A", "Product2Id": "01tA", "Quantity": 2.0, "UnitPrice": 50.25,
              "Product2": {"ProductCode": "SKU-1", "Name": "Widget"}}],
            None, "USD")
        self.assertEqual((order.external_id, order.name, order.currency, order.total,
                          order.financial_status, order.updated_at),
                         ("801Hs00000008EuIAI", "00000101", "USD", Decimal("100.5"), "pending",
                          "2026-05-01T10:00:00.000+00:00"))
        (line,) = order.lines
        self.assertEqual((line.sku, line.variant_external_id, line.title, line.quantity,
                          line.unit_price), ("SKU-1", "01tA", "Widget", 2.0, Decimal("50.25")))
        self.assertIsNone(order.billing_address)
        self.assertEqual(order.shipping_address.city, "Austin")
        self.assertFalse(order.lines[0].taxes)

    def test_order_status(self):
        from ..exporters.order_status import order_status

        class Fake:
            def __init__(self, state):
                self.state = state

        self.assertIsNone(order_status(Fake("draft")))
        self.assertEqual(order_status(Fake("cancel")), "cancelled")
