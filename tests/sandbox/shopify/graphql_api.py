"""The GraphQL endpoint's brain: schema, validation, cost, throttling, execution, error shapes.

``GraphQLService.handle`` takes one request body (already authenticated) and returns the JSON
body Shopify would send: ``data``, ``errors`` in Shopify's wording (``undefinedField``,
``argumentNotAccepted``, ``missingRequiredArguments``, ``ACCESS_DENIED``, ``THROTTLED``,
``MAX_COST_EXCEEDED``, ``INTERNAL_SERVER_ERROR``) and always ``extensions.cost``.
"""

import functools
import re
import sys
import threading
import traceback
import uuid

from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    build_ast_schema,
    execute,
    parse,
    validate,
)

from . import (
    bulk,
    draft_orders,
    metafield_definitions,
    mutations_catalog,
    mutations_inventory,
    mutations_orders,
)
from .costs import CostCalculator
from .queries import bind_root_resolvers
from .resolvers import bind_type_resolvers, default_resolver
from .schema_versions import SCHEMA_PATH, document_for
from .store import iso, money

__all__ = ["SCHEMA_PATH", "GraphQLService", "build_admin_schema"]
RATE_LIMIT_DOC = "https://shopify.dev/api/usage/rate-limits"

#: (pattern of a graphql-core message, function building Shopify's message and extensions)
VALIDATION_MESSAGES = (
    (re.compile(r"Cannot query field '(\w+)' on type '(\w+)'"),
     lambda m: (f"Field '{m[1]}' doesn't exist on type '{m[2]}'",
                {"code": "undefinedField", "typeName": m[2], "fieldName": m[1]})),
    (re.compile(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'"),
     lambda m: (f"Field '{m[3]}' doesn't accept argument '{m[1]}'",
                {"code": "argumentNotAccepted", "name": m[3], "typeName": "Field",
                 "argumentName": m[1]})),
    (re.compile(r"Field '(\w+)' argument '(\w+)' of type '.+' is required"),
     lambda m: (f"Field '{m[1]}' is missing required arguments: {m[2]}",
                {"code": "missingRequiredArguments", "className": "Field", "name": m[1],
                 "arguments": m[2]})),
    (re.compile(r"Variable '\$(\w+)'"),
     lambda m: (None, {"code": "INVALID_VARIABLE"})),
)


def build_admin_schema(version=None):
    """Build the schema served at API ``version`` (all of the SDL when None) and attach every
    resolver."""
    schema = build_ast_schema(document_for(version))
    schema.type_map["DateTime"].serialize = iso
    schema.type_map["Money"].serialize = money
    schema.type_map["Decimal"].serialize = money
    schema.type_map["UnsignedInt64"].serialize = lambda value: str(int(value))
    bind_type_resolvers(schema, (metafield_definitions.TYPE_RESOLVERS,
                                 draft_orders.TYPE_RESOLVERS))
    mutations = {}
    for module in (mutations_inventory, mutations_catalog, mutations_orders, bulk,
                   metafield_definitions):
        mutations.update(module.MUTATIONS)
    bind_root_resolvers(schema, mutations,
                        dict(metafield_definitions.QUERIES, **draft_orders.QUERIES))
    return schema


def shape_error(error):
    """Format a graphql-core error the way Shopify words it."""
    formatted = error.formatted
    for pattern, build in VALIDATION_MESSAGES:
        match = pattern.search(error.message)
        if match:
            message, extensions = build(match)
            formatted["message"] = message or formatted["message"]
            formatted["extensions"] = dict(formatted.get("extensions") or {}, **extensions)
            return formatted
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        request_id = str(uuid.uuid4())
        traceback.print_exception(error.original_error, file=sys.stderr)
        return {"message": "Internal error. Looks like something went wrong on our end.\n"
                           f"Request ID: {request_id} (include this in support requests).",
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                "path": formatted.get("path")}
    return formatted


def cost_extension(requested, actual, bucket):
    return {"requestedQueryCost": requested, "actualQueryCost": actual,
            "throttleStatus": bucket.status()}


class Counters:
    """Calls, cost and outcomes per operation name, for the control API and benchmarks; the
    same per access token under ``tokens`` (two apps on one store, e.g. the peer race), with
    the last error message of an operation that had one."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.operations = {}
            self.tokens = {}
            self.http = {}

    def record(self, operation, requested=0, actual=0, outcome="ok", token=None, error=None):
        with self.lock:
            tables = [self.operations]
            if token:
                tables.append(self.tokens.setdefault(token, {}))
            for table in tables:
                entry = table.setdefault(operation, {
                    "calls": 0, "requested_cost": 0, "actual_cost": 0, "outcomes": {}})
                entry["calls"] += 1
                entry["requested_cost"] += requested or 0
                entry["actual_cost"] += actual or 0
                entry["outcomes"][outcome] = entry["outcomes"].get(outcome, 0) + 1
                if error:
                    entry["last_error"] = error

    def record_http(self, key):
        with self.lock:
            self.http[key] = self.http.get(key, 0) + 1

    def snapshot(self):
        with self.lock:
            total = {"calls": sum(e["calls"] for e in self.operations.values()),
                     "actual_cost": sum(e["actual_cost"] for e in self.operations.values())}
            return {"operations": {k: dict(v, outcomes=dict(v["outcomes"]))
                                   for k, v in self.operations.items()},
                    "tokens": {token: {k: dict(v, outcomes=dict(v["outcomes"]))
                                       for k, v in table.items()}
                               for token, table in self.tokens.items()},
                    "http": dict(self.http), "total": total}


def operation_label(document, operation_name):
    """Name used in counters: the operation name, else the first root field."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
                not operation_name or (definition.name and
                                       definition.name.value == operation_name)):
            if definition.name:
                return definition.name.value, definition
            first = definition.selection_set.selections[0]
            return getattr(getattr(first, "name", None), "value", "anonymous"), definition
    return operation_name or "anonymous", None


