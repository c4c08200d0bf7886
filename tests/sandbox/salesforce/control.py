"""The JSON control API under ``/_sandbox/``: reset, seed, records, auth, settings, faults,
counters and Outbound Messages. It never needs a session and never counts as an API call.

See README.md for the list of endpoints; ``client.SalesforceSandboxControl`` wraps them.
"""

from datetime import timedelta

from . import seed as seeding
from .errors import ApiError
from .http_types import json_response, no_content

OBJECT = r"(?P<object>[A-Za-z0-9_]+)"


class ControlApi:
    """Handlers of the control routes of one ``Application``."""

    def __init__(self, app):
        self.app = app

    def register(self, router):
        add = router.add
        add("POST", r"reset", self.reset, "reset")
        add("GET", r"state", self.state, "state")
        add("POST", r"seed", self.seed, "seed")
        add("GET", rf"records/{OBJECT}", self.list_records, "records.list")
        add("POST", rf"records/{OBJECT}", self.create_record, "records.create")
        add("GET", rf"records/{OBJECT}/(?P<id>\w+)", self.get_record, "records.get")
        add("PATCH", rf"records/{OBJECT}/(?P<id>\w+)", self.update_record, "records.update")
        add("DELETE", rf"records/{OBJECT}/(?P<id>\w+)", self.delete_record, "records.delete")
        add("POST", rf"schema/{OBJECT}/fields", self.add_field, "schema.addField")
        add("POST", r"auth/users", self.add_user, "auth.users")
        add("POST", r"auth/apps", self.add_app, "auth.apps")
        add("POST", r"auth/sessions", self.new_session, "auth.sessions")
        add("POST", r"auth/expire", self.expire_sessions, "auth.expire")
        add("POST", r"settings", self.settings, "settings")
        add("POST", r"faults", self.faults, "faults")
        add("POST", r"outage", self.outage, "outage")
        add("GET", r"counters", self.counters, "counters")
        add("POST", r"counters/reset", self.reset_counters, "counters.reset")
        add("POST", r"outbound", self.configure_outbound, "outbound.configure")
        add("DELETE", rf"outbound/{OBJECT}", self.remove_outbound, "outbound.remove")
        add("GET", r"outbound/deliveries", self.deliveries, "outbound.deliveries")

    def _body(self, request):
        body = request.json()
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
        return body

    # ------------------------------------------------------------ state
    def reset(self, request):
        self.app.reset()
        return json_response(200, {"reset": True})

    def state(self, request):
        app = self.app
        return json_response(200, {
            "org_id": app.org_id, "base_url": app.base_url, "api_used": app.api_used,
            "settings": dict(app.settings), "session_ttl": app.auth.session_ttl,
            "live_sessions": len(app.auth.sessions),
            "faults": {"latency_ms": app.faults.latency_seconds * 1000,
                       "lock_next_writes": app.faults.lock_next_writes,
                       "unavailable": app.faults.unavailable()},
            "records": {name: len(app.store.all(name)) for name in app.schema.object_names()},
        })

    def seed(self, request):
        body = self._body(request)
        seed = seeding.DEMO_SEED if body.get("demo") else body.get("records", {})
        return json_response(200, seeding.load_seed(self.app.store, seed,
                                                    notify=bool(body.get("notify"))))

    # ------------------------------------------------------------ records
    def _object(self, request):
        return self.app.store.object_name(request.params["object"])

    def list_records(self, request):
        include_deleted = request.query.get("include_deleted", "").lower() in ("1", "true")
        return json_response(200, self.app.store.all(self._object(request), include_deleted))

    def get_record(self, request):
        return json_response(200, self.app.store.get(self._object(request),
                                                     request.params["id"], include_deleted=True))

    def create_record(self, request):
        record = self.app.store.create(self._object(request), self._body(request), trusted=True)
        return json_response(201, record)

    def update_record(self, request):
        record = self.app.store.update(self._object(request), request.params["id"],
                                       self._body(request), trusted=True)
        return json_response(200, record)

    def delete_record(self, request):
        self.app.store.delete(self._object(request), request.params["id"])
        return no_content()

    def add_field(self, request):
        body = self._body(request)
        if not body.get("name"):
            raise ApiError(400, "MISSING_ARGUMENT", "name is required")
        field = self.app.schema.add_field(self._object(request), body["name"],
                                          body.get("type", "string"),
                                          bool(body.get("external_id")),
                                          bool(body.get("required")),
                                          body.get("unique"))
        with self.app.store.lock:
            for record in self.app.store.records[self._object(request)].values():
                record.setdefault(field["name"], None)
        return json_response(200, field)

    # ------------------------------------------------------------ auth
    def add_user(self, request):
        body = self._body(request)
        user_id = self.app.auth.add_user(body["username"], body.get("password"),
                                         body.get("security_token", ""), body.get("email"))
        return json_response(200, {"user_id": user_id, "username": body["username"]})

    def add_app(self, request):
        body = self._body(request)
        self.app.auth.add_app(body["consumer_key"], body.get("consumer_secret"),
                              body.get("certificate"), body.get("run_as"))
        return json_response(200, {"consumer_key": body["consumer_key"]})

    def new_session(self, request):
        token = self.app.auth.issue_for(self._body(request).get("username"))
        return json_response(200, {"access_token": token, "instance_url": self.app.base_url})

    def expire_sessions(self, request):
        return json_response(200, {"expired": self.app.auth.expire_all()})

    # ------------------------------------------------------------ settings and faults
    def settings(self, request):
        body = self._body(request)
        app = self.app
        for key in ("daily_api_limit", "query_batch_size"):
            if key in body:
                app.settings[key] = int(body[key])
        if "api_used" in body:
            app.api_used = int(body["api_used"])
        if "session_ttl" in body:
            app.auth.session_ttl = float(body["session_ttl"])
        if "outbound_backoff_factor" in body:
            app.outbound.backoff_factor = float(body["outbound_backoff_factor"])
        if "clock_offset_seconds" in body:
            app.store.clock_offset = timedelta(seconds=float(body["clock_offset_seconds"]))
        return self.state(request)

    def faults(self, request):
        body = self._body(request)
        faults = self.app.faults
        if "latency_ms" in body:
            faults.latency_seconds = float(body["latency_ms"]) / 1000.0
        if "lock_next_writes" in body:
            faults.lock_next_writes = int(body["lock_next_writes"])
        if "concurrent_limit_next" in body:
            faults.concurrent_limit_next = int(body["concurrent_limit_next"])
        if body.get("exhaust_limits"):
            self.app.api_used = self.app.settings["daily_api_limit"]
        if "unavailable" in body:
            if body["unavailable"]:
                faults.set_unavailable(body.get("seconds"))
            else:
                faults.unavailable_until = None
        if body.get("clear"):
            faults.reset()
        return self.state(request)

    def outage(self, request):
        """``{"mode": "503" | "refuse" | "none", "seconds": n}``; refuse really closes the port."""
        body = self._body(request)
        mode, seconds = str(body.get("mode", "503")), body.get("seconds")
        if mode == "503":
            self.app.faults.set_unavailable(seconds)
        elif mode == "refuse":
            if self.app.refuse_connections is None:
                raise ApiError(400, "NOT_SUPPORTED", "refuse needs the HTTP server")
            self.app.refuse_connections(seconds)
        elif mode == "none":
            self.app.faults.unavailable_until = None
        else:
            raise ApiError(400, "INVALID_MODE", f"unknown outage mode {mode}")
        return json_response(200, {"mode": mode, "seconds": seconds})

    def counters(self, request):
        return json_response(200, dict(self.app.counters))

    def reset_counters(self, request):
        self.app.counters.clear()
        return json_response(200, {})

    # ------------------------------------------------------------ outbound messages
    def configure_outbound(self, request):
        body = self._body(request)
        object_name = self.app.store.object_name(body.get("object", ""))
        config = self.app.outbound.configure(
            object_name, body["endpoint_url"], body.get("fields"), body.get("action_id"),
            body.get("send_session_id", False), body.get("username"))
        return json_response(200, config)

    def remove_outbound(self, request):
        self.app.outbound.remove(self._object(request))
        return no_content()

    def deliveries(self, request):
        return json_response(200, self.app.outbound.deliveries())
