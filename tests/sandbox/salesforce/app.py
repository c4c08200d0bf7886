"""The sandbox application: state, request dispatch, API limits, faults and call counters.

``Application.handle`` is transport-free (a ``Request`` in, a ``Response`` out), so the HTTP
server in ``server.py`` stays a thin adapter. Order of checks for Salesforce paths: injected
outage (503) and latency, then login endpoints, then for ``/services/data/vXX.X/``: the bearer
session (401 INVALID_SESSION_ID), the daily allocation (403 REQUEST_LIMIT_EXCEEDED), the route.
Every REST response carries ``Sforce-Limit-Info: api-usage=used/max``.
"""

import collections
import re
import threading
import time
import traceback
from datetime import timedelta

from . import ids
from .auth import AuthRegistry, OAuthError
from .bulk import BulkApi
from .composite import CollectionsApi
from .control import ControlApi
from .errors import ApiError, not_found
from .http_types import Router, error_response, json_response, text_response
from .outbound import OutboundSender
from .query import QueryEngine
from .rest import RestApi
from .schema import Schema
from .store import Store

API_VERSIONS = [("Summer '21", "52.0"), ("Winter '22", "53.0"), ("Spring '22", "54.0"),
                ("Summer '22", "55.0"), ("Winter '23", "56.0"), ("Spring '23", "57.0"),
                ("Summer '23", "58.0"), ("Winter '24", "59.0"), ("Spring '24", "60.0"),
                ("Summer '24", "61.0"), ("Winter '25", "62.0")]
MIN_VERSION, MAX_VERSION = 20.0, 62.0
DATA_PATH = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")
SOAP_LOGIN_PATH = re.compile(r"^/services/Soap/u/(?P<version>\d+\.\d)(/.*)?$")
DEFAULT_SETTINGS = {"daily_api_limit": 15000, "query_batch_size": 2000}


