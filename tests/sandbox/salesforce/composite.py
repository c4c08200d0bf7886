"""sObject Collections (``composite/sobjects``): up to 200 records per call, one API call.

Results are a list in request order; per-record errors use ``statusCode``. With
``allOrNone: true`` the whole request runs in one store transaction: if any record fails,
everything is rolled back and the records that had succeeded report
ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

import contextlib
import json
import re
from urllib.parse import urlsplit

from . import ids
from .errors import ApiError
from .http_types import Request, error_response, json_response

MAX_RECORDS = 200
MAX_SUBREQUESTS = 25
REFERENCE = re.compile(r"@\{(?P<ref>[A-Za-z0-9_]+)\.(?P<path>[A-Za-z0-9_.\[\]]+)\}")
HALTED = [{"errorCode": "PROCESSING_HALTED",
           "message": "The transaction was rolled back since another operation in the same "
                      "transaction failed."}]
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the "
                          "request was using AllOrNone header", "fields": []}


class _Rollback(Exception):
    """Raised inside the transaction to undo an allOrNone request that had a failure."""


def _failure(error, record_id=None):
    result = {"success": False, "errors": [error.as_collection_error()]}
    if record_id:
        result["id"] = record_id
    return result


class CollectionsApi:
    """The ``composite/sobjects`` resources of one ``Application``."""

    def __init__(self, app):
        self.app = app
        self.store = app.store

    def register(self, router):
        router.add("POST", r"composite/sobjects", self.create, "collections.create")
        router.add("PATCH", r"composite/sobjects", self.update, "collections.update")
        router.add("DELETE", r"composite/sobjects", self.delete, "collections.delete")
        router.add("GET", r"composite/sobjects/(?P<object>[A-Za-z0-9_]+)", self.read,
                   "collections.read")
        router.add("PATCH", r"composite/sobjects/(?P<object>[A-Za-z0-9_]+)/(?P<field>\w+)",
                   self.upsert, "collections.upsert")
        router.add("POST", r"composite", self.composite, "composite")

    # ------------------------------------------------------------ plumbing
    def _records(self, request):
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must contain records")
        if len(body["records"]) > MAX_RECORDS:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                                                     "than 200 records into this call")
        return body["records"], bool(body.get("allOrNone", False))

    def _run(self, items, all_or_none, operation):
        """Apply ``operation`` to every item; roll all back when allOrNone and one failed."""
        results = [None] * len(items)
        try:
            with self.store.atomic() if all_or_none else contextlib.nullcontext():
                for index, item in enumerate(items):
                    try:
                        results[index] = operation(item)
                    except ApiError as error:
                        results[index] = _failure(error, item if isinstance(item, str)
                                                  else None)
                if all_or_none and any(not result["success"] for result in results):
                    raise _Rollback()
        except _Rollback:
            results = [result if not result["success"] else
                       {"id": result.get("id"), "success": False, "errors": [dict(ROLLED_BACK)]}
                       for result in results]
        return json_response(200, results)

    def _type_of(self, record):
        attributes = record.get("attributes") if isinstance(record, dict) else None
        if not attributes or not attributes.get("type"):
            raise ApiError(400, "INVALID_FIELD", "No SObject Type defined in the record")
        object_name = self.store.schema.resolve_object(attributes["type"])
        if object_name is None:
            raise ApiError(400, "INVALID_TYPE", f"sObject type '{attributes['type']}' is not "
                                                "supported.")
        return object_name

    def _user(self, request):
        return request.session["user_id"] if request.session else None

    # ------------------------------------------------------------ operations
    def create(self, request):
        records, all_or_none = self._records(request)

        def operation(record):
            object_name = self._type_of(record)
            data = {key: value for key, value in record.items() if key != "attributes"}
            if "Id" in data or "id" in data:
                raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               "cannot specify Id in an insert call", ["Id"])
            self.app.faults.check_lock(None)
            created = self.store.create(object_name, data, self._user(request))
            return {"id": created["Id"], "success": True, "errors": []}
        return self._run(records, all_or_none, operation)

    def update(self, request):
        records, all_or_none = self._records(request)

        def operation(record):
            object_name = self._type_of(record)
            data = {key: value for key, value in record.items()
                    if key not in ("attributes", "id", "Id")}
            record_id = ids.to_18(record.get("id") or record.get("Id") or "")
            if record_id is None:
                raise ApiError(400, "MALFORMED_ID", "Id in record is missing or malformed",
                               ["Id"])
            self.app.faults.check_lock(record_id)
            self.store.update(object_name, record_id, data, self._user(request))
            return {"id": record_id, "success": True, "errors": []}
        return self._run(records, all_or_none, operation)

    def upsert(self, request):
        object_name = self.store.object_name(request.params["object"])
        field = self.store.schema.field(object_name, request.params["field"])
        if field is None or not field["externalId"]:
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                                             f"not accessible: {request.params['field']}")
        records, all_or_none = self._records(request)

        def operation(record):
            if self._type_of(record) != object_name:
                raise ApiError(400, "INVALID_TYPE", "All records must be of type "
                                                    f"{object_name}")
            data = {key: value for key, value in record.items() if key != "attributes"}
            value = data.get(field["name"])
            if value in (None, ""):
                raise ApiError(400, "REQUIRED_FIELD_MISSING",
                               f"Required fields are missing: [{field['name']}]", [field["name"]])
            self.app.faults.check_lock(None)
            saved, created = self.store.upsert(object_name, field["name"], str(value), data,
                                               self._user(request))
            return {"id": saved["Id"], "success": True, "errors": [], "created": created}
        return self._run(records, all_or_none, operation)

    def delete(self, request):
        query = request.query
        record_ids = [value for value in query.get("ids", "").split(",") if value]
        if not record_ids:
            raise ApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
        if len(record_ids) > MAX_RECORDS:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                                                     "than 200 records into this call")
        all_or_none = query.get("allOrNone", "false").lower() == "true"

        def operation(record_id):
            object_name, record = self.store.find_any(record_id)
            if record is None:
                raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
            self.app.faults.check_lock(record["Id"])
            self.store.delete(object_name, record["Id"])
            return {"id": record["Id"], "success": True, "errors": []}
        return self._run(record_ids, all_or_none, operation)

    def read(self, request):
        object_name = self.store.object_name(request.params["object"])
        record_ids = [value for value in request.query.get("ids", "").split(",") if value]
        fields = [value for value in request.query.get("fields", "").split(",") if value]
        if not record_ids or not fields:
            raise ApiError(400, "MISSING_ARGUMENT", "ids and fields parameters are required")
        rest = self.app.rest
        out = []
        for record_id in record_ids:
            try:
                record = self.store.get(object_name, record_id)
            except ApiError:
                out.append(None)
                continue
            out.append(rest.shape(request, object_name, record, fields))
        return json_response(200, out)

    # ------------------------------------------------------------ composite
    def composite(self, request):
        """``/composite``: up to 25 subrequests, ``@{referenceId.field}`` references between
        them, one API call; with allOrNone a failure rolls everything back."""
        body = request.json() or {}
        subrequests = body.get("compositeRequest") or []
        if not subrequests or len(subrequests) > MAX_SUBREQUESTS:
            raise ApiError(400, "INVALID_BATCH_REQUEST",
                           f"compositeRequest must hold 1 to {MAX_SUBREQUESTS} subrequests")
        all_or_none = bool(body.get("allOrNone", False))
        results, bodies = [], {}
        try:
            with self.store.atomic() if all_or_none else contextlib.nullcontext():
                for sub in subrequests:
                    result = self._subrequest(request, sub, bodies)
                    results.append(result)
                    bodies[sub.get("referenceId")] = result["body"]
                if all_or_none and any(item["httpStatusCode"] >= 400 for item in results):
                    raise _Rollback()
        except _Rollback:
            results = [item if item["httpStatusCode"] >= 400 else
                       {**item, "body": HALTED, "httpHeaders": {}, "httpStatusCode": 400}
                       for item in results]
        return json_response(200, {"compositeResponse": results})

    def _subrequest(self, request, sub, bodies):
        def resolve(text):
            def lookup(match):
                value = bodies.get(match.group("ref"))
                for key in match.group("path").replace("]", "").replace("[", ".").split("."):
                    value = value[int(key)] if isinstance(value, list) else (value or {}).get(key)
                if value is None:
                    raise ApiError(400, "INVALID_REFERENCE",
                                   f"Invalid reference specified: {match.group(0)}")
                return str(value)
            return REFERENCE.sub(lookup, text)
        try:
            url = urlsplit(resolve(sub.get("url", "")))
            prefix = f"/services/data/v{request.version}/"
            if not url.path.startswith(prefix):
                raise ApiError(400, "INVALID_URL", f"The url must start with {prefix}")
            payload = sub.get("body")
            data = resolve(json.dumps(payload)).encode() if payload is not None else b""
            inner = Request(method=sub.get("method", "GET").upper(), path=url.path,
                            query_string=url.query, headers=dict(sub.get("httpHeaders") or {}),
                            body=data, version=request.version, session=request.session)
            handler, params, _ = self.app.rest_router.match(inner.method,
                                                            url.path[len(prefix):].strip("/"))
            inner.params = params
            response = handler(inner)
        except ApiError as error:
            response = error_response(error)
        parsed = json.loads(response.body) if response.body else None
        headers = {"Location": parsed["id"]} if response.status == 201 and isinstance(
            parsed, dict) and "id" in parsed else {}
        return {"body": parsed, "httpHeaders": headers, "httpStatusCode": response.status,
                "referenceId": sub.get("referenceId")}
