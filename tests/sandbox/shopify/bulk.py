"""Bulk operations: ``bulkOperationRunQuery``, ``bulkOperationRunMutation``,
``bulkOperationCancel``, run in a background thread with Shopify's status progression
(CREATED → RUNNING → COMPLETED/FAILED/CANCELED).

A bulk query runs the inner query with unbounded connections and flattens the result to JSONL:
one line per node; nodes of nested connections become their own lines carrying ``__parentId``.
A bulk mutation reads a JSONL file of variables uploaded to a staged target and runs the
mutation once per line; each output line is ``{"data": ..., "__lineNumber": n}``.
Results are served by the sandbox at ``/_sandbox/bulk/{id}.jsonl``.
"""

import json
import threading
import time

from graphql import GraphQLError, OperationDefinitionNode, parse, validate

from .store import parse_gid, utcnow


def _error(field, message, code):
    return {"bulkOperation": None,
            "userErrors": [{"field": field, "message": message, "code": code}]}


def _is_connection(value):
    return isinstance(value, dict) and ("edges" in value or "nodes" in value) and set(
        value) <= {"edges", "nodes", "pageInfo"}


def _connection_nodes(value):
    if "nodes" in value:
        return list(value["nodes"] or [])
    return [edge.get("node") for edge in value.get("edges") or [] if edge.get("node")]


def flatten(data):
    """Turn bulk query data into JSONL rows; returns (rows, root object count)."""
    rows, roots = [], 0

    def emit(node, parent_id):
        row, nested = {}, []
        for key, value in node.items():
            (nested.append(value) if _is_connection(value) else row.__setitem__(key, value))
        if parent_id:
            row["__parentId"] = parent_id
        rows.append(row)
        for connection in nested:
            for child in _connection_nodes(connection):
                emit(child, node.get("id"))

    for value in (data or {}).values():
        if _is_connection(value):
            for node in _connection_nodes(value):
                roots += 1
                emit(node, None)
        elif isinstance(value, dict):
            roots += 1
            emit(value, None)
    return rows, roots


