"""``SalesforceSandboxControl``: a thin Python client for the ``/_sandbox/`` control API.

Usable against an embedded sandbox (``sandbox.control``) or one started with
``python -m tests.sandbox.salesforce --port 8702``.
"""

import requests


class SalesforceSandboxControl:
    """Calls the JSON control API of a sandbox at ``base_url`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, base_url, timeout=10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()

    def _call(self, method, path, payload=None, params=None):
        response = self.http.request(method, f"{self.base_url}/_sandbox/{path}", json=payload,
                                     params=params, timeout=self.timeout)
        if response.status_code >= 400:
            raise RuntimeError(f"control {method} {path}: {response.status_code} "
                               f"{response.text}")
        return response.json() if response.content else None

    # ------------------------------------------------------------ state
    def reset(self):
        """Fresh org: default user and standard price book only, no users/apps/faults."""
        return self._call("POST", "reset")

    def state(self):
        return self._call("GET", "state")

    def seed(self, records=None, demo=False, notify=False):
        """Load ``{object: [record, ...]}`` (``_ref``/``@ref`` links) or the demo data set;
        returns ``{"refs": {...}, "ids": {object: [...]}}``."""
        return self._call("POST", "seed", {"records": records or {}, "demo": demo,
                                           "notify": notify})

    def records(self, object_name, include_deleted=False):
        return self._call("GET", f"records/{object_name}",
                          params={"include_deleted": "true" if include_deleted else "false"})

    def record(self, object_name, record_id):
        return self._call("GET", f"records/{object_name}/{record_id}")

    def create_record(self, object_name, values):
        """Create as if a user did it in Salesforce (triggers Outbound Messages)."""
        return self._call("POST", f"records/{object_name}", values)

    def update_record(self, object_name, record_id, values):
        """Update as if a user did it in Salesforce (triggers Outbound Messages)."""
        return self._call("PATCH", f"records/{object_name}/{record_id}", values)

    def delete_record(self, object_name, record_id):
        return self._call("DELETE", f"records/{object_name}/{record_id}")

    def add_field(self, object_name, name, field_type="string", external_id=False,
                  required=False, unique=None):
        """Add a custom field, e.g. ``add_field("Account", "Shop_Id__c", external_id=True)``
        (``unique=False``: an External ID without the Unique attribute)."""
        return self._call("POST", f"schema/{object_name}/fields",
                          {"name": name, "type": field_type, "external_id": external_id,
                           "required": required, "unique": unique})

    # ------------------------------------------------------------ auth
    def add_user(self, username, password=None, security_token="", email=None):
        """A user for SOAP login / password grant, and the ``sub`` of JWT assertions."""
        return self._call("POST", "auth/users", {"username": username, "password": password,
                                                 "security_token": security_token,
                                                 "email": email})

    def add_app(self, consumer_key, consumer_secret=None, certificate=None, run_as=None):
        """A connected app: secret for client credentials / password grant, PEM certificate
        (or public key) for JWT bearer, ``run_as`` username for client credentials."""
        return self._call("POST", "auth/apps", {"consumer_key": consumer_key,
                                                "consumer_secret": consumer_secret,
                                                "certificate": certificate, "run_as": run_as})

    def new_session(self, username=None):
        """Mint a token for direct mode: ``{"access_token", "instance_url"}``."""
        return self._call("POST", "auth/sessions", {"username": username})

    def expire_sessions(self):
        return self._call("POST", "auth/expire")

    # ------------------------------------------------------------ settings and faults
    def settings(self, **values):
        """``session_ttl``, ``daily_api_limit``, ``api_used``, ``query_batch_size``,
        ``outbound_backoff_factor``, ``clock_offset_seconds``."""
        return self._call("POST", "settings", values)

    def faults(self, **values):
        """``latency_ms``, ``lock_next_writes``, ``concurrent_limit_next`` (the next N API calls
        refused as over the concurrent long-running request limit), ``exhaust_limits``,
        ``unavailable`` (+ ``seconds``), ``clear``."""
        return self._call("POST", "faults", values)

    def outage(self, mode="503", seconds=None):
        """``mode``: ``"503"``, ``"refuse"`` (closes the port; give ``seconds``) or ``"none"``."""
        return self._call("POST", "outage", {"mode": mode, "seconds": seconds})

    def counters(self):
        return self._call("GET", "counters")

    def reset_counters(self):
        return self._call("POST", "counters/reset")

    # ------------------------------------------------------------ outbound messages
    def configure_outbound(self, object_name, endpoint_url, fields=None, action_id=None,
                           send_session_id=False, username=None):
        return self._call("POST", "outbound", {"object": object_name,
                                               "endpoint_url": endpoint_url, "fields": fields,
                                               "action_id": action_id,
                                               "send_session_id": send_session_id,
                                               "username": username})

    def remove_outbound(self, object_name):
        return self._call("DELETE", f"outbound/{object_name}")

    def deliveries(self):
        """``{"notifications": [...], "attempts": [...], "configs": [...]}``."""
        return self._call("GET", "outbound/deliveries")
