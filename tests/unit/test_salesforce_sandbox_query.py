"""SOQL subset, query paging and id helpers."""

import pytest
import requests
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.salesforce import SalesforceSandbox, ids, soql
from tests.sandbox.salesforce.testing import connect_with_password

ACCOUNTS = [
    {"Name": "Alpha", "Type": "Prospect", "Odoo_Id__c": "1",
     "SystemModstamp": "2025-01-01T10:00:00.000+0000"},
    {"Name": "beta", "Type": "Customer - Direct", "Odoo_Id__c": "2",
     "SystemModstamp": "2025-02-01T10:00:00.000+0000"},
    {"Name": "Gamma", "Odoo_Id__c": "3", "SystemModstamp": "2025-03-01T10:00:00.000+0000"},
]


@pytest.fixture(scope="module")
def sandbox():
    server = SalesforceSandbox().start()
    yield server
    server.stop()


@pytest.fixture
def sf(sandbox):
    sandbox.control.reset()
    sandbox.control.seed({"Account": ACCOUNTS,
                          "Product2": [{"Name": "P1", "IsActive": True},
                                       {"Name": "P2", "IsActive": False}]})
    return connect_with_password(sandbox.base_url, sandbox.control)


def names(result):
    return [record["Name"] for record in result["records"]]


@pytest.mark.parametrize(("where", "expected"), [
    ("Name = 'alpha'", ["Alpha"]),
    ("Name != 'Alpha'", ["beta", "Gamma"]),
    ("Name LIKE '%a'", ["Alpha", "beta", "Gamma"]),
    ("Name LIKE 'B_t%'", ["beta"]),
    ("Type = null", ["Gamma"]),
    ("Type != null", ["Alpha", "beta"]),
    ("Odoo_Id__c IN ('1', '3')", ["Alpha", "Gamma"]),
    ("Odoo_Id__c NOT IN ('1', '3')", ["beta"]),
    ("SystemModstamp > 2025-01-15T00:00:00Z", ["beta", "Gamma"]),
    ("SystemModstamp >= 2025-02-01T10:00:00+00:00", ["beta", "Gamma"]),
    ("SystemModstamp < 2025-02-01T10:00:00.000+0000", ["Alpha"]),
    ("SystemModstamp <= 2025-02-01T11:00:00+01:00", ["Alpha", "beta"]),
    ("(Name = 'Alpha' OR Name = 'Gamma') AND Type = null", ["Gamma"]),
    ("NOT Name = 'Alpha'", ["beta", "Gamma"]),
    ("CreatedDate = TODAY", ["Alpha", "beta", "Gamma"]),
    ("CreatedDate < LAST_N_DAYS:3", []),
])
def test_where_filters(sf, where, expected):
    result = sf.query(f"SELECT Id, Name FROM Account WHERE {where} ORDER BY Name")
    assert names(result) == expected


def test_booleans_numbers_order_limit_offset(sf):
    assert names(sf.query("SELECT Name FROM Product2 WHERE IsActive = true")) == ["P1"]
    ordered = sf.query("SELECT Name FROM Account ORDER BY Type DESC NULLS LAST, Name")
    assert names(ordered) == ["Alpha", "beta", "Gamma"]
    ordered = sf.query("SELECT Name FROM Account ORDER BY Type ASC")
    assert names(ordered)[0] == "Gamma"
    page = sf.query("SELECT Name FROM Account ORDER BY Name DESC LIMIT 2 OFFSET 1")
    assert names(page) == ["beta", "Alpha"]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name LIKE '%a%'")["totalSize"] == 3


def test_ids_compare_in_15_and_18_characters(sf):
    record = sf.query("SELECT Id FROM Account WHERE Name = 'Alpha'")["records"][0]
    short = record["Id"][:15]
    assert names(sf.query(f"SELECT Name FROM Account WHERE Id = '{short}'")) == ["Alpha"]
    assert names(sf.query(f"SELECT Name FROM Account WHERE Id IN ('{record['Id']}')")) == [
        "Alpha"]


