"""``SalesforceAdapter``: the one place that talks to Salesforce (simple-salesforce + requests).

It logs in with the backend's auth method, keeps the session token per backend in a
process-wide cache (logins are rate-limited: reuse tokens), logs in again once when the
token expired (``INVALID_SESSION_ID``), records the API usage of ``Sforce-Limit-Info`` on the
backend, and turns every failure into the engine's taxonomy (:mod:`retail_connector.errors`):

* ``TransientError``: UNABLE_TO_LOCK_ROW, the concurrent-request REQUEST_LIMIT_EXCEEDED
  (neither opens the circuit), 429/5xx, timeouts, connection failures;
* ``QuotaExceeded``: the daily REQUEST_LIMIT_EXCEEDED (the backend pauses, see
  ``retail.backend._pause_probe``);
* ``AuthError``: rejected credentials, other 401/403;
* ``DataError``: validation errors (REQUIRED_FIELD_MISSING, DUPLICATE_VALUE, INVALID_FIELD,
  NOT_FOUND...), with ``error_code``, ``message`` and ``fields`` in the error's details, and
  HTTP 300 (several records match an external id; ``matches`` lists their URLs).
"""

import hashlib
import logging
import threading
from urllib.parse import urlsplit

import requests
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from simple_salesforce.format import format_external_id

from odoo.addons.retail_connector.engine import dry_run
from odoo.addons.retail_connector.errors import AuthError, DataError, TransientError

from . import const
from .errors import classify_auth_failure, classify_salesforce_error
from .transport import build_session, is_write

_logger = logging.getLogger(__name__)

# (database, backend id) -> {"fingerprint", "session_id", "instance"}; shared by all threads.
_SESSIONS = {}
_SESSIONS_LOCK = threading.Lock()
_LOGIN_LOCKS = {}

# Writes carry this call option so that change events of our own writes can be recognised.
CALL_OPTIONS = "client=odoo-sync"


def forget_session(backend):
    """Drop the cached token of ``backend`` (credentials changed, or a forced re-login)."""
    with _SESSIONS_LOCK:
        _SESSIONS.pop((backend.env.cr.dbname, backend.id), None)


