"""`make demo`'s processes end to end: a sandbox order becomes a confirmed sale order.

Starts ``make demo`` (sandboxes, a fresh database with the three addons, Odoo with 2 workers
and the queue_job runner, both backends configured) on free ports and a throw-away database,
places one order in the Shopify sandbox through its control API, and waits until Odoo has it
as a confirmed, invoiced sale order: the sandbox's signed webhook over real HTTP, the intake
controller, the job runner and a worker did it. Then stops everything with SIGTERM, as a
parent process would, and checks that no process of the demo is left.

Needs Odoo 18 and PostgreSQL, like ``make test``; it takes about two minutes, most of it the
database creation and the installation of the addons.
"""

import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "A shopper places an order"
START_TIMEOUT = 600
ORDER_TIMEOUT = 180


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_importable():
    # The series' environment running this test (make test runs pytest in it).
    probe = subprocess.run([sys.executable, "-c", "import odoo.release"], cwd="/",
                           capture_output=True)
    return probe.returncode == 0


def read_until(process, needle, timeout):
    """Return the demo's output up to the line containing ``needle`` (fail on exit/timeout)."""
    seen = []
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not selector.select(timeout=1):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return "".join(seen)
    pytest.fail(f"the demo did not print {needle!r}; it printed:\n{''.join(seen)[-5000:]}")


@pytest.fixture
def demo():
    if not odoo_importable():
        pytest.fail("Odoo cannot be imported: the demo test needs it (run it through make test)")
    ports = {
        "RC_DEMO_PORT": free_port(),
        "RC_DEMO_SHOPIFY_PORT": free_port(),
        "RC_DEMO_SALESFORCE_PORT": free_port(),
    }
    database = f"rc_e2e_demo_{os.getpid()}"
    env = dict(
        os.environ,
        RC_DEMO_DB=database,
        RC_DEMO_MAX_ORDERS="1",
        RC_DEMO_ORDER_SECONDS="1",
        **{key: str(value) for key, value in ports.items()},
    )
    process = subprocess.Popen(
        ["make", "--no-print-directory", "demo"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = read_until(process, READY_LINE, START_TIMEOUT)
        yield {"process": process, "output": output, "database": database, **ports}
    finally:
        stop_demo(process)
        print(process.stdout.read()[-5000:])  # shown by pytest when the test fails
        subprocess.run(
            ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", database],
            capture_output=True,
        )


def stop_demo(process, timeout=120):
    """SIGTERM to the demo's process group (make and scripts/demo.py), then wait until the
    group is gone: demo.py exits only after it has stopped Odoo and the sandboxes."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    pytest.fail(f"the demo did not stop within {timeout}s of SIGTERM")


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_sandbox_order_becomes_a_confirmed_sale_order(demo):
    from tests.sandbox.shopify.client import SandboxControl

    url = f"http://127.0.0.1:{demo['RC_DEMO_PORT']}"
    assert f"{url}/odoo/action-retail_connector.action_retail_dashboard" in demo["output"]
    assert "Login:     admin / admin" in demo["output"]

    shopify = SandboxControl(f"http://127.0.0.1:{demo['RC_DEMO_SHOPIFY_PORT']}")
    order = shopify.place_order(
        [{"sku": "TSHIRT-BLUE-M", "quantity": 2}, {"sku": "TOTE-NATURAL", "quantity": 1}],
        customer={"email": "e2e.shopper@example.com"},
        financial_status="paid",
        tax_rate=0.2,
        shipping={"title": "Standard", "code": "STD", "price": "4.90"},
    )

    uid = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").authenticate(
        demo["database"], "admin", "admin", {}
    )
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *args, **kwargs):
        return models.execute_kw(demo["database"], uid, "admin", model, method, list(args), kwargs)

    sale = None
    deadline = time.time() + ORDER_TIMEOUT
    while time.time() < deadline:
        bindings = call(
            "retail.order.binding",
            "search_read",
            [("external_id", "=", str(order["id"]))],
            fields=["odoo_id", "external_name"],
        )
        if bindings:
            sale = call(
                "sale.order",
                "read",
                [bindings[0]["odoo_id"][0]],
                fields=["state", "invoice_status", "amount_total", "partner_id", "order_line"],
            )[0]
            if sale["state"] == "sale" and sale["invoice_status"] == "invoiced":
                break
        time.sleep(1)
    assert sale, f"order {order['name']} never reached Odoo"
    assert sale["state"] == "sale", sale
    assert sale["invoice_status"] == "invoiced", sale
    assert bindings[0]["external_name"] == order["name"]
    assert abs(sale["amount_total"] - float(order["total_price"])) < 0.01
    # orders/create and orders/paid both arrive; the first one processed imports the order.
    events = call(
        "retail.event",
        "search_read",
        [("external_id", "=", str(order["id"])), ("state", "=", "done")],
        fields=["topic"],
    )
    assert events, "no event of the order is done"
    # Test Connection recorded the org (it was lost once: the button's transaction could not
    # write the row its own calls had updated in a committed short transaction)
    backends = call("retail.backend", "search_read", [("backend_type", "=", "salesforce")],
                    fields=["sf_organization_id", "sf_api_used"])
    assert backends, "the demo has a Salesforce backend"
    assert all(b["sf_organization_id"] and b["sf_api_used"] for b in backends), backends
    # the events have no job of their own: the backend's drain job imported them
    jobs = call(
        "queue.job",
        "search_read",
        [("identity_key", "=like", "retail-drain-%"), ("state", "=", "done")],
        fields=["state", "worker_pid"],
    )
    assert jobs and all(job["state"] == "done" and job["worker_pid"] for job in jobs), jobs

    stop_demo(demo["process"])
    assert demo["process"].returncode is not None
    for key in ("RC_DEMO_PORT", "RC_DEMO_SHOPIFY_PORT", "RC_DEMO_SALESFORCE_PORT"):
        assert not port_open(demo[key]), f"{key} still answers after the demo stopped"