def test_query_more_pages_with_next_records_url(sandbox, sf):
    sandbox.control.seed({"Contact": [{"LastName": f"C{index:03d}"} for index in range(450)]})
    sandbox.control.settings(query_batch_size=200)
    first = sf.query("SELECT Id, LastName FROM Contact ORDER BY LastName")
    assert first["totalSize"] == 450 and first["done"] is False
    assert len(first["records"]) == 200
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["records"][0]["LastName"] == "C200"
    locator = second["nextRecordsUrl"].rsplit("/", 1)[1]
    third = sf.query_more(locator)
    assert third["done"] is True and "nextRecordsUrl" not in third
    assert len(third["records"]) == 50
    everything = sf.query_all("SELECT Id FROM Contact")
    assert everything["totalSize"] == 450 and len({r["Id"] for r in everything["records"]}) == 450


def test_batch_size_header(sandbox, sf):
    sandbox.control.seed({"Contact": [{"LastName": f"C{index}"} for index in range(250)]})
    response = sf.query("SELECT Id FROM Contact", headers={"Sforce-Query-Options": "batchSize=200"})
    assert len(response["records"]) == 200


def test_query_all_includes_deleted_records(sf):
    record = sf.query("SELECT Id FROM Account WHERE Name = 'Alpha'")["records"][0]
    sf.Account.delete(record["Id"])
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 2
    result = sf.query_all("SELECT Id, IsDeleted FROM Account WHERE Name = 'Alpha'",
                          include_deleted=True)
    assert result["records"][0]["IsDeleted"] is True


def test_parent_relationship_fields(sandbox, sf):
    refs = sandbox.control.seed(demo=True)["refs"]
    result = sf.query("SELECT LastName, Account.Name FROM Contact "
                      f"WHERE AccountId = '{refs['acme']}' ORDER BY LastName")
    assert [(r["LastName"], r["Account"]["Name"]) for r in result["records"]] == [
        ("Hopper", "Acme Retail"), ("Lovelace", "Acme Retail")]


@pytest.mark.parametrize(("text", "code", "fragment"), [
    ("SELECT Id Account", "MALFORMED_QUERY", "unexpected token"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Type = 'b' OR Name = 'c'",
     "MALFORMED_QUERY", "unexpected token: 'OR'"),
    ("SELECT Id FROM Account WHERE Name = 'unterminated", "MALFORMED_QUERY", "ERROR at Row:1"),
    ("SELECT Id, Foo__c FROM Account", "INVALID_FIELD", "No such column 'Foo__c'"),
    ("SELECT Id FROM Account WHERE SystemModstamp > '2025-01-01'", "INVALID_FIELD",
     "must be of type dateTime"),
    ("SELECT Id FROM Account ORDER BY Bogus", "INVALID_FIELD", "No such column 'Bogus'"),
    ("SELECT Id FROM Nothing", "INVALID_TYPE", "sObject type 'Nothing' is not supported"),
])
def test_query_errors(sf, text, code, fragment):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.query(text)
    assert failure.value.content[0]["errorCode"] == code
    assert fragment in failure.value.content[0]["message"]


def test_invalid_query_locator(sandbox, sf):
    response = requests.get(f"{sandbox.base_url}/services/data/v59.0/query/01gXXXX-2000",
                            headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_parser_reads_literals():
    query = soql.parse("select Id from Account where Name = 'O\\'Brien' and Amount >= -2.5 "
                       "and CloseDate = 2025-01-31 limit 5")
    assert query.object_name == "Account" and query.limit == 5
    _, (name, amount, day) = query.where
    assert name[3] == ("string", "O'Brien")
    assert amount[2:] == (">=", ("number", -2.5))
    assert str(day[3][1]) == "2025-01-31"


def test_case_safe_id_suffix_matches_salesforce():
    assert ids.to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert ids.to_18("001A0000006Vm9rIAX") is None
    assert ids.new_id("003").startswith("003")
