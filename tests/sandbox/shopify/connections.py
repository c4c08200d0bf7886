"""Cursor pagination and the ``query:`` search syntax of Shopify connections.

``paginate`` turns a list of records into ``{edges, nodes, pageInfo}`` with opaque cursors
that encode the sort value and id (so a page boundary survives inserts). ``search`` applies a
``query:`` string such as ``updated_at:>'2025-01-01T00:00:00Z' sku:TSHIRT-BLUE-M``; like
Shopify, a malformed filter does not raise: it matches nothing and leaves a warning that the
server returns under ``extensions.search``.
"""

import base64
import datetime
import json
import re
import shlex

from graphql import GraphQLError

MAX_PAGE_SIZE = 250
TERM = re.compile(r"^(?P<neg>-)?(?P<field>[a-z_]+):(?P<op><=|>=|<|>|=)?(?P<value>.*)$")


def _sortable(value):
    """Map a sort value to a string whose lexical order is the value order."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return f"{value:025d}"
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, float):
        return f"{value:025.4f}"
    try:
        return f"{float(value):025.4f}" if re.fullmatch(r"-?\d+\.\d+", str(value)) else \
            str(value).lower()
    except ValueError:
        return str(value).lower()


def encode_cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor):
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return [str(key[0]), int(key[1])]
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise GraphQLError("Invalid cursor for current pagination sort.") from error


def paginate(records, args, context, sort_value=None):
    """Slice ``records`` by ``first/after/last/before`` and shape a connection.

    ``sort_value(record)`` gives the sort key (default: id); ``args["reverse"]`` flips it.
    Bulk operations (``context["bulk"]``) may omit ``first``/``last`` and get everything.
    """
    first, last = args.get("first"), args.get("last")
    if first is None and last is None and not context.get("bulk"):
        raise GraphQLError("you must provide one of first or last")
    for name, value in (("first", first), ("last", last)):
        if value is not None and (value > MAX_PAGE_SIZE or value < 0):
            raise GraphQLError(f"The {name} argument must be between 0 and {MAX_PAGE_SIZE}",
                               extensions={"code": "BAD_REQUEST"})
    sort_value = sort_value or (lambda record: record.get("id"))
    keyed = sorted(((_sortable(sort_value(r)), r.get("id") or 0), r) for r in records)
    if args.get("reverse"):
        keyed.reverse()
    descending = bool(args.get("reverse"))

    def after(key, bound):
        return key < bound if descending else key > bound

    if args.get("after"):
        bound = tuple(decode_cursor(args["after"]))
        has_previous = any(not after(k, bound) for k, _ in keyed)
        keyed = [(k, r) for k, r in keyed if after(k, bound)]
    else:
        has_previous = False
    has_next = False
    if args.get("before"):
        bound = tuple(decode_cursor(args["before"]))
        has_next = any(not after(bound, k) for k, _ in keyed)
        keyed = [(k, r) for k, r in keyed if after(bound, k)]
    if first is not None:
        has_next = has_next or len(keyed) > first
        keyed = keyed[:first]
    if last is not None:
        has_previous = has_previous or len(keyed) > last
        keyed = keyed[-last:] if last else []
    edges = [{"cursor": encode_cursor(list(key)), "node": record} for key, record in keyed]
    return {
        "edges": edges,
        "nodes": [edge["node"] for edge in edges],
        "pageInfo": {
            "hasNextPage": has_next, "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _parse_time(value):
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00Z"
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _compare(actual, op, expected):
    if op in ("", "="):
        if isinstance(expected, int):
            return actual == expected
        if isinstance(actual, list):
            return any(_compare(item, op, expected) for item in actual)
        text = "" if actual is None else str(actual).lower()
        wanted = expected.lower()
        return text.startswith(wanted[:-1]) if wanted.endswith("*") else text == wanted
    if actual is None:
        return False
    if isinstance(actual, datetime.datetime):
        actual = actual.replace(microsecond=0)  # Shopify timestamps have second resolution
    return {">": actual > expected, ">=": actual >= expected, "<": actual < expected,
            "<=": actual <= expected}[op]


OPERATORS = {">": "range_gt", ">=": "range_gte", "<": "range_lt", "<=": "range_lte"}


def search(records, query, fields, context, path):
    """Filter records with a Shopify search string.

    ``fields`` maps a search field name to ``getter(record)``; fields whose getter returns a
    datetime compare as times, ints as numbers, everything else as case-insensitive text.
    Unknown fields and unparsable values add a warning and match nothing.
    """
    if not query or not query.strip():
        return list(records)
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    predicates, parsed, warnings = [], [], []
    for token in tokens:
        if token.upper() in ("AND",):
            continue
        match = TERM.match(token)
        if not match:
            text = token.lower()
            predicates.append(lambda r, text=text: text in str(fields["default"](r)).lower())
            parsed.append({"field": "default", "match_all": token})
            continue
        field, op, value = match["field"], match["op"] or "", match["value"]
        getter = fields.get(field)
        if getter is None:
            warnings.append({"field": field, "message": "Invalid search field for this query.",
                             "code": "invalid_field"})
            continue
        expected = value
        if field.endswith("_at"):
            try:
                expected = _parse_time(value)
            except ValueError:
                warnings.append({"field": field, "message": f"Invalid date value: {value}",
                                 "code": "invalid_value"})
                continue
            op = op if op not in ("", "=") else ">="  # a bare date means "from then on"
        elif field == "id" or field.endswith("_id"):
            expected = int(re.sub(r"\D", "", value) or 0)
        predicates.append(lambda r, g=getter, o=op, e=expected, neg=match["neg"]:
                          bool(neg) != _compare(g(r), o, e))
        parsed.append({"field": field, OPERATORS.get(op, "match_all"): value})
    context.setdefault("search", []).append({
        "path": list(path), "query": query,
        "parsed": parsed[0] if len(parsed) == 1 else {"and": parsed},
        **({"warnings": warnings} if warnings else {})})
    if warnings:
        return []
    return [r for r in records if all(p(r) for p in predicates)]
