"""The one place that talks to Shopify's Admin API: GraphQL over ``requests``.

``ShopifyAdapter(backend)`` builds the endpoint with ShopifyAPI's ``Session`` (it validates the
API version and composes ``https://{shop}/admin/api/{version}``; an override base URL replaces
the scheme and host, for the sandbox), obtains the access token (static, or from the client
credentials grant, cached until shortly before it expires), keeps a shared rate budget per
backend, and turns every failure into the engine's taxonomy:

* THROTTLED, HTTP 429 (``Retry-After``), 5xx, timeouts, connection errors → ``TransientError``
* HTTP 401/402/403/423, ACCESS_DENIED, missing configuration → ``AuthError``
* ``userErrors`` of a mutation, malformed queries, other 4xx → ``DataError``

It imports nothing from the ORM but reads the backend's fields once, in the constructor.
"""

import hashlib
import json
import logging
import re
import threading
import time
from email.utils import parsedate_to_datetime

import requests
import shopify

from odoo.addons.retail_connector.engine import circuit, dry_run
from odoo.addons.retail_connector.errors import AuthError, DataError, TransientError

from . import const
from .graphql import admin
from .rate_budget import RateBudget

_logger = logging.getLogger(__name__)

OPERATION_NAME = re.compile(r"^\s*(?:query|mutation)\s+(\w+)", re.MULTILINE)
MUTATION = re.compile(r"^\s*mutation\b", re.MULTILINE)

_TOKENS_LOCK = threading.RLock()  # re-entered when a 401 drops the token being fetched
_TOKENS = {}  # backend id -> {"fingerprint", "token", "expires_at", "scopes"}


def cached_token_info(backend_id):
    """The cached client-credentials token of a backend (without the token), or None."""
    with _TOKENS_LOCK:
        entry = _TOKENS.get(backend_id)
        return entry and {"expires_at": entry["expires_at"], "scopes": entry["scopes"]}


