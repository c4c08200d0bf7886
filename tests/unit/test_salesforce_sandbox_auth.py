"""Logins against the Salesforce sandbox through the real simple-salesforce client."""

import time

import pytest
import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from tests.sandbox.salesforce import SalesforceSandbox, generate_rsa_certificate, sandbox_session
from tests.sandbox.salesforce.testing import connect_direct, connect_with_password


@pytest.fixture(scope="module")
def sandbox():
    server = SalesforceSandbox().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(sandbox):
    sandbox.control.reset()


@pytest.fixture(scope="module")
def key_pair():
    return generate_rsa_certificate()


def test_soap_login_returns_session_and_sandbox_instance(sandbox):
    sandbox.control.add_user("odoo@example.com", "secret", "TOK")
    session_id, instance = SalesforceLogin(
        username="odoo@example.com", password="secret", security_token="TOK", sf_version="59.0",
        session=sandbox_session(sandbox.base_url))
    assert instance == f"127.0.0.1:{sandbox.port}"
    assert session_id.startswith(sandbox.app.org_id[:15] + "!")
    sf = Salesforce(instance_url=sandbox.base_url, session_id=session_id, version="59.0",
                    session=sandbox_session(sandbox.base_url))
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 2


def test_soap_login_with_wrong_token_is_invalid_login(sandbox):
    sandbox.control.add_user("odoo@example.com", "secret", "TOK")
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username="odoo@example.com", password="secret", security_token="WRONG",
                   version="59.0", session=sandbox_session(sandbox.base_url))
    assert failure.value.code == "INVALID_LOGIN"
    assert "Invalid username" in failure.value.auth_message


def test_soap_login_with_organization_id(sandbox):
    sandbox.control.add_user("odoo@example.com", "secret", "")
    sf = Salesforce(username="odoo@example.com", password="secret",
                    organizationId=sandbox.app.org_id[:15], version="59.0",
                    session=sandbox_session(sandbox.base_url))
    assert sf.auth_type == "ipfilter"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_jwt_bearer_login_verifies_the_signature(sandbox, key_pair):
    private_pem, certificate_pem = key_pair
    sandbox.control.add_user("jwt@example.com")
    sandbox.control.add_app("CONSUMER-JWT", certificate=certificate_pem)
    sf = Salesforce(username="jwt@example.com", consumer_key="CONSUMER-JWT",
                    privatekey=private_pem, version="59.0",
                    session=sandbox_session(sandbox.base_url))
    assert sf.auth_type == "jwt-bearer"
    created = sf.Account.create({"Name": "Via JWT"})
    record = sf.Account.get(created["id"])
    user = sf.query("SELECT Id FROM User WHERE Username = 'jwt@example.com'")["records"][0]
    assert record["CreatedById"] == user["Id"]


def test_jwt_bearer_signed_by_another_key_is_rejected(sandbox, key_pair):
    _, certificate_pem = key_pair
    other_private_pem, _ = generate_rsa_certificate("intruder")
    sandbox.control.add_user("jwt@example.com")
    sandbox.control.add_app("CONSUMER-JWT", certificate=certificate_pem)
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username="jwt@example.com", consumer_key="CONSUMER-JWT",
                   privatekey=other_private_pem, session=sandbox_session(sandbox.base_url))
    assert failure.value.code == "invalid_grant"


def test_jwt_bearer_for_unknown_user_is_not_approved(sandbox, key_pair):
    private_pem, certificate_pem = key_pair
    sandbox.control.add_app("CONSUMER-JWT", certificate=certificate_pem)
    with pytest.warns(UserWarning), pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username="nobody@example.com", consumer_key="CONSUMER-JWT",
                   privatekey=private_pem, session=sandbox_session(sandbox.base_url))
    assert failure.value.auth_message == "user hasn't approved this consumer"


def test_client_credentials_login_runs_as_the_configured_user(sandbox):
    user_id = sandbox.control.add_user("runner@example.com")["user_id"]
    sandbox.control.add_app("CONSUMER-CC", consumer_secret="s3cret", run_as="runner@example.com")
    sf = Salesforce(consumer_key="CONSUMER-CC", consumer_secret="s3cret", domain="acme.my",
                    version="59.0", session=sandbox_session(sandbox.base_url))
    assert sf.auth_type == "client-credentials"
    created = sf.Contact.create({"LastName": "Runner"})
    assert sf.Contact.get(created["id"])["OwnerId"] == user_id


def test_client_credentials_with_wrong_secret_fails(sandbox):
    sandbox.control.add_app("CONSUMER-CC", consumer_secret="s3cret")
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(consumer_key="CONSUMER-CC", consumer_secret="nope", domain="acme.my",
                   session=sandbox_session(sandbox.base_url))
    assert failure.value.code == "invalid_client"


def test_oauth_password_grant(sandbox):
    sandbox.control.add_user("pwd@example.com", "secret", "TOK")
    sandbox.control.add_app("CONSUMER-PW", consumer_secret="s3cret")
    sf = Salesforce(username="pwd@example.com", password="secretTOK", consumer_key="CONSUMER-PW",
                    consumer_secret="s3cret", session=sandbox_session(sandbox.base_url))
    assert sf.Account.create({"Name": "By password grant"})["success"] is True


def test_request_without_session_gets_invalid_session_array(sandbox):
    response = requests.get(f"{sandbox.base_url}/services/data/v59.0/sobjects/Account/describe")
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid",
                                "errorCode": "INVALID_SESSION_ID"}]
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=0/")


def test_expired_direct_session_raises_expired_session(sandbox):
    sf = connect_direct(sandbox.base_url, sandbox.control)
    assert sf.query("SELECT COUNT() FROM Account")["done"] is True
    assert sandbox.control.expire_sessions()["expired"] >= 1
    with pytest.raises(SalesforceExpiredSession) as failure:
        sf.query("SELECT COUNT() FROM Account")
    assert failure.value.status == 401
    assert failure.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_password_client_logs_in_again_after_ttl(sandbox):
    sf = connect_with_password(sandbox.base_url, sandbox.control)
    sandbox.control.settings(session_ttl=0.3)
    first_token = sf.session_id
    time.sleep(0.4)
    account = sf.Account
    assert account.create({"Name": "After expiry"})["success"] is True
    assert sf.session_id != first_token
    assert sandbox.control.counters()["login.soap"] == 2


def test_versions_list_needs_no_session(sandbox):
    versions = requests.get(f"{sandbox.base_url}/services/data/").json()
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions
