"""HTTP front of the sandbox and the ``ShopifySandbox`` class that wires everything together.

Routes:
- ``POST /admin/api/{version}/graphql.json`` — Admin GraphQL (token in X-Shopify-Access-Token)
- ``GET  /admin/api/{version}/shop.json`` — the one REST call ShopifyAPI's ``Shop.current()``
- ``POST /admin/oauth/access_token`` — client-credentials grant (form or JSON)
- ``POST /_sandbox/staged-uploads`` (multipart) / ``PUT /_sandbox/staged-uploads/{key}``
- ``GET  /_sandbox/bulk/{id}.jsonl`` — bulk operation results
- ``/_sandbox/...`` — the control API (see ``control.py``)
The shop is identified by the token, never by the Host header.
"""

import email.parser
import email.policy
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import control
from .bulk import BulkRunner
from .costs import Throttle
from .faults import HTTP_ERROR_BODIES, FaultInjector
from .graphql_api import Counters, GraphQLService, operation_label
from .mutations_orders import create_subscription
from .rest_payloads import bulk_operation_payload, shop_payload
from .seed import RETAIL_CATALOGUE, load_seed
from .store import Store
from .webhooks import WebhookDispatcher

#: Stable versions the sandbox serves (12-month window as of late 2026), oldest first.
SUPPORTED_VERSIONS = ("2026-01", "2026-04", "2026-07", "2026-10")
ADMIN_PATH = re.compile(r"^/admin/api/(?P<version>[^/]+)/(?P<resource>.+)$")
AUTH_ERROR = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong "
                        "password)"}


