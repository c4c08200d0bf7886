"""Fault injection (locks, 503, refused connections, latency), counters and the CLI runner."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from simple_salesforce.exceptions import SalesforceGeneralError, SalesforceMalformedRequest

from tests.sandbox.salesforce import SalesforceSandbox, SalesforceSandboxControl
from tests.sandbox.salesforce.testing import connect_with_password

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox():
    server = SalesforceSandbox().start()
    yield server
    server.stop()


@pytest.fixture
def sf(sandbox):
    if not sandbox.is_listening():
        sandbox.restore_connections()
    sandbox.control.reset()
    return connect_with_password(sandbox.base_url, sandbox.control)


def test_unable_to_lock_row_for_next_writes(sandbox, sf):
    account_id = sf.Account.create({"Name": "Locked"})["id"]
    sandbox.control.faults(lock_next_writes=2)
    for _ in range(2):
        with pytest.raises(SalesforceMalformedRequest) as failure:
            sf.Account.update(account_id, {"Phone": "1"})
        assert failure.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
        assert account_id in failure.value.content[0]["message"]
    assert sf.Account.update(account_id, {"Phone": "1"}) == 204


def test_lock_fault_in_collections_is_per_record(sandbox, sf):
    sandbox.control.faults(lock_next_writes=1)
    result = sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Account"}, "Name": "A"},
        {"attributes": {"type": "Account"}, "Name": "B"}]})
    assert result[0]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW"
    assert result[1]["success"] is True


def test_503_outage_then_recovery(sandbox, sf):
    sandbox.control.outage("503", seconds=0.3)
    with pytest.raises(SalesforceGeneralError) as failure:
        sf.query("SELECT Id FROM Account")
    assert failure.value.status == 503
    assert failure.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    time.sleep(0.35)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_refused_connections_really_close_the_port(sandbox, sf):
    sf.query("SELECT COUNT() FROM Account")  # keep-alive connection in the pool
    sandbox.refuse_connections()
    assert not sandbox.is_listening()
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.query("SELECT COUNT() FROM Account")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{sandbox.base_url}/services/data/", timeout=2)
    sandbox.restore_connections()
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_refuse_through_control_api_comes_back_by_itself(sandbox, sf):
    sandbox.control.outage("refuse", seconds=0.4)
    time.sleep(0.15)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{sandbox.base_url}/services/data/", timeout=2)
    time.sleep(0.5)
    assert requests.get(f"{sandbox.base_url}/services/data/", timeout=2).status_code == 200


def test_latency_is_added(sandbox, sf):
    sandbox.control.faults(latency_ms=250)
    sandbox.control.reset_counters()
    started = time.monotonic()
    sf.query("SELECT COUNT() FROM Account")
    assert time.monotonic() - started >= 0.25
    sandbox.control.faults(clear=True)
    # the request held by the fault is counted (a test knows when a call is in flight)
    assert sandbox.control.counters()["latency.held"] == 1


def test_counters_per_endpoint(sandbox, sf):
    sandbox.control.reset_counters()
    account_id = sf.Account.create({"Name": "Counted"})["id"]
    sf.Account.get(account_id)
    sf.query("SELECT Id FROM Account")
    counters = sandbox.control.counters()
    assert counters["POST sobject.create"] == 1
    assert counters["GET sobject.get"] == 1
    assert counters["GET query"] == 1
    assert sandbox.control.state()["records"]["Account"] == 1


def test_runs_on_its_own_with_python_dash_m():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sandbox.salesforce", "--port", "0", "--demo",
         "--user", "cli@example.com:pw:TOK"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        base_url = line.split("listening on ")[1].split()[0]
        control = SalesforceSandboxControl(base_url)
        assert control.state()["records"]["Account"] == 3
        sf = connect_with_password(base_url, control, "cli@example.com", "pw", "TOK")
        assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] == 4
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