class GraphQLService:
    """Validate, price, throttle and run Admin API GraphQL requests against a store."""

    def __init__(self, store, throttle, counters):
        self.store = store
        self.throttle = throttle
        self.counters = counters
        self._schemas = {}
        self._schemas_lock = threading.Lock()

    def schema_for(self, version):
        """The schema of API ``version``, built once."""
        with self._schemas_lock:
            if version not in self._schemas:
                self._schemas[version] = build_admin_schema(version)
            return self._schemas[version]

    def run(self, document, variables, operation_name, context):
        """Execute a parsed document without cost accounting (used by bulk operations)."""
        return execute(self.schema_for(context.get("version")), document,
                       variable_values=variables,
                       operation_name=operation_name, context_value=context,
                       field_resolver=default_resolver)

    def handle(self, body, context, force_throttled=False):
        """Answer one GraphQL request body; returns the response JSON (a dict)."""
        bucket = self.throttle.bucket(context["token"])
        record = functools.partial(self.counters.record, token=context.get("token"))
        query, variables = body.get("query"), body.get("variables") or {}
        operation_name = body.get("operationName") or None
        try:
            document = parse(query)
        except GraphQLSyntaxError as error:
            message = error.message.replace("Syntax Error: ", "").rstrip(".")
            location = error.locations[0] if error.locations else None
            where = f" at [{location.line}, {location.column}]" if location else ""
            record("syntax_error", outcome="syntax_error")
            return {"errors": [{"message": f"syntax error, {message}{where}",
                                "locations": [loc._asdict() for loc in error.locations or []]}],
                    "extensions": {"cost": cost_extension(0, 0, bucket)}}
        label, operation = operation_label(document, operation_name)
        schema = self.schema_for(context.get("version"))
        problems = validate(schema, document)
        if not problems and operation is None:
            problems = [GraphQLError(f"Unknown operation named '{operation_name}'.")]
        if problems:
            errors = [shape_error(p) for p in problems]
            record(label, outcome="invalid", error=errors[0].get("message"))
            return {"errors": errors,
                    "extensions": {"cost": cost_extension(0, 0, bucket)}}
        calculator = CostCalculator(schema, document, variables)
        requested = calculator.operation_cost(operation)
        limit = self.throttle.single_query_max_cost
        if requested > limit:
            record(label, requested, 0, "max_cost_exceeded",
                   error=f"Query cost is {requested}, which exceeds the single query max cost "
                         f"limit ({limit}).")
            return {"errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max "
                           f"cost limit ({limit}).\n\nSee {RATE_LIMIT_DOC} for more information "
                           "on how the cost of a query is calculated.\n\nTo query larger "
                           "amounts of data with fewer limits, bulk operations should be used "
                           "instead.",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                               "maxCost": limit, "documentation": RATE_LIMIT_DOC}}],
                "extensions": {"cost": cost_extension(requested, None, bucket)}}
        if force_throttled or not bucket.try_debit(requested):
            record(label, requested, 0, "throttled")
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": RATE_LIMIT_DOC}}],
                "extensions": {"cost": cost_extension(requested, None, bucket)}}
        result = self.run(document, variables, operation_name, context)
        actual = min(requested, calculator.operation_cost(operation, result.data)) \
            if result.data is not None else 0
        bucket.refund(requested - actual)
        response = {}
        errors = [shape_error(e) for e in result.errors or []]
        denied = any((e.get("extensions") or {}).get("code") == "ACCESS_DENIED" for e in errors)
        if result.data is not None or not errors:
            response["data"] = None if denied else result.data
        if errors:
            response["errors"] = errors
            if denied:
                response["data"] = None
        extensions = {"cost": cost_extension(requested, actual, bucket)}
        if context.get("search"):
            extensions["search"] = context["search"]
        response["extensions"] = extensions
        outcome = "ok" if not errors else (
            (errors[0].get("extensions") or {}).get("code") or "error")
        record(label, requested, actual, outcome,
               error=errors[0].get("message") if errors else None)
        return response