class ShopifySandbox:
    """A local Shopify Admin API. ``start()`` serves in a daemon thread; ``stop()`` ends it.

    ``seed``: True for the retail catalogue, a seed dict (see ``seed.py``) or None.
    ``webhook_backoff_factor`` multiplies Shopify's retry schedule (10 s … 2 h).
    """

    def __init__(self, host="127.0.0.1", port=0, *, seed=True, api_versions=SUPPORTED_VERSIONS,
                 webhook_backoff_factor=0.001, webhook_max_retries=8, webhook_timeout=5.0,
                 bulk_delay=0.05, fault_seed=None, quiet=True, tls=None, tls_port=0):
        self.host, self.requested_port, self.quiet = host, port, quiet
        # tls: {"cert": path, "key": path} (``tls.make_certificates``) adds an HTTPS listener
        # on ``tls_port`` (0 = any free port) serving the same store next to plain HTTP.
        self.tls, self.requested_tls_port = tls, tls_port
        self.api_versions = tuple(api_versions)
        self.initial_seed = seed
        self.faults = FaultInjector(fault_seed)
        self.store = Store()
        self.throttle = Throttle()
        self.counters = Counters()
        self.webhooks = WebhookDispatcher(
            self.store, self.faults, self.latest_version, backoff_factor=webhook_backoff_factor,
            max_retries=webhook_max_retries, timeout=webhook_timeout)
        self.store.emit = self._emit
        self.service = GraphQLService(self.store, self.throttle, self.counters)
        self.bulk_runner = BulkRunner(self.service, self.store, self._bulk_finished, bulk_delay)
        self.httpd = self.httpsd = None
        self._thread = None
        self.seeded = self._load_initial_seed()

    # -- life cycle ------------------------------------------------------------------------
    def start(self):
        self.httpd = ThreadingHTTPServer((self.host, self.requested_port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.sandbox = self
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="shopify-sandbox",
                                        daemon=True)
        self._thread.start()
        if self.tls:
            self.start_https(self.tls, self.requested_tls_port)
        self.webhooks.start()
        return self

    def start_https(self, tls, port=0):
        """Serve the Admin API over HTTPS too (``tls``: {"cert", "key"} paths) on ``port``;
        plain HTTP keeps running. Returns ``https_base_url``."""
        from .tls import server_context

        self.tls = tls
        self.httpsd = _TLSServer((self.host, port), _Handler)
        self.httpsd.daemon_threads = True
        self.httpsd.sandbox = self
        # handshake in the request's thread (first read), not in the accept loop
        self.httpsd.socket = server_context(self.tls["cert"], self.tls["key"]).wrap_socket(
            self.httpsd.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self.httpsd.serve_forever, name="shopify-sandbox-tls",
                         daemon=True).start()
        return self.https_base_url

    def stop(self):
        self.webhooks.stop()
        for server in (self.httpd, self.httpsd):
            if server:
                server.shutdown()
                server.server_close()
        self.httpd = self.httpsd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_exc):
        self.stop()

    @property
    def port(self):
        return self.httpd.server_address[1] if self.httpd else None

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def tls_port(self):
        return self.httpsd.server_address[1] if self.httpsd else None

    @property
    def https_base_url(self):
        """``https://127.0.0.1:tls_port`` when the HTTPS listener runs, else None."""
        return f"https://{self.host}:{self.tls_port}" if self.httpsd else None

    @property
    def latest_version(self):
        return self.api_versions[-1]

    def admin_url(self, version=None):
        """``http://127.0.0.1:port/admin/api/{version}``, for ``ShopifyResource.site``."""
        return f"{self.base_url}/admin/api/{version or self.latest_version}"

    def graphql_url(self, version=None):
        return self.admin_url(version) + "/graphql.json"

    @property
    def token(self):
        """The default static access token (``shpat_sandbox_token`` unless reseeded)."""
        return next(iter(self.store.tokens), None)

    @property
    def client_secret(self):
        return self.store.app["client_secret"]

    @property
    def control(self):
        from .client import SandboxControl

        return SandboxControl(self.base_url)

    def reset(self):
        """Empty the store, counters, buckets, faults and delivery log (no seed)."""
        self.webhooks.flush(timeout=0.5, expedite=False)
        self.store.reset()
        self.throttle.reset()
        self.counters.reset()
        self.faults.clear()
        self.webhooks.reset()

    def _load_initial_seed(self):
        if not self.initial_seed:
            return None
        seed = RETAIL_CATALOGUE if self.initial_seed is True else self.initial_seed
        return load_seed(self.store, seed, create_subscription)

    def resolve_version(self, requested):
        """Serve a supported version as asked; fall forward to the oldest one otherwise."""
        if requested == "unstable" or requested in self.api_versions:
            return requested
        return self.api_versions[0]

    # -- events ----------------------------------------------------------------------------
    def _emit(self, topic, record):
        self.webhooks.emit(topic, record)

    def _bulk_finished(self, record):
        self.webhooks.send("bulk_operations/finish", bulk_operation_payload(self.store, record))

    # -- request handling ------------------------------------------------------------------
    def handle(self, method, path, headers, body, base_url=None):
        """Route one request; returns (status, headers, JSON-able body or bytes).
        ``base_url``: the listener's own (https for the HTTPS one), for the URLs it answers."""
        parsed = urllib.parse.urlsplit(path)
        route = parsed.path
        if route.startswith("/_sandbox/"):
            return self._handle_sandbox(method, route[len("/_sandbox"):], headers, body)
        self.counters.record_http(f"{method} {re.sub(r'/api/[^/]+/', '/api/*/', route)}")
        if route == "/admin/oauth/access_token" and method == "POST":
            return self._token_endpoint(headers, body)
        match = ADMIN_PATH.match(route)
        if not match:
            return 404, {}, {"errors": "Not Found"}
        version = self.resolve_version(match["version"])
        extra = {"X-Shopify-API-Version": version}
        scopes = self.store.token_scopes(headers.get("X-Shopify-Access-Token"))
        if scopes is None:
            return 401, extra, AUTH_ERROR
        if match["resource"] == "shop.json" and method == "GET":
            extra["X-Shopify-Shop-Api-Call-Limit"] = "1/40"
            return 200, extra, {"shop": shop_payload(self.store, self.store.shop)}
        if match["resource"] != "graphql.json" or method != "POST":
            return 404, extra, {"errors": "Not Found"}
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, extra, {"errors": {"query": "Required parameter missing or invalid"}}
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return 400, extra, {"errors": {"query": "Required parameter missing or invalid"}}
        fault = self._apply_faults(request, "graphql")
        if fault is not None and fault.get("kind") != "throttled":
            status, fault_headers, fault_body = self._fault_response(fault)
            return status, dict(extra, **fault_headers), fault_body
        context = {"store": self.store, "scopes": scopes, "version": version,
                   "token": headers.get("X-Shopify-Access-Token"),
                   "base_url": base_url or self.base_url,
                   "bulk": False, "search": [], "bulk_runner": self.bulk_runner}
        response = self.service.handle(request, context, force_throttled=fault is not None)
        return 200, extra, response

    def _apply_faults(self, request, target):
        operation = None
        if request is not None:
            try:
                from graphql import parse

                operation = operation_label(parse(request["query"]),
                                            request.get("operationName"))[0]
            except Exception:
                operation = None
        latency, rule = self.faults.for_request(operation, target)
        if latency:
            time.sleep(latency)
        return rule

    def _fault_response(self, rule):
        if rule["kind"] == "rate_limit":
            return 429, {"Retry-After": str(rule["retry_after"])}, {
                "errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                          "resume uninterrupted service."}
        if rule["kind"] == "timeout":
            time.sleep(rule["seconds"])
            return 504, {}, {"errors": "Gateway Timeout"}
        status = int(rule["status"])
        return status, {}, {"errors": HTTP_ERROR_BODIES.get(status, "Error")}

    def _token_endpoint(self, headers, body):
        fault = self._apply_faults(None, "token")
        if fault is not None and fault["kind"] != "throttled":
            return self._fault_response(fault)
        text = (body or b"").decode()
        if "json" in headers.get("Content-Type", ""):
            params = json.loads(text or "{}")
        else:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(text).items()}
        app = self.store.app
        if params.get("grant_type") != "client_credentials":
            return 400, {}, {"error": "unsupported_grant_type",
                             "error_description": "grant_type must be client_credentials"}
        secrets = {app["client_secret"], app.get("previous_client_secret")}
        if params.get("client_id") != app["client_id"] or params.get(
                "client_secret") not in secrets - {None}:
            return 401, {}, {"error": "invalid_client",
                             "error_description": "Client authentication failed"}
        token = self.store.add_token(scopes=app["scopes"], expires_in=86399)
        return 200, {}, {"access_token": token, "scope": ",".join(app["scopes"]),
                         "expires_in": 86399}

    def _handle_sandbox(self, method, route, headers, body):
        if route.startswith("/staged-uploads"):
            return self._staged_upload(method, route, headers, body)
        match = re.match(r"^/bulk/(\d+)\.jsonl$", route)
        if match and method == "GET":
            content = self.store.bulk_results.get(int(match[1]))
            if content is None:
                return 404, {}, {"error": "no such result"}
            return 200, {"Content-Type": "application/jsonl"}, content
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return 400, {}, {"error": "body must be JSON"}
        status, response = control.dispatch(self, method, route, payload)
        return status, {}, response

    def _staged_upload(self, method, route, headers, body):
        if method == "PUT":
            key = urllib.parse.unquote(route[len("/staged-uploads/"):])
            content = body
        elif method == "POST":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + headers.get("Content-Type", "").encode() + b"\r\n\r\n"
                + (body or b""))
            fields = {part.get_param("name", header="content-disposition"):
                      part.get_payload(decode=True) for part in message.iter_parts()}
            key = (fields.get("key") or b"").decode()
            content = fields.get("file")
        else:
            return 405, {}, {"error": "use POST (multipart) or PUT"}
        with self.store.lock:
            if key not in self.store.staged_uploads:
                return 404, {}, {"error": f"unknown staged upload key {key!r}"}
            self.store.staged_uploads[key] = content or b""
        return 201, {}, {"key": key, "size": len(content or b"")}


class _TLSServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        import ssl
        import sys

        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            return  # a client that does not trust the CA (or hung up): its own error says so
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        sandbox = self.server.sandbox
        base_url = sandbox.https_base_url if self.server is sandbox.httpsd else None
        status, headers, payload = sandbox.handle(
            self.command, self.path, self.headers, body, base_url)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        headers = dict(headers)
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        try:
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. a timeout fault); nothing left to tell it

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):
        if not self.server.sandbox.quiet:
            super().log_message(format, *args)