class SalesforceAdapter:
    """Calls of one backend. Cheap to build: a new one per job is fine.

    Every public method returns plain Python data (records without ``attributes``) and raises
    only :class:`~odoo.addons.retail_connector.errors.RetailError` subclasses.
    """

    def __init__(self, backend):
        backend.ensure_one()
        self.backend = backend
        # sudo: credentials are fields reserved to Retail Managers; the jobs' user calls the org
        # with them
        self.settings = backend.sudo()._sf_connection_settings()
        self.http, self.transport = build_session(self.settings["base_url"])
        self.http.headers["Sforce-Call-Options"] = CALL_OPTIONS
        self.http.hooks["response"].append(self._on_response)
        self.dry_run_context = {dry_run.CONTEXT_KEY: backend.env.context.get(dry_run.CONTEXT_KEY)}
        self.http.guard = self._guard
        self.last_status = None
        self.api_usage = None  # (used, max) of the last Sforce-Limit-Info seen
        self._client = None

    # ------------------------------------------------------------------ session
    @property
    def cache_key(self):
        return (self.backend.env.cr.dbname, self.backend.id)

    def _fingerprint(self):
        text = repr(sorted(self.settings.items()))
        return hashlib.sha256(text.encode()).hexdigest()

    def _login_kwargs(self):
        """Keyword arguments of ``SalesforceLogin`` for the backend's auth method."""
        s = self.settings
        kwargs = {"session": self.http, "domain": s["domain"], "sf_version": s["version"]}
        method = s["auth_method"]
        if method == "jwt":
            kwargs.update(
                username=s["username"], consumer_key=s["consumer_key"], privatekey=s["private_key"]
            )
        elif method == "client_credentials":
            kwargs.update(consumer_key=s["consumer_key"], consumer_secret=s["consumer_secret"])
        elif s["consumer_key"] and s["consumer_secret"]:  # OAuth username-password grant
            kwargs.update(
                username=s["username"],
                password=(s["password"] or "") + (s["security_token"] or ""),
                consumer_key=s["consumer_key"],
                consumer_secret=s["consumer_secret"],
            )
        else:  # SOAP login
            kwargs.update(
                username=s["username"],
                password=s["password"] or "",
                security_token=s["security_token"] or "",
            )
        return kwargs

    def login(self, force=False, stale=None):
        """Return ``(session_id, instance)``, logging in unless a valid token is cached.

        ``stale`` is a token Salesforce just refused: another thread may have replaced it
        already, then its new token is used instead of logging in once more.

        :raises AuthError: credentials rejected; ``TransientError``: Salesforce unreachable.
        """
        key, fingerprint = self.cache_key, self._fingerprint()
        with _SESSIONS_LOCK:
            login_lock = _LOGIN_LOCKS.setdefault(key, threading.Lock())
        with login_lock:
            cached = _SESSIONS.get(key)
            if (
                cached
                and cached["fingerprint"] == fingerprint
                and not force
                and cached["session_id"] != stale
            ):
                self.transport.add_instance(cached["instance"])
                return cached["session_id"], cached["instance"]
            # sudo: credentials are fields reserved to Retail Managers; the jobs' user calls the org
            # with them
            self.backend.sudo()._sf_check_settings()
            try:
                session_id, instance = SalesforceLogin(**self._login_kwargs())
            except SalesforceAuthenticationFailed as error:
                raise classify_auth_failure(error) from error
            except requests.RequestException as error:
                raise TransientError(f"Salesforce login unreachable: {error}") from error
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                # an unexpected login reply (an HTML error page, a JSON array during an outage)
                if self.last_status is not None and self.last_status >= 500:
                    raise TransientError(
                        f"Salesforce login failed with HTTP {self.last_status}", retry_after=30
                    ) from error
                raise AuthError(f"Salesforce login failed: {error}") from error
            _SESSIONS[key] = {
                "fingerprint": fingerprint,
                "session_id": session_id,
                "instance": instance,
            }
            self.transport.add_instance(instance)
            self._client = None
            return session_id, instance

    @property
    def client(self):
        """A simple-salesforce client on the cached token (direct mode: we refresh it)."""
        if self._client is None:
            session_id, instance = self.login()
            self._client = Salesforce(
                session_id=session_id,
                instance=instance,
                version=self.settings["version"],
                session=self.http,
            )
        return self._client

    def _guard(self, request):
        """Before every request: a dry run refuses writes (see engine.dry_run)."""
        write = is_write(request)
        path = urlsplit(request.url).path.split("/services/data/", 1)[-1]
        body = request.body
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        dry_run.guard(
            self.dry_run_context, "Salesforce", f"{request.method} {path}", write,
            body if write else None,
        )

    def _on_response(self, response, *_args, **_kwargs):
        self.last_status = response.status_code
        usage = Salesforce.parse_api_usage(response.headers.get("Sforce-Limit-Info") or "")
        if "api-usage" in usage:
            self.api_usage = (usage["api-usage"].used, usage["api-usage"].total)
        return response

    def _call(self, work, description):
        """Run ``work(client)``; log in again once on an expired session; map failures."""
        for attempt in (1, 2):
            try:
                result = work(self.client)
            except SalesforceError as error:
                if attempt == 1 and self._is_expired_session(error):
                    _logger.info(
                        "Salesforce session of backend %s expired: logging in again",
                        self.backend.id,
                    )
                    self.login(stale=self._client.session_id)
                    self._client = None
                    continue
                raise classify_salesforce_error(error, description) from error
            except requests.Timeout as error:
                raise TransientError(f"{description}: Salesforce timed out ({error})") from error
            except requests.RequestException as error:
                raise TransientError(f"{description}: Salesforce unreachable ({error})") from error
            finally:
                self._store_usage()
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _is_expired_session(error):
        if isinstance(error, SalesforceAuthenticationFailed) or error.status != 401:
            return False
        content = error.content if isinstance(error.content, list) else []
        return any(
            item.get("errorCode") == "INVALID_SESSION_ID"
            for item in content
            if isinstance(item, dict)
        )

    def _store_usage(self):
        if self.api_usage:
            self.backend._sf_record_api_usage(*self.api_usage)

    # ------------------------------------------------------------------ reads
    def query(self, soql, include_deleted=False):
        """Return the first page ``{"totalSize", "done", "nextRecordsUrl"?, "records"}``."""
        return self._call(
            lambda sf: sf.query(soql, include_deleted=include_deleted), f"query {soql[:80]}"
        )

    def query_more(self, next_records_url):
        return self._call(
            lambda sf: sf.query_more(next_records_url, identifier_is_url=True), "queryMore"
        )

    def iter_query(self, soql, include_deleted=False):
        """Yield every record of ``soql`` (``attributes`` removed), following queryMore."""
        page = self.query(soql, include_deleted=include_deleted)
        while True:
            for record in page.get("records", []):
                yield strip_attributes(record)
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self.query_more(page["nextRecordsUrl"])

    def query_all(self, soql, include_deleted=False):
        return list(self.iter_query(soql, include_deleted=include_deleted))

    def get(self, object_name, record_id, fields=None):
        """Return the record ``record_id`` (only ``fields`` when given)."""
        params = {"fields": ",".join(fields)} if fields else None
        return strip_attributes(
            self._call(
                lambda sf: getattr(sf, object_name).get(record_id, params=params),
                f"read {object_name} {record_id}",
            )
        )

    def get_by_external_id(self, object_name, field, value):
        return strip_attributes(
            self._call(
                lambda sf: getattr(sf, object_name).get_by_custom_id(field, value),
                f"read {object_name} {field}={value}",
            )
        )

    def limits(self):
        """Return the org's ``/limits`` (``DailyApiRequests`` ``Max``/``Remaining``...)."""
        return self._call(lambda sf: sf.limits(), "limits")

    def describe(self, object_name):
        return self._call(lambda sf: getattr(sf, object_name).describe(), f"describe {object_name}")

    # ------------------------------------------------------------------ writes
    def create(self, object_name, values):
        """Create a record; return its Id."""
        result = self._call(
            lambda sf: getattr(sf, object_name).create(values), f"create {object_name}"
        )
        return result["id"]

    def upsert(self, object_name, field, value, values):
        """Upsert by external id ``field``=``value``; return ``"created"`` or ``"updated"``."""
        path = format_external_id(field, str(value))
        status = self._call(
            lambda sf: getattr(sf, object_name).upsert(path, values),
            f"upsert {object_name} {field}={value}",
        )
        return "created" if status == 201 else "updated"

    def update(self, object_name, record_id, values):
        """Update the record ``record_id`` with ``values``."""
        self._call(
            lambda sf: getattr(sf, object_name).update(record_id, values),
            f"update {object_name} {record_id}",
        )

    # ------------------------------------------------------------------ collections
    def _collection(self, method, path, records, all_or_none, description):
        body = {"allOrNone": all_or_none, "records": records}
        return self._call(lambda sf: sf.restful(path, method=method, json=body), description)

    def collection_create(self, object_name, records, all_or_none=False):
        """Create up to 200 records in one call; return the per-record results."""
        typed = [{"attributes": {"type": object_name}, **record} for record in records]
        return self._collection(
            "POST", "composite/sobjects", typed, all_or_none, f"create {len(records)} {object_name}"
        )

    def collection_update(self, object_name, records, all_or_none=False):
        """Update up to 200 records (each with ``id``/``Id``); return per-record results."""
        typed = [{"attributes": {"type": object_name}, **record} for record in records]
        return self._collection(
            "PATCH",
            "composite/sobjects",
            typed,
            all_or_none,
            f"update {len(records)} {object_name}",
        )

    def collection_upsert(self, object_name, field, records, all_or_none=False):
        """Upsert up to 200 records by external id ``field``; return per-record results."""
        typed = [{"attributes": {"type": object_name}, **record} for record in records]
        return self._collection(
            "PATCH",
            f"composite/sobjects/{object_name}/{field}",
            typed,
            all_or_none,
            f"upsert {len(records)} {object_name}",
        )

    @staticmethod
    def collection_errors(results):
        """Return ``[(index, RetailError)]`` of the failed records of a collection call."""
        failures = []
        for index, result in enumerate(results or []):
            if result.get("success"):
                continue
            errors = result.get("errors") or [{}]
            first = errors[0]
            code = first.get("statusCode") or first.get("errorCode") or "UNKNOWN"
            message = f"{code}: {first.get('message', '')}"
            fields = first.get("fields") or []
            if code in const.TRANSIENT_ERROR_CODES:
                error = TransientError(
                    message,
                    retry_after=const.LOCK_RETRY_SECONDS,
                    circuit=False,
                    error_code=code,
                    fields=fields,
                )
            else:
                error = DataError(message, error_code=code, fields=fields)
            failures.append((index, error))
        return failures

    # ------------------------------------------------------------------ connection check
    def check_connection(self):
        """Log in afresh and return ``{"organization_id", "instance", "user", "api_used",
        "api_max"}`` (the org id is read from the session token, whose first 15 characters
        are the org's id)."""
        forget_session(self.backend)
        session_id, instance = self.login(force=True)
        user = self.settings["username"]
        if user:
            quoted = user.replace("\\", "\\\\").replace("'", "\\'")
            rows = self.query_all(
                f"SELECT Id, Username FROM User WHERE Username = '{quoted}' LIMIT 1"
            )
            user = f"{rows[0]['Username']} ({rows[0]['Id']})" if rows else user
        else:
            user = "run-as user of the connected app (client credentials)"
        daily = self.limits().get("DailyApiRequests") or {}
        api_max = daily.get("Max")
        api_used = api_max - daily["Remaining"] if api_max and "Remaining" in daily else None
        if self.api_usage:  # the header counts the limits call itself
            api_used, api_max = self.api_usage
        return {
            "organization_id": const.to_18_char_id(session_id.split("!")[0][:15]),
            "instance": instance,
            "user": user,
            "api_used": api_used,
            "api_max": api_max,
        }


def strip_attributes(record):
    """Return a record without ``attributes`` (nested parent records too)."""
    if not isinstance(record, dict):
        return record
    return {key: strip_attributes(value) for key, value in record.items() if key != "attributes"}