def parse_retry_after(value):
    """Seconds of a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def error_text(response, limit=500):
    """A readable excerpt of an error body (Shopify's ``errors`` when it is JSON)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip()[:limit] or response.reason or ""
    errors = (
        body.get("errors", body.get("error_description", body)) if isinstance(body, dict) else body
    )
    text = errors if isinstance(errors, str) else json.dumps(errors)
    return text[:limit]


def format_user_errors(user_errors):
    """``field.path: message (CODE)`` of each user error, joined by ``; ``."""
    parts = []
    for error in user_errors:
        field = ".".join(str(p) for p in error.get("field") or []) or "(input)"
        code = f" ({error['code']})" if error.get("code") else ""
        parts.append(f"{field}: {error.get('message')}{code}")
    return "; ".join(parts)


# Longest Retry-After (seconds) a query waits in-process before giving the job back.
QUERY_RETRY_MAX = 10.0


class ShopifyAdapter:
    """GraphQL client of one Shopify backend. Cheap to build: make one per job or button."""

    max_throttle_retries = 3

    def __init__(self, backend, timeout=const.HTTP_TIMEOUT):
        # sudo: credentials are fields reserved to Retail Managers; the jobs' user calls the shop
        # with them
        backend = backend.sudo()
        self.backend_id = backend.id
        self.backend_name = backend.name
        self.shop_domain = (backend.shopify_shop_domain or "").strip()
        self.api_version = (backend.shopify_api_version or const.DEFAULT_API_VERSION).strip()
        self.auth_method = backend.shopify_auth_method or "token"
        self.static_token = backend.shopify_access_token
        self.client_id = backend.shopify_client_id
        self.client_secret = backend.shopify_client_secret
        self.reserve_points = backend.shopify_rate_reserve or 0
        self.timeout = timeout
        # A dry run (see retail_connector.engine.dry_run): writes are refused in _send.
        self.dry_run_context = {dry_run.CONTEXT_KEY: backend.env.context.get(dry_run.CONTEXT_KEY)}
        if not self.shop_domain:
            raise AuthError(f"Backend {self.backend_name}: set the Shopify shop domain.")
        try:
            self.session = shopify.Session(self.shop_domain, self.api_version, self.static_token)
        except shopify.VersionNotFoundError:
            raise AuthError(
                f"Backend {self.backend_name}: API version '{self.api_version}' is not a "
                "Shopify version (YYYY-MM)."
            )
        self.site = self.session.site
        override = (backend.shopify_api_base_url or "").strip().rstrip("/")
        if override:
            self.site = f"{override}/admin/api/{self.api_version}"
        self.shop_base_url = self.site.split("/admin/api/")[0]
        self.graphql_url = f"{self.site}/graphql.json"
        self.budget = RateBudget.for_backend(self.backend_id)
        self.last_headers = {}
        self.last_extensions = {}

    # ------------------------------------------------------------------
    # HTTP
    # ------------------------------------------------------------------
    def _is_write(self, method, url, kwargs):
        """Whether a request changes something in the shop (a mutation, a REST write)."""
        if url == self.graphql_url:
            return bool(MUTATION.search((kwargs.get("json") or {}).get("query") or ""))
        if url == f"{self.shop_base_url}/admin/oauth/access_token":
            return False  # obtaining a token changes nothing in the shop
        return method.upper() not in ("GET", "HEAD", "OPTIONS")

    def _send(self, method, url, what, **kwargs):
        """One HTTP call; network failures and error statuses become RetailErrors.

        Every request of the adapter passes here: during a dry run a write is refused
        before it is sent (:func:`retail_connector.engine.dry_run.guard`).
        """
        write = self._is_write(method, url, kwargs)
        payload = (kwargs.get("json") or {}).get("variables") if write else None
        dry_run.guard(self.dry_run_context, "Shopify", f"{method} {what}", write, payload)
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = requests.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(
                f"Shopify {what}: timed out ({exc})",
                retry_after=const.DEFAULT_RETRY_AFTER["timeout"],
            )
        except requests.RequestException as exc:
            raise TransientError(
                f"Shopify {what}: connection failed ({exc})",
                retry_after=const.DEFAULT_RETRY_AFTER["connection"],
            )
        status = response.status_code
        if status < 400:
            circuit.note_answer()
            return response
        message = f"Shopify {what}: HTTP {status}: {error_text(response)}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise TransientError(
                message,
                retry_after=retry_after or const.DEFAULT_RETRY_AFTER["throttled"],
                status=status,
                server_retry_after=retry_after,
            )
        if status >= 500:
            raise TransientError(
                message,
                retry_after=retry_after or const.DEFAULT_RETRY_AFTER["server_error"],
                status=status,
                server_retry_after=retry_after,
            )
        if status in const.AUTH_STATUSES:
            if status == 401:
                self._forget_token()
            raise AuthError(f"{message} ({const.AUTH_STATUSES[status]})", status=status)
        if status == 404:
            raise AuthError(
                f"{message}: check the shop domain, API version and base URL", status=status
            )
        raise DataError(message, status=status)

    # ------------------------------------------------------------------
    # Access token
    # ------------------------------------------------------------------
    def _fingerprint(self):
        raw = f"{self.shop_base_url}|{self.client_id}|{self.client_secret}"
        return hashlib.sha256(raw.encode()).hexdigest()

    def _forget_token(self):
        with _TOKENS_LOCK:
            _TOKENS.pop(self.backend_id, None)

    def access_token(self):
        """The token of the ``X-Shopify-Access-Token`` header; obtains and caches a
        client-credentials token, refreshed ``TOKEN_REFRESH_MARGIN`` seconds before expiry."""
        if self.auth_method == "token":
            if not self.static_token:
                raise AuthError(f"Backend {self.backend_name}: set the Admin API access token.")
            return self.static_token
        if not (self.client_id and self.client_secret):
            raise AuthError(f"Backend {self.backend_name}: set the client id and secret.")
        fingerprint = self._fingerprint()
        with _TOKENS_LOCK:
            entry = _TOKENS.get(self.backend_id)
            fresh = (
                entry
                and entry["fingerprint"] == fingerprint
                and (entry["expires_at"] - const.TOKEN_REFRESH_MARGIN > time.time())
            )
            if fresh:
                return entry["token"]
            entry = self._request_token(fingerprint)
            _TOKENS[self.backend_id] = entry
            return entry["token"]

    def _request_token(self, fingerprint):
        response = self._send(
            "POST",
            f"{self.shop_base_url}/admin/oauth/access_token",
            "token request",
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            headers={"Accept": "application/json"},
        )
        body = response.json()
        if not body.get("access_token"):
            raise AuthError(f"Shopify token request: no access_token in {error_text(response)}")
        _logger.info("Shopify backend %s: obtained a client-credentials token", self.backend_id)
        return {
            "fingerprint": fingerprint,
            "token": body["access_token"],
            "expires_at": time.time() + float(body.get("expires_in") or 86400),
            "scopes": body.get("scope") or "",
        }

    # ------------------------------------------------------------------
    # GraphQL
    # ------------------------------------------------------------------
    def execute(self, query, variables=None, operation_name=None):
        """Run one GraphQL document; return its ``data`` dict.

        Waits on the rate budget before sending; a THROTTLED answer, and for queries a 5xx or
        429 asking for a short wait, is retried in-process (up to ``max_throttle_retries``
        times) before it becomes a TransientError.
        """
        match = OPERATION_NAME.search(query)
        operation = operation_name or (match.group(1) if match else "anonymous")
        payload = {"query": query, "variables": variables, "operationName": operation_name}
        is_query = not query.lstrip().startswith("mutation")
        for attempt in range(self.max_throttle_retries + 1):
            self._wait_for_budget(operation)
            try:
                body = self._post_graphql(payload, operation)
            except TransientError as error:
                # A read is safe to repeat: ride out a short 5xx/429 in-process so that a
                # catch-up page does not lose its run to one bad answer. The server's
                # Retry-After is honoured; without one, short growing waits.
                wait = self._query_retry_wait(error, attempt)
                if is_query and attempt < self.max_throttle_retries and wait is not None:
                    self._sleep(wait)
                    continue
                raise
            cost = (body.get("extensions") or {}).get("cost")
            self.budget.record(operation, cost)
            errors = body.get("errors")
            if not errors:
                return body.get("data") or {}
            codes = {(e.get("extensions") or {}).get("code") for e in errors}
            if "THROTTLED" in codes:
                wait = self.budget.wait_for_throttled(cost)
                if attempt < self.max_throttle_retries and wait <= const.MAX_BUDGET_SLEEP:
                    self._sleep(max(wait, 0.05))
                    continue
                raise TransientError(f"Shopify {operation}: throttled", retry_after=max(wait, 1.0))
            raise self._graphql_error(operation, errors)
        raise TransientError(f"Shopify {operation}: throttled")  # pragma: no cover

    @staticmethod
    def _query_retry_wait(error, attempt):
        """Seconds to wait before repeating a read after ``error``, or None to give up."""
        if error.details.get("status") is None:
            return None  # timeouts and refused connections: an outage, not a hiccup
        asked = error.details.get("server_retry_after")
        if asked is not None:
            return asked if asked <= QUERY_RETRY_MAX else None
        return 0.5 * (attempt + 1)

    def _wait_for_budget(self, operation):
        wait = self.budget.reserve(operation, self.reserve_points)
        if wait > const.MAX_BUDGET_SLEEP:
            raise TransientError(
                f"Shopify {operation}: rate budget exhausted, retry in {wait:.0f}s",
                retry_after=wait,
            )
        if wait > 0:
            self._sleep(wait)

    def _sleep(self, seconds):
        self.budget.note_wait(seconds)
        time.sleep(seconds)

    def _post_graphql(self, payload, operation):
        headers = {
            "X-Shopify-Access-Token": self.access_token(),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "OdooRetailConnector/18.0",
        }
        response = self._send("POST", self.graphql_url, operation, json=payload, headers=headers)
        self.last_headers = dict(response.headers)
        try:
            body = response.json()
        except ValueError:
            raise TransientError(
                f"Shopify {operation}: the answer is not JSON: {response.text[:200]}",
                retry_after=const.DEFAULT_RETRY_AFTER["server_error"],
            )
        self.last_extensions = body.get("extensions") or {}
        return body

    @staticmethod
    def _graphql_error(operation, errors):
        messages, kinds = [], set()
        for error in errors:
            code = (error.get("extensions") or {}).get("code")
            kinds.add(const.GRAPHQL_ERROR_KINDS.get(code, "data"))
            messages.append(f"{error.get('message')}" + (f" ({code})" if code else ""))
        message = f"Shopify {operation}: " + "; ".join(messages)
        if "auth" in kinds:
            return AuthError(message)
        if "transient" in kinds:
            return TransientError(message, retry_after=const.DEFAULT_RETRY_AFTER["server_error"])
        return DataError(message, errors=errors)

    def mutate(self, query, variables=None):
        """Run a mutation; return its root payload, or raise DataError on ``userErrors``."""
        data = self.execute(query, variables)
        ((root, payload),) = data.items()
        payload = payload or {}
        user_errors = [
            error
            for key, value in payload.items()
            if key.endswith("serErrors") and value
            for error in value
        ]
        if user_errors:
            raise DataError(
                f"Shopify refused {root}: {format_user_errors(user_errors)}",
                user_errors=user_errors,
            )
        return payload

    def paginate(self, query, variables=None, path=None, page_size=const.MAX_PAGE_SIZE):
        """Yield the nodes of a connection page after page (cursor ``after``, ≤250 a page).

        :param path: keys from ``data`` to the connection; default: the only root field.
        """
        variables = dict(variables or {}, first=min(page_size, const.MAX_PAGE_SIZE))
        variables.pop("after", None)
        while True:
            data = self.execute(query, variables)
            connection = data
            for key in path or list(data)[:1]:
                connection = (connection or {}).get(key) or {}
            yield from connection.get("nodes") or []
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            variables["after"] = info["endCursor"]

    # ------------------------------------------------------------------
    # Shop-level calls used by the backend buttons
    # ------------------------------------------------------------------
    def shop_info(self):
        """``shop`` fields: name, myshopifyDomain, plan{publicDisplayName}, currencyCode..."""
        return self.execute(admin.SHOP_INFO)["shop"]

    def granted_scopes(self):
        """The access scopes of the token, or None when Shopify does not say.

        Client-credentials grants report them; for a static token the REST
        ``/admin/oauth/access_scopes.json`` endpoint is asked.
        """
        token = self.access_token()
        info = cached_token_info(self.backend_id)
        if self.auth_method != "token" and info:
            return sorted(s for s in info["scopes"].split(",") if s)
        try:
            response = self._send(
                "GET",
                f"{self.shop_base_url}/admin/oauth/access_scopes.json",
                "access scopes",
                headers={"X-Shopify-Access-Token": token, "Accept": "application/json"},
            )
        except AuthError as error:
            if error.details.get("status") != 404:
                raise
            return None  # not served (e.g. by the sandbox): unknown, not a failure
        return sorted(s["handle"] for s in response.json().get("access_scopes", []))

    def locations(self):
        return list(self.paginate(admin.LOCATIONS))

    def webhook_subscriptions(self):
        return list(self.paginate(admin.WEBHOOK_SUBSCRIPTIONS))

    def create_webhook_subscription(self, topic, callback_url):
        """Subscribe ``topic`` (REST name, e.g. ``orders/create``) to ``callback_url``."""
        variables = admin.webhook_subscription_variables(
            const.WEBHOOK_TOPICS.get(topic) or topic.upper().replace("/", "_"), callback_url)
        return self.mutate(admin.WEBHOOK_SUBSCRIPTION_CREATE, variables)["webhookSubscription"]

    def delete_webhook_subscription(self, subscription_id):
        payload = self.mutate(admin.WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id})
        return payload["deletedWebhookSubscriptionId"]

    def throttle_summary(self):
        return self.budget.describe()
