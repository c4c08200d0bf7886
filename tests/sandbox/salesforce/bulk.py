"""Bulk API 2.0 ingest and query jobs under ``/services/data/vXX.X/jobs/``.

Ingest: create the job (state Open), PUT CSV data (201), PATCH ``UploadComplete``; the sandbox
then processes every row at once through the store (so validation, unique external ids, lock
faults and Outbound Messages behave as for REST) and the job is ``JobComplete``, with
``numberRecordsProcessed``/``numberRecordsFailed`` and the ``successfulResults``,
``failedResults`` and ``unprocessedrecords`` CSVs. Query jobs run the SOQL at creation and
page their CSV with the ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` headers.
"""

import csv
import io
import threading

from . import ids, values
from .errors import ApiError
from .http_types import json_response, no_content, text_response

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
CSV_TYPE = "text/csv"
JOB = r"(?P<job>[A-Za-z0-9]+)"


def _bulk_error(message, code="INVALIDJOB", status=400):
    return ApiError(status, code, message)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_text(header, rows, job):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITERS[job["columnDelimiter"]],
                        lineterminator=LINE_ENDINGS[job["lineEnding"]], quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


class BulkApi:
    """Bulk 2.0 jobs of one ``Application``."""

    def __init__(self, app):
        self.app = app
        self.store = app.store
        self.jobs = {}
        self._lock = threading.Lock()

    def register(self, router):
        router.add("POST", r"jobs/ingest", self.create_ingest, "bulk2.createJob")
        router.add("GET", r"jobs/ingest", self.list_jobs, "bulk2.listJobs")
        router.add("GET", rf"jobs/ingest/{JOB}", self.get_job, "bulk2.getJob")
        router.add("PATCH", rf"jobs/ingest/{JOB}", self.set_state, "bulk2.setState")
        router.add("DELETE", rf"jobs/ingest/{JOB}", self.delete_job, "bulk2.deleteJob")
        router.add("PUT", rf"jobs/ingest/{JOB}/batches", self.upload, "bulk2.upload")
        router.add("GET", rf"jobs/ingest/{JOB}/(?P<kind>successfulResults|failedResults|"
                          r"unprocessedrecords|unprocessedRecords)", self.results, "bulk2.results")
        router.add("POST", r"jobs/query", self.create_query, "bulk2.createQueryJob")
        router.add("GET", rf"jobs/query/{JOB}", self.get_job, "bulk2.getQueryJob")
        router.add("PATCH", rf"jobs/query/{JOB}", self.set_state, "bulk2.setQueryState")
        router.add("DELETE", rf"jobs/query/{JOB}", self.delete_job, "bulk2.deleteQueryJob")
        router.add("GET", rf"jobs/query/{JOB}/results", self.query_results, "bulk2.queryResults")

    def reset(self):
        with self._lock:
            self.jobs.clear()

    # ------------------------------------------------------------ job records
    def _new_job(self, request, body, job_type):
        now = values.format_datetime(self.store.now())
        delimiter = body.get("columnDelimiter") or "COMMA"
        line_ending = body.get("lineEnding") or "LF"
        if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
            raise _bulk_error("Invalid columnDelimiter or lineEnding")
        job_id = ids.new_id("750")
        info = {"id": job_id, "operation": body.get("operation"), "object": body.get("object"),
                "createdById": request.session["user_id"], "createdDate": now,
                "systemModstamp": now, "state": "Open", "concurrencyMode": "Parallel",
                "contentType": "CSV", "apiVersion": float(request.version), "jobType": job_type,
                "lineEnding": line_ending, "columnDelimiter": delimiter,
                "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
                "totalProcessingTime": 0, "apiActiveProcessingTime": 0,
                "apexProcessingTime": 0}
        return info

    def _job(self, request):
        job = self.jobs.get(ids.to_18(request.params["job"]) or "")
        if job is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return job

    def create_ingest(self, request):
        body = request.json() or {}
        if body.get("operation") not in INGEST_OPERATIONS:
            raise _bulk_error(f"Invalid operation: {body.get('operation')}")
        object_name = self.store.schema.resolve_object(body.get("object") or "")
        if object_name is None:
            raise _bulk_error(f"Entity '{body.get('object')}' is not supported by the Bulk API.",
                              "INVALIDENTITY")
        info = self._new_job(request, {**body, "object": object_name}, "V2Ingest")
        if body["operation"] == "upsert":
            field = self.store.schema.field(object_name, body.get("externalIdFieldName") or "")
            if field is None or not (field["externalId"] or field["name"] == "Id"):
                raise _bulk_error("External ID was blank or not an External ID field")
            info["externalIdFieldName"] = field["name"]
        info["contentUrl"] = f"services/data/v{request.version}/jobs/ingest/{info['id']}/batches"
        with self._lock:
            self.jobs[info["id"]] = {"info": info, "data": [], "success": [], "failed": [],
                                     "header": []}
        return json_response(200, info)

    def list_jobs(self, request):
        with self._lock:
            records = [job["info"] for job in self.jobs.values()]
        return json_response(200, {"done": True, "records": records, "nextRecordsUrl": None})

    def get_job(self, request):
        return json_response(200, self._job(request)["info"])

    def delete_job(self, request):
        job = self._job(request)
        if job["info"]["state"] not in ("JobComplete", "Aborted", "Failed", "UploadComplete"):
            raise _bulk_error("Job must be closed before it can be deleted", "INVALIDJOBSTATE")
        with self._lock:
            self.jobs.pop(job["info"]["id"], None)
        return no_content()

    def upload(self, request):
        job = self._job(request)
        if job["info"]["state"] != "Open":
            raise _bulk_error("Job is not open for uploads", "INVALIDJOBSTATE")
        job["data"].append(request.body.decode("utf-8"))
        return text_response(201, "", CSV_TYPE)

    def set_state(self, request):
        job = self._job(request)
        state = (request.json() or {}).get("state")
        current = job["info"]["state"]
        if state == "Aborted" and current in ("Open", "UploadComplete", "InProgress"):
            job["info"]["state"] = "Aborted"
        elif state == "UploadComplete" and current == "Open":
            job["info"]["state"] = "UploadComplete"
            response = json_response(200, dict(job["info"]))
            self._process(job)
            return response
        else:
            raise _bulk_error(f"Invalid state change from {current} to {state}",
                              "INVALIDJOBSTATE")
        return json_response(200, job["info"])

    # ------------------------------------------------------------ ingest processing
    def _rows(self, job):
        info = job["info"]
        rows = []
        for chunk in job["data"]:
            reader = csv.reader(io.StringIO(chunk, newline=""),
                                delimiter=DELIMITERS[info["columnDelimiter"]])
            lines = [line for line in reader if line]
            if not lines:
                continue
            job["header"] = job["header"] or lines[0]
            rows.extend(dict(zip(lines[0], line, strict=False)) for line in lines[1:])
        return rows

    def _process(self, job):
        info = job["info"]
        info["state"] = "InProgress"
        rows = self._rows(job)
        for row in rows:
            try:
                record_id, created = self._apply(info, row)
                job["success"].append((record_id, created, row))
            except ApiError as error:
                fields = ",".join(error.fields)
                message = f"{error.code}:{error.message}:{fields + ' ' if fields else ''}--"
                job["failed"].append((row.get("Id", ""), message, row))
        info["numberRecordsProcessed"] = len(rows)
        info["numberRecordsFailed"] = len(job["failed"])
        info["systemModstamp"] = values.format_datetime(self.store.now())
        info["state"] = "JobComplete"

    def _apply(self, info, row):
        object_name, operation = info["object"], info["operation"]
        user_id = info["createdById"]
        if operation in ("delete", "hardDelete"):
            record_id = ids.to_18(row.get("Id", ""))
            if record_id is None:
                raise ApiError(400, "MALFORMED_ID", f"invalid id: {row.get('Id')}", ["Id"])
            self.app.faults.check_lock(record_id)
            self.store.delete(object_name, record_id)
            return record_id, False
        typed = self.store.coerce_text_row(object_name, row)
        if operation == "insert":
            self.app.faults.check_lock(None)
            return self.store.create(object_name, typed, user_id)["Id"], True
        if operation == "update":
            record_id = typed.pop("Id", None)
            if record_id is None:
                raise ApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call",
                               ["Id"])
            self.app.faults.check_lock(record_id)
            return self.store.update(object_name, record_id, typed, user_id)["Id"], False
        field = info["externalIdFieldName"]
        value = typed.pop(field, None)
        self.app.faults.check_lock(None)
        record, created = self.store.upsert(object_name, field, value if field == "Id" else
                                            (str(value) if value is not None else ""),
                                            typed, user_id)
        return record["Id"], created

    def results(self, request):
        job = self._job(request)
        kind = request.params["kind"]
        header = job["header"]
        if kind == "successfulResults":
            rows = [[record_id, "true" if created else "false", *[row.get(name, "")
                                                                    for name in header]]
                    for record_id, created, row in job["success"]]
            text = _csv_text(["sf__Id", "sf__Created", *header], rows, job["info"])
        elif kind == "failedResults":
            rows = [[record_id, message, *[row.get(name, "") for name in header]]
                    for record_id, message, row in job["failed"]]
            text = _csv_text(["sf__Id", "sf__Error", *header], rows, job["info"])
        else:
            pending = [] if job["info"]["state"] == "JobComplete" else self._rows(job)
            text = _csv_text(header, [[row.get(name, "") for name in header] for row in pending],
                             job["info"])
        return text_response(200, text, CSV_TYPE)

    # ------------------------------------------------------------ query jobs
    def create_query(self, request):
        body = request.json() or {}
        if body.get("operation") not in ("query", "queryAll"):
            raise _bulk_error(f"Invalid operation: {body.get('operation')}")
        result = self.app.queries.run(body.get("query", ""), body["operation"] == "queryAll",
                                      request.version, batch_size=10 ** 9)
        info = self._new_job(request, body, "V2Query")
        records = result["records"]
        header = [key for key in (records[0] if records else {}) if key != "attributes"]
        rows = []
        for record in records:
            row = []
            for key in header:
                value = record.get(key)
                if isinstance(value, dict):
                    row.extend(_cell(item) for name, item in value.items() if name != "attributes")
                else:
                    row.append(_cell(value))
            rows.append(row)
        flat_header = []
        for key in header:
            value = records[0][key]
            flat_header.extend([f"{key}.{name}" for name in value if name != "attributes"]
                               if isinstance(value, dict) else [key])
        info.update(state="JobComplete", query=body.get("query"),
                    numberRecordsProcessed=len(rows))
        info["object"] = None
        with self._lock:
            self.jobs[info["id"]] = {"info": info, "rows": rows, "header": flat_header}
        return json_response(200, info)

    def query_results(self, request):
        job = self._job(request)
        query = request.query
        start = int(query["locator"]) if query.get("locator", "").isdigit() else 0
        size = int(query["maxRecords"]) if query.get("maxRecords", "").isdigit() else 50000
        page = job["rows"][start:start + size]
        end = start + len(page)
        locator = str(end) if end < len(job["rows"]) else "null"
        return text_response(200, _csv_text(job["header"], page, job["info"]), CSV_TYPE,
                             {"Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": locator})
