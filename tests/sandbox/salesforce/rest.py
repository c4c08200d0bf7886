"""REST resources under ``/services/data/vXX.X/``: sObjects, describe, query, limits.

The shapes and statuses follow salesforce-api.md section 2: create 201 ``{id, success,
errors}``, update and delete 204, upsert 201 (created) or 200 ``created: false`` (204 before
API 46.0), ``updated``/``deleted`` replication windows rounded down to the minute, query pages
with a relative ``nextRecordsUrl``.
"""

from datetime import timedelta
from urllib.parse import unquote, unquote_plus

from . import ids, values
from .errors import ApiError, no_such_column
from .http_types import json_response, no_content

OBJECT = r"(?P<object>[A-Za-z0-9_]+)"
UPDATED_MAX_DAYS = 30
DELETED_MAX_DAYS = 15


def _minute(moment):
    return moment.replace(second=0, microsecond=0)


def _version_number(version):
    try:
        return float(version)
    except ValueError:
        return 0.0


class RestApi:
    """The sObject, query and limits resources of one sandbox ``Application``."""

    def __init__(self, app):
        self.app = app
        self.store = app.store

    def register(self, router):
        add = router.add
        add("GET", r"", self.resources, "resources")
        add("GET", r"sobjects", self.describe_global, "describeGlobal")
        add("GET", rf"sobjects/{OBJECT}", self.metadata, "sobject.metadata")
        add("POST", rf"sobjects/{OBJECT}", self.create, "sobject.create")
        add("GET", rf"sobjects/{OBJECT}/describe", self.describe, "sobject.describe")
        add("GET", rf"sobjects/{OBJECT}/updated", self.updated, "sobject.updated")
        add("GET", rf"sobjects/{OBJECT}/deleted", self.deleted, "sobject.deleted")
        for method, name in (("GET", "get"), ("PATCH", "update"), ("DELETE", "delete")):
            add(method, rf"sobjects/{OBJECT}/(?P<id>[^/]+)", self.by_id, f"sobject.{name}")
        for method, name in (("GET", "get"), ("PATCH", "upsert"), ("DELETE", "delete")):
            add(method, rf"sobjects/{OBJECT}/(?P<field>[A-Za-z0-9_]+)/(?P<value>.+)",
                self.by_external_id, f"sobject.{name}ByExternalId")
        add("GET", r"query", self.query, "query")
        add("GET", r"queryAll", self.query_all, "queryAll")
        add("GET", r"query/(?P<cursor>[^/]+)", self.query_more, "queryMore")
        add("GET", r"queryAll/(?P<cursor>[^/]+)", self.query_more, "queryMore")
        add("GET", r"limits", self.limits, "limits")

    # ------------------------------------------------------------ helpers
    def base_path(self, request):
        return f"/services/data/v{request.version}"

    def shape(self, request, object_name, record, fields=None):
        """A record as returned by GET: ``attributes`` first, then the fields."""
        out = {"attributes": {"type": object_name, "url": f"{self.base_path(request)}/sobjects/"
                                                          f"{object_name}/{record['Id']}"}}
        if fields:
            for name in fields:
                field = self.store.schema.field(object_name, name)
                if field is None:
                    raise no_such_column(name, object_name)
                out[field["name"]] = record.get(field["name"])
            return out
        out.update(record)
        return out

    def user_id(self, request):
        return request.session["user_id"] if request.session else None

    # ------------------------------------------------------------ describe
    def resources(self, request):
        base = self.base_path(request)
        names = ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
        return json_response(200, {name: f"{base}/{name}" for name in names})

    def describe_global(self, request):
        base = self.base_path(request)
        return json_response(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            self.store.schema.summary(name, base) for name in self.store.schema.object_names()]})

    def metadata(self, request):
        object_name = self.store.object_name(request.params["object"])
        return json_response(200, {
            "objectDescribe": self.store.schema.summary(object_name, self.base_path(request)),
            "recentItems": []})

    def describe(self, request):
        object_name = self.store.object_name(request.params["object"])
        return json_response(200, self.store.schema.describe(object_name,
                                                             self.base_path(request)))

    # ------------------------------------------------------------ records
    def create(self, request):
        object_name = self.store.object_name(request.params["object"])
        data = request.json()
        self.app.faults.check_lock(None)
        record = self.store.create(object_name, data, self.user_id(request))
        return json_response(201, {"id": record["Id"], "success": True, "errors": []})

    def by_id(self, request):
        object_name = self.store.object_name(request.params["object"])
        record_id = unquote(request.params["id"])
        full = ids.to_18(record_id)
        if full is None or self.store.schema.object_for_prefix(full[:3]) != object_name:
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                                             f"not accessible: {record_id}")
        if request.method == "GET":
            fields = [name for name in request.query.get("fields", "").split(",") if name]
            record = self.store.get(object_name, full)
            return json_response(200, self.shape(request, object_name, record, fields))
        self.app.faults.check_lock(full)
        if request.method == "PATCH":
            self.store.update(object_name, full, request.json(), self.user_id(request))
        else:
            self.store.delete(object_name, full)
        return no_content()

    def _several(self, request, object_name, matches):
        """HTTP 300 Multiple Choices: a JSON array of the matching records' URLs."""
        return json_response(300, [self.shape(request, object_name, match)["attributes"]["url"]
                                   for match in matches])

    def by_external_id(self, request):
        object_name = self.store.object_name(request.params["object"])
        field_name = request.params["field"]
        value = unquote_plus(request.params["value"])
        field = self.store.schema.field(object_name, field_name)
        if field is None or not (field["externalId"] or field["name"] == "Id"):
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                                             f"not accessible: {field_name}")
        if request.method == "PATCH":
            data = request.json()
            self.app.faults.check_lock(None)
            update_only = request.query.get("updateOnly", "").lower() == "true"
            matches = self.store.find_by(object_name, field["name"], value)
            if len(matches) > 1:  # as for a read: 300 and the URLs of the matching records
                return self._several(request, object_name, matches)
            record, created = self.store.upsert(object_name, field["name"], value, data,
                                                self.user_id(request), update_only)
            body = {"id": record["Id"], "success": True, "errors": [], "created": created}
            if created:
                return json_response(201, body)
            if _version_number(request.version) < 46.0:
                return no_content()
            return json_response(200, body)
        matches = self.store.find_by(object_name, field["name"], value)
        if not matches:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(matches) > 1:
            return self._several(request, object_name, matches)
        if request.method == "GET":
            return json_response(200, self.shape(request, object_name, matches[0]))
        self.app.faults.check_lock(matches[0]["Id"])
        self.store.delete(object_name, matches[0]["Id"])
        return no_content()

    # ------------------------------------------------------------ replication
    def _window(self, request, max_days):
        query = request.query
        bounds = []
        for name in ("start", "end"):
            text = query.get(name, "").replace(" ", "+")
            moment = values.parse_datetime(text)
            if moment is None:
                raise ApiError(400, "INVALID_REPLICATION_DATE",
                               f"{name} must be a valid dateTime: {text}")
            bounds.append(_minute(moment))
        start, end = bounds
        now = self.store.now()
        if end < start:
            raise ApiError(400, "INVALID_REPLICATION_DATE",
                           "EndDate must chronologically follow the StartDate")
        if start < _minute(now) - timedelta(days=max_days):
            raise ApiError(400, "INVALID_REPLICATION_DATE",
                           f"startDate cannot be more than {max_days} days ago")
        return start, min(end, _minute(now))

    def updated(self, request):
        object_name = self.store.object_name(request.params["object"])
        start, latest = self._window(request, UPDATED_MAX_DAYS)
        found = [record["Id"] for record in self.store.all(object_name)
                 if start <= values.parse_datetime(record["SystemModstamp"]) < latest]
        return json_response(200, {"ids": found,
                                   "latestDateCovered": values.format_datetime(latest)})

    def deleted(self, request):
        object_name = self.store.object_name(request.params["object"])
        start, latest = self._window(request, DELETED_MAX_DAYS)
        with self.store.lock:
            log = [entry for entry in self.store.deleted_log if entry[0] == object_name]
        found = [{"id": record_id, "deletedDate": values.format_datetime(when)}
                 for _, record_id, when in log if start <= when < latest
                 and self.store.records[object_name][record_id]["IsDeleted"]]
        earliest = min((when for _, _, when in log), default=latest)
        return json_response(200, {"deletedRecords": found,
                                   "earliestDateAvailable": values.format_datetime(
                                       _minute(earliest)),
                                   "latestDateCovered": values.format_datetime(latest)})

    # ------------------------------------------------------------ query
    def _batch_size(self, request):
        options = request.header("Sforce-Query-Options", "")
        for part in options.split(","):
            key, _, number = part.strip().partition("=")
            if key == "batchSize" and number.isdigit():
                return max(200, min(2000, int(number)))
        return self.app.settings["query_batch_size"]

    def query(self, request, include_deleted=False):
        return json_response(200, self.app.queries.run(
            request.query.get("q", ""), include_deleted, request.version,
            self._batch_size(request)))

    def query_all(self, request):
        return self.query(request, include_deleted=True)

    def query_more(self, request):
        return json_response(200, self.app.queries.more(request.params["cursor"]))

    def limits(self, request):
        limit, used = self.app.settings["daily_api_limit"], self.app.api_used
        return json_response(200, {
            "DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
            "FileStorageMB": {"Max": 20, "Remaining": 20},
        })
