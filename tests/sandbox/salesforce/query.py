"""Running a parsed SOQL query against the store, and the query cursors behind queryMore.

``QueryEngine.run`` checks every field against the schema (INVALID_FIELD with Salesforce's
"No such column" message, INVALID_TYPE for an unknown object, literal type mismatches), filters,
sorts and pages. Results longer than the batch size leave a cursor whose ``nextRecordsUrl`` is
``/services/data/vXX.X/query/01g...-2000``; each ``queryMore`` returns the next page.
"""

import re
import threading
from datetime import UTC, datetime, time, timedelta

from . import ids, soql, values
from .errors import ApiError, invalid_field

LITERAL_KINDS = {
    "datetime": ("datetime", "range"), "date": ("date", "range"), "boolean": ("bool",),
    "double": ("number",), "currency": ("number",), "int": ("number",), "percent": ("number",),
}
TYPE_NAMES = {"datetime": "dateTime", "date": "date", "boolean": "boolean", "double": "double",
              "currency": "currency", "int": "int"}


def _column_error(text, position, name, object_name):
    return invalid_field(
        f"\n{text}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\nNo such column "
        f"'{name}' on entity '{object_name}'. If you are attempting to use a custom field, be "
        "sure to append the '__c' after the custom field name. Please reference your WSDL or "
        "the describe call for the appropriate names.", [name])


def _range_bounds(name, count, today):
    """Return [start, end) dates of a date literal such as LAST_N_DAYS:7."""
    if name == "TODAY":
        return today, today + timedelta(days=1)
    if name == "YESTERDAY":
        return today - timedelta(days=1), today
    if name == "TOMORROW":
        return today + timedelta(days=1), today + timedelta(days=2)
    if name == "LAST_N_DAYS":
        return today - timedelta(days=count), today + timedelta(days=1)
    return today + timedelta(days=1), today + timedelta(days=count + 1)


def _like_regex(pattern):
    out, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