class BulkRunner:
    """Runs bulk operations of one sandbox; ``delay`` paces the status steps (seconds)."""

    def __init__(self, service, store, on_finish=None, delay=0.05):
        self.service = service
        self.store = store
        self.on_finish = on_finish or (lambda record: None)
        self.delay = delay

    def submit(self, kind, text, context, lines=None):
        """Validate and start an operation; returns the payload of the mutation."""
        field = ["query"] if kind == "QUERY" else ["mutation"]
        invalid = "INVALID" if kind == "QUERY" else "INVALID_MUTATION"  # Shopify's two enums
        try:
            document = parse(text)
        except GraphQLError as error:
            return _error(field, f"Invalid bulk {kind.lower()}: {error.message}", invalid)
        problems = validate(self.service.schema_for(context.get("version")), document)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        wanted = "query" if kind == "QUERY" else "mutation"
        if not problems and (len(operations) != 1 or operations[0].operation.value != wanted):
            problems = [GraphQLError(f"Bulk {kind.lower()} must contain exactly one {wanted}")]
        if problems:
            return _error(field, f"Invalid bulk {kind.lower()}: {problems[0].message}",
                          invalid)
        with self.store.lock:
            running = [op for op in self.store.bulk_operations.values()
                       if op["type"] == kind and op["token"] == context["token"]
                       and op["status"] in ("CREATED", "RUNNING", "CANCELING")]
            if running:
                return _error(None, f"A bulk {kind.lower()} operation for this app and shop "
                              f"is already in progress: gid://shopify/BulkOperation/"
                              f"{running[0]['id']}.", "OPERATION_IN_PROGRESS")
            record = self.store.insert(
                "bulk_operations", "BulkOperation", status="CREATED", type=kind, query=text,
                token=context["token"], error_code=None, completed_at=None, object_count=0,
                root_object_count=0, file_size=None, url=None, partial_data_url=None)
        job_context = dict(context, bulk=(kind == "QUERY"), search=[])
        thread = threading.Thread(target=self._run, name=f"bulk-{record['id']}", daemon=True,
                                  args=(record, document, job_context, lines))
        thread.start()
        return {"bulkOperation": record, "userErrors": []}

    def _run(self, record, document, context, lines):
        time.sleep(self.delay)
        if not self._advance(record, "RUNNING"):
            return
        try:
            if record["type"] == "QUERY":
                result = self.service.run(document, {}, None, context)
                if result.errors:
                    code = (result.errors[0].extensions or {}).get("code")
                    raise RuntimeError(code if code == "ACCESS_DENIED"
                                       else "INTERNAL_SERVER_ERROR")
                rows, roots = flatten(result.data)
            else:
                rows = []
                for number, line in enumerate(lines or []):
                    if self._cancelled(record):
                        break
                    result = self.service.run(document, json.loads(line), None, context)
                    row = {"data": result.data, "__lineNumber": number}
                    if result.errors:
                        row["errors"] = [{"message": e.message} for e in result.errors]
                    rows.append(row)
                roots = len(rows)
        except Exception as error:
            self._finish(record, "FAILED", error_code=str(error) if str(error) in (
                "ACCESS_DENIED", "INTERNAL_SERVER_ERROR") else "INTERNAL_SERVER_ERROR")
            return
        time.sleep(self.delay)
        content = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows)
        with self.store.lock:
            self.store.bulk_results[record["id"]] = content.encode()
            record.update(object_count=len(rows), root_object_count=roots,
                          file_size=len(content.encode()) if rows else None,
                          url=f"{context['base_url']}/_sandbox/bulk/{record['id']}.jsonl"
                          if rows else None)
        self._finish(record, "CANCELED" if self._cancelled(record) else "COMPLETED")

    def _cancelled(self, record):
        return record["status"] in ("CANCELING", "CANCELED")

    def _advance(self, record, status):
        with self.store.lock:
            if self._cancelled(record):
                record["status"] = "CANCELED"
                record["completed_at"] = utcnow()
                return False
            record["status"] = status
            return True

    def _finish(self, record, status, error_code=None):
        with self.store.lock:
            record.update(status=status, error_code=error_code, completed_at=utcnow())
        self.on_finish(record)


def bulk_run_query(_root, info, query, groupObjects=False):
    return info.context["bulk_runner"].submit("QUERY", query, info.context)


def bulk_run_mutation(_root, info, mutation, stagedUploadPath, clientIdentifier=None,
                      groupObjects=False):
    store = info.context["store"]
    with store.lock:
        content = store.staged_uploads.get(stagedUploadPath)
    if content is None:
        return _error(["stagedUploadPath"], "The JSONL file could not be found. Try uploading "
                      "the file again, and check that you've entered the URL correctly for the "
                      "stagedUploadPath mutation argument.", "NO_SUCH_FILE")
    lines = [line for line in content.decode().splitlines() if line.strip()]
    return info.context["bulk_runner"].submit("MUTATION", mutation, info.context, lines)


def bulk_cancel(_root, info, id):
    store = info.context["store"]
    with store.lock:
        record = store.bulk_operations.get(parse_gid(id, "BulkOperation"))
        if record is None:
            return {"bulkOperation": None, "userErrors": [
                {"field": ["id"], "message": "Bulk operation does not exist"}]}
        if record["status"] not in ("CREATED", "RUNNING"):
            return {"bulkOperation": record, "userErrors": [
                {"field": None, "message": f"A bulk operation cannot be canceled when it is "
                                           f"{record['status'].lower()}"}]}
        record["status"] = "CANCELING"
        return {"bulkOperation": record, "userErrors": []}


MUTATIONS = {"bulkOperationRunQuery": bulk_run_query,
             "bulkOperationRunMutation": bulk_run_mutation, "bulkOperationCancel": bulk_cancel}
