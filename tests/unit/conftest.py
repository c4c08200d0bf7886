"""Shared pytest fixtures. Shopify sandbox fixtures are prefixed ``shopify_``."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests


@pytest.fixture(scope="session")
def shopify_sandbox_server():
    """One Shopify sandbox for the whole session (port 0, 127.0.0.1)."""
    from tests.sandbox.shopify import ShopifySandbox

    sandbox = ShopifySandbox(webhook_backoff_factor=0.0005, bulk_delay=0.01).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def shopify_sandbox(shopify_sandbox_server):
    """The session sandbox, reset and seeded with the retail catalogue for each test."""
    shopify_sandbox_server.reset()
    shopify_sandbox_server.seeded = shopify_sandbox_server.control.reset(seed=True)["created"]
    shopify_sandbox_server.webhooks.configure(backoff_factor=0.0005, max_retries=8,
                                              timeout=5.0)
    return shopify_sandbox_server


@pytest.fixture
def shopify_graphql(shopify_sandbox):
    """``call(query, variables=None, version="2026-04", token=None) -> requests.Response``."""
    session = requests.Session()

    def call(query, variables=None, version="2026-04", token=None, operation_name=None):
        return session.post(
            shopify_sandbox.graphql_url(version),
            json={"query": query, "variables": variables, "operationName": operation_name},
            headers={"X-Shopify-Access-Token": token or shopify_sandbox.token}, timeout=10)
    return call


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture
def shopify_webhook_receiver():
    """A local HTTP endpoint recording webhook POSTs; ``fail_next`` answers 500 that often."""
    state = {"requests": [], "fail_next": 0, "lock": threading.Lock()}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state["lock"]:
                failing = state["fail_next"] > 0
                state["fail_next"] -= 1 if failing else 0
                state["requests"].append({"path": self.path, "headers": dict(self.headers),
                                          "body": body, "status": 500 if failing else 200})
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = _Receiver(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    state["json"] = lambda entry: json.loads(entry["body"])
    yield state
    server.shutdown()
    server.server_close()