class Faults:
    """Injected faults: latency, a 503 outage, UNABLE_TO_LOCK_ROW for the next N writes."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        self.latency_seconds = 0.0
        self.lock_next_writes = 0
        self.concurrent_limit_next = 0
        self.unavailable_until = None

    def set_unavailable(self, seconds=None):
        """Answer 503 SERVER_UNAVAILABLE for ``seconds`` (forever when None)."""
        self.unavailable_until = float("inf") if seconds is None else time.monotonic() + seconds

    def unavailable(self):
        return self.unavailable_until is not None and time.monotonic() < self.unavailable_until

    def take_concurrent_limit(self):
        """Whether this call is refused as over the concurrent long-running request limit."""
        with self._lock:
            if self.concurrent_limit_next <= 0:
                return False
            self.concurrent_limit_next -= 1
            return True

    def check_lock(self, record_id):
        """Raise UNABLE_TO_LOCK_ROW if a lock fault is armed for this write."""
        with self._lock:
            if self.lock_next_writes <= 0:
                return
            self.lock_next_writes -= 1
        suffix = f" or 1 records: {record_id}" if record_id else ""
        raise ApiError(400, "UNABLE_TO_LOCK_ROW",
                       f"unable to obtain exclusive access to this record{suffix}")


class Application:
    """Everything one sandbox org holds; ``handle()`` answers one request."""

    def __init__(self, org_id=None, daily_api_limit=15000, session_ttl=7200.0,
                 query_batch_size=2000, outbound_backoff_factor=1.0):
        self.base_url = "http://127.0.0.1"
        self.org_id = org_id or ids.new_id("00D")
        self.schema = Schema()
        self.store = Store(self.schema, self.org_id)
        self.auth = AuthRegistry(self.store, session_ttl)
        self.queries = QueryEngine(self.store)
        self.faults = Faults()
        self.initial = {"daily_api_limit": daily_api_limit, "query_batch_size": query_batch_size,
                        "session_ttl": session_ttl,
                        "outbound_backoff_factor": outbound_backoff_factor}
        self.settings = {"daily_api_limit": daily_api_limit, "query_batch_size": query_batch_size}
        self.api_used = 0
        self.counters = collections.Counter()
        self._usage_lock = threading.Lock()
        self.refuse_connections = None  # set by the server: callable(seconds)
        self.rest = RestApi(self)
        self.collections = CollectionsApi(self)
        self.bulk = BulkApi(self)
        self.outbound = OutboundSender(self, backoff_factor=outbound_backoff_factor)
        self.control = ControlApi(self)
        self.rest_router = Router()
        for api in (self.rest, self.collections, self.bulk):
            api.register(self.rest_router)
        self.control_router = Router()
        self.control.register(self.control_router)

    def reset(self):
        """Back to a fresh org: no records but the defaults, no users, apps, jobs, faults."""
        self.outbound.reset()
        self.store.reset()
        self.auth.reset()
        self.auth.session_ttl = self.initial["session_ttl"]
        self.outbound.backoff_factor = self.initial["outbound_backoff_factor"]
        self.bulk.reset()
        self.queries.cursors.clear()
        self.faults.reset()
        self.store.clock_offset = timedelta(0)
        self.settings = {key: self.initial[key] for key in DEFAULT_SETTINGS}
        self.api_used = 0
        self.counters.clear()

    # ------------------------------------------------------------ dispatch
    def handle(self, request):
        """Answer one request; never raises."""
        try:
            if request.path.startswith("/_sandbox/"):
                self.counters["control"] += 1
                return self._route(self.control_router, request, request.path[len("/_sandbox/"):])
            if self.faults.unavailable():
                self.counters["unavailable"] += 1
                return error_response(ApiError(503, "SERVER_UNAVAILABLE",
                                               "Server temporarily unavailable"))
            if self.faults.latency_seconds:
                # counted as it starts waiting: a test knows a call is in flight
                self.counters["latency.held"] += 1
                time.sleep(self.faults.latency_seconds)
            return self._salesforce(request)
        except ApiError as error:
            return error_response(error)
        except Exception as error:
            traceback.print_exc()
            return error_response(ApiError(500, "UNKNOWN_EXCEPTION", repr(error)))

    def _route(self, router, request, sub_path):
        handler, params, name = router.match(request.method, sub_path.strip("/"))
        request.params = params
        self.counters[f"{request.method} {name}"] += 1
        return handler(request)

    def _salesforce(self, request):
        path, method = request.path, request.method
        login = SOAP_LOGIN_PATH.match(path)
        if login and method == "POST":
            self.counters["login.soap"] += 1
            status, text = self.auth.soap_login(request.body, self.base_url,
                                                login.group("version"))
            return text_response(status, text, "text/xml;charset=UTF-8")
        if path.rstrip("/") == "/services/oauth2/token" and method == "POST":
            self.counters["login.oauth"] += 1
            try:
                body = self.auth.oauth_token(request.form(), request.header("Authorization"),
                                             self.base_url)
                return json_response(200, body)
            except OAuthError as error:
                return json_response(error.status, error.body)
        if path.rstrip("/") == "/services/data" and method == "GET":
            self.counters["GET versions"] += 1
            return json_response(200, [{"label": label, "url": f"/services/data/v{version}",
                                        "version": version} for label, version in API_VERSIONS])
        match = DATA_PATH.match(path)
        if not match or not MIN_VERSION <= float(match.group("version")) <= MAX_VERSION:
            raise not_found()
        request.version = match.group("version")
        try:
            request.session = self.auth.check(request.header("Authorization"))
        except ApiError as error:
            return self._with_usage(error_response(error))
        if self.faults.take_concurrent_limit():
            # Same status and code as the daily limit; only the message tells them apart.
            self.counters["concurrent_limit"] += 1
            return self._with_usage(error_response(ApiError(
                403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.")))
        with self._usage_lock:
            limit = self.settings["daily_api_limit"]
            if self.api_used >= limit:
                response = error_response(ApiError(403, "REQUEST_LIMIT_EXCEEDED",
                                                   "TotalRequests Limit exceeded."))
                self.counters["limit_exceeded"] += 1
                return self._with_usage(response)
            self.api_used += 1
        try:
            response = self._route(self.rest_router, request, match.group("rest") or "")
        except ApiError as error:
            response = error_response(error)
        return self._with_usage(response)

    def _with_usage(self, response):
        response.headers["Sforce-Limit-Info"] = (
            f"api-usage={self.api_used}/{self.settings['daily_api_limit']}")
        return response
