"""Bulk API 2.0 through ``sf.bulk2`` and Outbound Messages delivered to a local receiver."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

import pytest

from tests.sandbox.salesforce import SalesforceSandbox
from tests.sandbox.salesforce.testing import connect_with_password

ACK_BODY = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
            '<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>')
OUTBOUND_NS = "{http://soap.sforce.com/2005/09/outbound}"
SOBJECT_NS = "{urn:sobject.enterprise.soap.sforce.com}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@pytest.fixture(scope="module")
def sandbox():
    server = SalesforceSandbox(outbound_backoff_factor=0.002).start()
    yield server
    server.stop()


@pytest.fixture
def sf(sandbox):
    sandbox.control.reset()
    sandbox.control.settings(outbound_backoff_factor=0.002)
    return connect_with_password(sandbox.base_url, sandbox.control)


class Receiver:
    """A local Outbound Message endpoint failing the first ``failures`` deliveries."""

    def __init__(self, failures=0):
        self.failures = failures
        self.bodies = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((self.headers["Content-Type"], body.decode()))
                failing = len(receiver.bodies) <= receiver.failures
                answer = b"busy" if failing else ACK_BODY.encode()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/outbound/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(failures=0):
        made.append(Receiver(failures))
        return made[-1]
    yield make
    for item in made:
        item.close()


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_bulk2_insert_reports_processed_and_failed(sf):
    records = [{"Name": f"Bulk {index}", "Odoo_Id__c": f"b{index}"} for index in range(5)]
    records.append({"Phone": "no name", "Odoo_Id__c": "bad"})
    result = sf.bulk2.Account.insert(records=records, wait=0.05)
    assert result[0]["numberRecordsProcessed"] == 6
    assert result[0]["numberRecordsFailed"] == 1
    assert result[0]["numberRecordsTotal"] == 6
    job_id = result[0]["job_id"]
    failed = sf.bulk2.Account.get_failed_records(job_id)
    assert failed.splitlines()[0].startswith('"sf__Id","sf__Error"')
    assert "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]" in failed
    successful = sf.bulk2.Account.get_successful_records(job_id)
    assert len(successful.strip().splitlines()) == 6
    assert '"sf__Id","sf__Created"' in successful.splitlines()[0]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 5


def test_bulk2_upsert_by_external_id(sf):
    sf.Account.create({"Name": "Old name", "Odoo_Id__c": "u1"})
    result = sf.bulk2.Account.upsert(records=[{"Name": "New name", "Odoo_Id__c": "u1"},
                                              {"Name": "Fresh", "Odoo_Id__c": "u2"}],
                                     external_id_field="Odoo_Id__c", wait=0.05)
    assert result[0]["numberRecordsFailed"] == 0
    rows = sf.query("SELECT Name FROM Account ORDER BY Odoo_Id__c")["records"]
    assert [row["Name"] for row in rows] == ["New name", "Fresh"]
    successful = sf.bulk2.Account.get_successful_records(result[0]["job_id"])
    assert '"false"' in successful and '"true"' in successful


def test_bulk2_query_returns_csv(sandbox, sf):
    sandbox.control.seed(demo=True)
    chunks = list(sf.bulk2.Account.query("SELECT Name FROM Account ORDER BY Name", wait=0.05))
    assert chunks[0].splitlines() == ['"Name"', '"Acme Retail"', '"Globex Stores"',
                                      '"Initech Shops"']


def test_outbound_message_retried_until_ack(sandbox, sf, receiver):
    endpoint = receiver(failures=2)
    sandbox.control.configure_outbound("Account", endpoint.url, fields=["Name", "Odoo_Id__c"])
    account_id = sf.Account.create({"Name": "Pushed", "Odoo_Id__c": "77"})["id"]
    assert wait_for(lambda: any(item["state"] == "delivered" for item in
                                sandbox.control.deliveries()["notifications"]))
    log = sandbox.control.deliveries()
    attempts = [entry for entry in log["attempts"] if entry["record_id"] == account_id]
    assert [entry["acked"] for entry in attempts] == [False, False, True]
    assert attempts[0]["status_code"] == 500
    content_type, body = endpoint.bodies[-1]
    assert content_type.startswith("text/xml")
    root = ElementTree.fromstring(body)
    notifications = root.find(f".//{OUTBOUND_NS}notifications")
    assert notifications.findtext(f"{OUTBOUND_NS}OrganizationId") == sandbox.app.org_id
    assert notifications.findtext(f"{OUTBOUND_NS}PartnerUrl").startswith(sandbox.base_url)
    session = notifications.find(f"{OUTBOUND_NS}SessionId")
    assert session.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    notification = notifications.find(f"{OUTBOUND_NS}Notification")
    assert notification.findtext(f"{OUTBOUND_NS}Id").startswith("04l")
    sobject = notification.find(f"{OUTBOUND_NS}sObject")
    assert sobject.get(XSI_TYPE) == "sf:Account"
    assert sobject.findtext(f"{SOBJECT_NS}Id") == account_id
    assert sobject.findtext(f"{SOBJECT_NS}Name") == "Pushed"
    assert sobject.findtext(f"{SOBJECT_NS}Odoo_Id__c") == "77"


def test_outbound_message_for_change_made_in_salesforce_ui(sandbox, sf, receiver):
    endpoint = receiver()
    refs = sandbox.control.seed({"Contact": [{"_ref": "c", "LastName": "Quiet"}]})["refs"]
    sandbox.control.configure_outbound("Contact", endpoint.url, fields=["LastName", "Email"],
                                       send_session_id=True)
    sandbox.control.update_record("Contact", refs["c"], {"Email": "new@example.com"})
    assert wait_for(lambda: len(endpoint.bodies) == 1)
    body = endpoint.bodies[0][1]
    assert "<sf:Email>new@example.com</sf:Email>" in body
    session_id = ElementTree.fromstring(body).find(f".//{OUTBOUND_NS}SessionId").text
    assert session_id.startswith(sandbox.app.org_id[:15] + "!")
    time.sleep(0.1)
    assert len(endpoint.bodies) == 1