class QueryEngine:
    """Compiles and runs queries for one store; keeps the open cursors."""

    def __init__(self, store):
        self.store = store
        self.schema = store.schema
        self.cursors = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ field paths
    def resolve(self, text, object_name, name, position):
        """Return ``(path, field)``: path is [field] or [reference field, parent field]."""
        parts = name.split(".")
        if parts[0].lower() == object_name.lower() and len(parts) > 1:
            parts = parts[1:]
        if len(parts) == 1:
            field = self.schema.field(object_name, parts[0])
            if field is None:
                raise _column_error(text, position, name, object_name)
            return [field], field
        if len(parts) == 2:
            for reference in self.schema.fields(object_name).values():
                relationship = reference.get("relationshipName") or ""
                if reference["type"] == "reference" and relationship.lower() == parts[0].lower():
                    target = reference["referenceTo"][0]
                    field = self.schema.field(target, parts[1])
                    if field is None:
                        raise _column_error(text, position, name, target)
                    return [reference, field], field
        raise invalid_field(f"Didn't understand relationship '{parts[0]}' in field path. "
                            "Only one level of parent relationship is supported by the sandbox.",
                            [name])

    def value(self, record, path):
        if len(path) == 1:
            return record.get(path[0]["name"])
        _, parent = self.store.find_any(record.get(path[0]["name"]))
        return parent.get(path[1]["name"]) if parent else None

    # ------------------------------------------------------------ conditions
    def compile(self, text, object_name, node):
        """Turn a condition tree into a predicate ``record -> bool``."""
        kind = node[0]
        if kind in ("and", "or"):
            parts = [self.compile(text, object_name, child) for child in node[1]]
            combine = all if kind == "and" else any
            return lambda record: combine(part(record) for part in parts)
        if kind == "not":
            inner = self.compile(text, object_name, node[1])
            return lambda record: not inner(record)
        path, field = self.resolve(text, object_name, *node[1])

        def getter(record):
            return values.comparable(field["type"], self.value(record, path))

        if kind == "like":
            if node[2][0] != "string":
                raise invalid_field(f"invalid LIKE pattern for field {field['name']}")
            regex = _like_regex(node[2][1])
            return lambda record: (self.value(record, path) is not None
                                   and bool(regex.match(str(self.value(record, path)))))
        if kind == "in":
            wanted = [self.literal(field, literal) for literal in node[3]]
            negate = node[2]
            return lambda record: (getter(record) in wanted) != negate
        operator, literal = node[2], node[3]
        if literal[0] == "range":
            return self.range_predicate(field, getter, operator, literal[1])
        wanted = self.literal(field, literal)
        return lambda record: self.compare(getter(record), operator, wanted)

    def literal(self, field, literal):
        """Check a literal against the field type and convert it to a comparable value."""
        kind, value = literal
        allowed = LITERAL_KINDS.get(field["type"], ("string",))
        if kind == "null":
            return None
        if kind not in allowed or kind == "range":
            type_name = TYPE_NAMES.get(field["type"], "string")
            quoted = "should not" if type_name != "string" else "must"
            raise invalid_field(f"value of filter criterion for field '{field['name']}' must be "
                                f"of type {type_name} and {quoted} be enclosed in quotes",
                                [field["name"]])
        if kind == "datetime":
            return value
        if kind == "date":
            return value
        if field["type"] in ("id", "reference"):
            full = ids.to_18(value)
            if full is None:
                raise ApiError(400, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value}")
            return full
        return values.comparable(field["type"], value)

    @staticmethod
    def compare(actual, operator, wanted):
        if operator == "=":
            return actual == wanted
        if operator == "!=":
            return actual != wanted
        if actual is None or wanted is None:
            return False
        return {"<": actual < wanted, ">": actual > wanted, "<=": actual <= wanted,
                ">=": actual >= wanted}[operator]

    def range_predicate(self, field, getter, operator, literal):
        today = self.store.now().date()
        start, end = _range_bounds(literal[0], literal[1], today)
        if field["type"] == "datetime":
            start, end = (datetime.combine(day, time(), UTC) for day in (start, end))
        checks = {"=": lambda v: start <= v < end, "!=": lambda v: not start <= v < end,
                  "<": lambda v: v < start, "<=": lambda v: v < end,
                  ">": lambda v: v >= end, ">=": lambda v: v >= start}
        check = checks[operator]
        return lambda record: getter(record) is not None and check(getter(record))

    # ------------------------------------------------------------ running
    def run(self, text, include_deleted, version, batch_size):
        """Run a query and return the first page as the REST response body."""
        query = soql.parse(text)
        object_name = self.schema.resolve_object(query.object_name)
        if object_name is None:
            raise ApiError(400, "INVALID_TYPE",
                           f"\n{text}\n{' ' * query.object_position}^\nERROR at Row:1:Column:"
                           f"{query.object_position + 1}\nsObject type '{query.object_name}' "
                           "is not supported.")
        selected = [self.resolve(text, object_name, name, position)
                    for name, position in query.fields]
        predicate = self.compile(text, object_name, query.where) if query.where else None
        order = [(self.resolve(text, object_name, *name), descending, nulls_last)
                 for name, descending, nulls_last in query.order_by]
        with self.store.lock:
            rows = [record for record in self.store.all(object_name, include_deleted)
                    if predicate is None or predicate(record)]
            for (path, field), descending, nulls_last in reversed(order):
                rows.sort(key=lambda record, p=path, f=field: self._sort_key(
                    record, p, f, nulls_last != descending), reverse=descending)
            rows = rows[query.offset:]
            if query.limit is not None:
                rows = rows[:query.limit]
            if query.count:
                return {"totalSize": len(rows), "done": True, "records": []}
            records = [self.shape(object_name, record, selected, version) for record in rows]
        return self.page(records, version, "queryAll" if include_deleted else "query",
                         batch_size)

    def _sort_key(self, record, path, field, nulls_high):
        value = values.comparable(field["type"], self.value(record, path))
        if value is None:
            return (1 if nulls_high else -1, 0)
        return (0, value)

    def shape(self, object_name, record, selected, version):
        """Build one result record: attributes, then the selected fields in order."""
        out = {"attributes": self.attributes(object_name, record["Id"], version)}
        for path, field in selected:
            if len(path) == 1:
                out[field["name"]] = record.get(field["name"])
                continue
            relationship = path[0]["relationshipName"]
            parent_name, parent = self.store.find_any(record.get(path[0]["name"]))
            if parent is None:
                out.setdefault(relationship, None)
                continue
            nested = out.get(relationship) or {
                "attributes": self.attributes(parent_name, parent["Id"], version)}
            nested[field["name"]] = parent.get(field["name"])
            out[relationship] = nested
        return out

    @staticmethod
    def attributes(object_name, record_id, version):
        return {"type": object_name,
                "url": f"/services/data/v{version}/sobjects/{object_name}/{record_id}"}

    # ------------------------------------------------------------ cursors
    def page(self, records, version, endpoint, batch_size, start=0, locator=None):
        """Return one page; keep a cursor for the rest."""
        end = start + batch_size
        body = {"totalSize": len(records), "done": end >= len(records),
                "records": records[start:end]}
        if end < len(records):
            locator = locator or ids.new_id("01g")[:15]
            with self._lock:
                self.cursors[locator] = (records, version, endpoint, batch_size)
            body["nextRecordsUrl"] = f"/services/data/v{version}/{endpoint}/{locator}-{end}"
        elif locator:
            with self._lock:
                self.cursors.pop(locator, None)
        return body

    def more(self, cursor_text):
        """Return the page named by a ``{locator}-{offset}`` cursor (queryMore)."""
        locator, _, offset = cursor_text.partition("-")
        with self._lock:
            cursor = self.cursors.get(locator)
        if cursor is None or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, version, endpoint, batch_size = cursor
        return self.page(records, version, endpoint, batch_size, int(offset), locator)


