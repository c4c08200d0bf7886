"""sObject CRUD, upsert, errors, describe, limits, collections and replication."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)
from simple_salesforce.format import format_external_id

from tests.sandbox.salesforce import SalesforceSandbox
from tests.sandbox.salesforce.ids import case_safe_suffix
from tests.sandbox.salesforce.testing import connect_direct, connect_with_password


@pytest.fixture(scope="module")
def sandbox():
    server = SalesforceSandbox().start()
    yield server
    server.stop()


@pytest.fixture
def sf(sandbox):
    sandbox.control.reset()
    return connect_with_password(sandbox.base_url, sandbox.control)


def test_create_get_update_delete_round_trip(sf):
    created = sf.Account.create({"Name": "Acme", "Phone": "123", "Odoo_Id__c": "7"})
    assert created["success"] is True and created["errors"] == []
    account_id = created["id"]
    assert len(account_id) == 18 and account_id.startswith("001")
    assert account_id[15:] == case_safe_suffix(account_id[:15])
    record = sf.Account.get(account_id)
    assert record["attributes"] == {"type": "Account",
                                    "url": f"/services/data/v59.0/sobjects/Account/{account_id}"}
    assert record["Name"] == "Acme" and record["IsDeleted"] is False
    assert record["CreatedDate"].endswith("+0000") and record["SystemModstamp"]
    assert sf.Account.update(account_id, {"Phone": "456"}) == 204
    updated = sf.Account.get(account_id[:15])
    assert updated["Phone"] == "456"
    assert updated["SystemModstamp"] > record["SystemModstamp"]
    assert sf.Account.delete(account_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Account.get(account_id)
    assert failure.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Account.update(account_id, {"Phone": "789"})
    assert failure.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_get_with_fields_parameter_returns_only_those(sf):
    account_id = sf.Account.create({"Name": "Acme", "Phone": "1"})["id"]
    record = sf.Account.get(account_id, params={"fields": "Name,Phone"})
    assert list(record) == ["attributes", "Name", "Phone"]


def test_upsert_creates_then_updates(sf):
    account = sf.Account
    assert account.upsert("Odoo_Id__c/42", {"Name": "First"}) == 201
    assert account.upsert("Odoo_Id__c/42", {"Name": "Second"}) == 200
    raw = account.upsert("Odoo_Id__c/42", {"Name": "Third"}, raw_response=True)
    assert raw.json()["created"] is False
    found = sf.query("SELECT Id, Name FROM Account WHERE Odoo_Id__c = '42'")
    assert found["totalSize"] == 1 and found["records"][0]["Name"] == "Third"
    assert account.api_usage["api-usage"].used >= 3


def test_upsert_before_api_46_answers_204(sandbox, sf):
    old = connect_direct(sandbox.base_url, sandbox.control, version="45.0")
    assert old.Account.upsert("Odoo_Id__c/1", {"Name": "Old"}) == 201
    assert old.Account.upsert("Odoo_Id__c/1", {"Name": "Older"}) == 204


def test_upsert_value_is_url_decoded(sf):
    path = format_external_id("Odoo_Id__c", "res.partner/12 a&b")
    assert sf.Contact.upsert(path, {"LastName": "Quoted"}) == 201
    record = sf.Contact.get_by_custom_id("Odoo_Id__c", "res.partner/12 a&b")
    assert record["Odoo_Id__c"] == "res.partner/12 a&b"


def test_upsert_update_only_does_not_create(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.upsert("Odoo_Id__c/9?updateOnly=true", {"Name": "Nope"})
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_unknown_external_id_field_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound) as failure:
        sf.Account.upsert("Shop_Id__c/1", {"Name": "X"})
    assert failure.value.content[0]["errorCode"] == "NOT_FOUND"
    assert "Shop_Id__c" in failure.value.content[0]["message"]


def test_custom_external_id_field_from_control_api(sandbox, sf):
    sandbox.control.add_field("Account", "Shop_Id__c", external_id=True)
    assert sf.Account.upsert("Shop_Id__c/S-1", {"Name": "Shop"}) == 201
    describe = {field["name"]: field for field in sf.Account.describe()["fields"]}
    assert describe["Shop_Id__c"]["externalId"] is True


def test_duplicate_external_id_is_duplicate_value(sf):
    first = sf.Account.create({"Name": "A", "Odoo_Id__c": "dup"})
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.create({"Name": "B", "Odoo_Id__c": "DUP"})
    error = failure.value.content[0]
    assert error["errorCode"] == "DUPLICATE_VALUE"
    assert error["fields"] == ["Odoo_Id__c"]
    assert first["id"] in error["message"]


def test_missing_required_field(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.create({"Phone": "1"})
    assert failure.value.content == [{"message": "Required fields are missing: [Name]",
                                      "errorCode": "REQUIRED_FIELD_MISSING",
                                      "fields": ["Name"]}]


def test_unknown_and_read_only_fields(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.create({"Name": "A", "Foo__c": 1})
    assert failure.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Foo__c'" in failure.value.content[0]["message"]
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.create({"Name": "A", "CreatedDate": "2024-01-01T00:00:00Z"})
    assert failure.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_reference_to_missing_record_is_rejected(sf):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Contact.create({"LastName": "X", "AccountId": "001Hs0000000000AAA"})
    assert failure.value.content[0]["errorCode"] in ("INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID")


def test_describe_reports_fields_and_key_prefixes(sf):
    fields = {field["name"]: field for field in sf.Account.describe()["fields"]}
    assert fields["Name"]["nillable"] is False and fields["Name"]["createable"] is True
    assert fields["Odoo_Id__c"]["externalId"] is True and fields["Odoo_Id__c"]["unique"]
    assert fields["SystemModstamp"]["updateable"] is False
    prefixes = {item["name"]: item["keyPrefix"] for item in sf.describe()["sobjects"]}
    assert prefixes["Account"] == "001" and prefixes["OrderItem"] == "802"
    assert prefixes["PricebookEntry"] == "01u"
    assert sf.Order.metadata()["objectDescribe"]["keyPrefix"] == "801"


def test_limit_header_and_daily_allocation(sandbox, sf):
    sandbox.control.settings(daily_api_limit=10, api_used=0)
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1 and sf.api_usage["api-usage"].total == 10
    assert sf.limits()["DailyApiRequests"] == {"Max": 10, "Remaining": 8}
    sandbox.control.faults(exhaust_limits=True)
    with pytest.raises(SalesforceRefusedRequest) as failure:
        sf.query("SELECT Id FROM Account")
    assert failure.value.content == [{"message": "TotalRequests Limit exceeded.",
                                      "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    response = requests.get(f"{sandbox.base_url}/services/data/v59.0/limits/",
                            headers={"Authorization": f"Bearer {sf.session_id}"})
    assert response.status_code == 403
    assert response.headers["Sforce-Limit-Info"] == "api-usage=10/10"


def test_collections_partial_success(sf):
    result = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False, "records": [
            {"attributes": {"type": "Account"}, "Name": "One", "Odoo_Id__c": "c1"},
            {"attributes": {"type": "Account"}, "Phone": "no name"},
            {"attributes": {"type": "Contact"}, "LastName": "Three"}]})
    assert [item["success"] for item in result] == [True, False, True]
    assert result[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1


def test_collections_all_or_none_rolls_back(sf):
    sf.Account.create({"Name": "Existing", "Odoo_Id__c": "taken"})
    result = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True, "records": [
            {"attributes": {"type": "Account"}, "Name": "New"},
            {"attributes": {"type": "Account"}, "Name": "Clash", "Odoo_Id__c": "taken"}]})
    assert result[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert result[1]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1


def test_collections_upsert_update_read_and_delete(sf):
    result = sf.restful("composite/sobjects/Account/Odoo_Id__c", method="PATCH", json={
        "allOrNone": True, "records": [
            {"attributes": {"type": "Account"}, "Name": "U1", "Odoo_Id__c": "u1"},
            {"attributes": {"type": "Account"}, "Name": "U2", "Odoo_Id__c": "u2"}]})
    assert [item["created"] for item in result] == [True, True]
    ids = [item["id"] for item in result]
    updated = sf.restful("composite/sobjects", method="PATCH", json={
        "records": [{"attributes": {"type": "Account"}, "id": ids[0], "Phone": "9"}]})
    assert updated[0]["success"] is True
    read = sf.restful(f"composite/sobjects/Account?ids={','.join(ids)}&fields=Name,Phone")
    assert [(item["Name"], item["Phone"]) for item in read] == [("U1", "9"), ("U2", None)]
    deleted = sf.restful(f"composite/sobjects?ids={','.join(ids)}&allOrNone=false",
                         method="DELETE")
    assert all(item["success"] for item in deleted)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_get_updated_and_deleted(sandbox, sf):
    now = datetime.now(UTC)
    old = (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    recent = (now - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    seeded = sandbox.control.seed({"Account": [
        {"_ref": "old", "Name": "Old", "SystemModstamp": old},
        {"_ref": "recent", "Name": "Recent", "SystemModstamp": recent}]})["refs"]
    window = sf.Account.updated(now - timedelta(hours=1), now)
    assert window["ids"] == [seeded["recent"]]
    assert window["latestDateCovered"].endswith(":00.000+0000")
    sf.Account.delete(seeded["old"])
    sandbox.control.settings(clock_offset_seconds=120)
    later = now + timedelta(minutes=3)
    deleted = sf.Account.deleted(now - timedelta(minutes=1), later)
    assert [item["id"] for item in deleted["deletedRecords"]] == [seeded["old"]]
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.Account.updated(now - timedelta(days=31), now)
    assert failure.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_order_with_items_computes_totals(sandbox, sf):
    refs = sandbox.control.seed(demo=True)["refs"]
    entry = sf.query(f"SELECT Id, UnitPrice FROM PricebookEntry WHERE Product2Id = "
                     f"'{refs['mug']}'")["records"][0]
    order_id = sf.Order.create({"AccountId": refs["acme"], "EffectiveDate": "2025-01-15",
                                "Status": "Draft"})["id"]
    sf.OrderItem.create({"OrderId": order_id, "PricebookEntryId": entry["Id"], "Quantity": 3,
                         "UnitPrice": 10.0})
    order = sf.Order.get(order_id)
    assert order["TotalAmount"] == 30.0
    assert order["Pricebook2Id"] == refs["standard_pricebook"]
    assert sf.Order.update(order_id, {"Status": "Activated"}) == 204
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.OrderItem.create({"OrderId": order_id, "PricebookEntryId": entry["Id"],
                             "Quantity": 1, "UnitPrice": 1.0})
    assert failure.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_custom_price_needs_standard_price(sandbox, sf):
    product_id = sf.Product2.create({"Name": "Lamp"})["id"]
    book_id = sf.Pricebook2.create({"Name": "Retail", "IsActive": True})["id"]
    with pytest.raises(SalesforceMalformedRequest) as failure:
        sf.PricebookEntry.create({"Pricebook2Id": book_id, "Product2Id": product_id,
                                  "UnitPrice": 5})
    assert failure.value.content[0]["errorCode"] == "STANDARD_PRICE_NOT_DEFINED"


def test_composite_creates_order_and_items_with_references(sandbox, sf):
    refs = sandbox.control.seed(demo=True)["refs"]
    entry_id = sf.query(f"SELECT Id FROM PricebookEntry WHERE Product2Id = '{refs['tee']}'")[
        "records"][0]["Id"]
    base = "/services/data/v59.0/sobjects"
    response = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{base}/Order", "referenceId": "o",
         "body": {"AccountId": refs["acme"], "EffectiveDate": "2025-02-01", "Status": "Draft",
                  "Pricebook2Id": refs["standard_pricebook"]}},
        {"method": "POST", "url": f"{base}/OrderItem", "referenceId": "i1",
         "body": {"OrderId": "@{o.id}", "PricebookEntryId": entry_id, "Quantity": 2,
                  "UnitPrice": 25.0}},
        {"method": "GET", "url": f"{base}/Order/@{{o.id}}?fields=TotalAmount",
         "referenceId": "read"}]})
    statuses = [item["httpStatusCode"] for item in response["compositeResponse"]]
    assert statuses == [201, 201, 200]
    assert response["compositeResponse"][2]["body"]["TotalAmount"] == 50.0


def test_composite_all_or_none_halts_and_rolls_back(sandbox, sf):
    base = "/services/data/v59.0/sobjects"
    response = sf.restful("composite", method="POST", json={"allOrNone": True, "compositeRequest": [
        {"method": "POST", "url": f"{base}/Account", "referenceId": "a", "body": {"Name": "A"}},
        {"method": "POST", "url": f"{base}/Contact", "referenceId": "c",
         "body": {"AccountId": "@{a.id}"}}]})
    results = response["compositeResponse"]
    assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert results[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_concurrent_upserts_of_one_external_id_create_one_record(sandbox, sf):
    from concurrent.futures import ThreadPoolExecutor

    from tests.sandbox.salesforce.testing import connect_direct

    clients = [connect_direct(sandbox.base_url, sandbox.control) for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(
            lambda client: client.Account.upsert("Odoo_Id__c/same", {"Name": "Racer"}), clients))
    assert sorted(statuses) == [200] * 7 + [201]
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1


def test_concurrent_limit_is_the_same_code_with_its_own_message(sandbox, sf):
    sandbox.control.settings(daily_api_limit=100, api_used=0)
    sandbox.control.faults(concurrent_limit_next=1)
    with pytest.raises(SalesforceRefusedRequest) as failure:
        sf.query("SELECT Id FROM Account")
    assert failure.value.status == 403
    assert failure.value.content == [{"message": "ConcurrentPerOrgLongTxn Limit exceeded.",
                                      "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0  # cleared: the next one goes


def test_several_records_on_a_non_unique_external_id_answer_300_with_their_urls(sandbox, sf):
    sandbox.control.add_field("Account", "Legacy_Id__c", external_id=True, unique=False)
    ids = [sf.Account.create({"Name": f"Twin {n}", "Legacy_Id__c": "L-1"})["id"]
           for n in (1, 2)]
    urls = sorted(f"/services/data/v59.0/sobjects/Account/{record_id}" for record_id in ids)
    with pytest.raises(SalesforceMoreThanOneRecord) as read:
        sf.Account.get_by_custom_id("Legacy_Id__c", "L-1")
    with pytest.raises(SalesforceMoreThanOneRecord) as upsert:
        sf.Account.upsert("Legacy_Id__c/L-1", {"Name": "Twin"})
    assert sorted(read.value.content) == urls
    assert sorted(upsert.value.content) == urls
    assert {sf.Account.get(record_id)["Name"] for record_id in ids} == {"Twin 1", "Twin 2"}
