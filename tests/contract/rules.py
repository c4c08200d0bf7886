"""What Shopify's schema of one version says about a document beyond plain validity.

- deprecated fields, arguments, enum values and input fields a document (or the variables
  we send with it) uses;
- mutations whose description says that from some version "the idempotency key is
  required" (``@idempotent(key:)``): read from the schema, not listed by hand;
- input fields whose description says "This field is mandatory" (explicit null allowed);
- search fields of a connection's ``query:`` argument, from its documented filter table.
"""

import re

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    ObjectFieldNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    coerce_input_value,
    get_named_type,
    type_from_ast,
    visit,
)

IDEMPOTENCY_REQUIRED = re.compile(
    r"As of (?:version )?`?(\d{4}-\d{2})`?, the idempotency key is required")
MANDATORY = "This field is mandatory"
SEARCH_FIELD = re.compile(r"^\|\s*([a-z_][a-z0-9_]*)\s*\|", re.MULTILINE)


def idempotency_required_from(schema):
    """``{mutation: first version requiring @idempotent(key:)}`` from the descriptions."""
    required = {}
    for name, field in (schema.mutation_type.fields if schema.mutation_type else {}).items():
        match = IDEMPOTENCY_REQUIRED.search(field.description or "")
        if match:
            required[name] = match[1]
    return required


def missing_idempotency(schema, version, document):
    """Root mutation fields sent without ``@idempotent(key:)`` where ``version`` needs it."""
    required = idempotency_required_from(schema)
    missing = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode) or \
                definition.operation.value != "mutation":
            continue
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            since = required.get(selection.name.value)
            keyed = any(d.name.value == "idempotent" and any(
                a.name.value == "key" for a in d.arguments or ()) for d in selection.directives)
            if since and (version == "unstable" or version >= since) and not keyed:
                missing.append(f"{selection.name.value} needs @idempotent(key:) from {since}")
    return missing


class _Deprecations(Visitor):
    def __init__(self, type_info):
        super().__init__()
        self.type_info = type_info
        self.found = []

    def enter_field(self, node, *_):
        parent = self.type_info.get_parent_type()
        field = self.type_info.get_field_def()
        if field is not None and field.deprecation_reason:
            self.found.append(f"field {parent.name}.{node.name.value}: "
                              f"{field.deprecation_reason}")

    def enter_argument(self, node, *_):
        argument = self.type_info.get_argument()
        field = self.type_info.get_field_def()
        if argument is not None and argument.deprecation_reason:
            self.found.append(f"argument {node.name.value} of {field and field.ast_node}: "
                              f"{argument.deprecation_reason}")

    def enter_object_field(self, node: ObjectFieldNode, *_):
        parent = get_named_type(self.type_info.get_parent_input_type())
        if isinstance(parent, GraphQLInputObjectType):
            field = parent.fields.get(node.name.value)
            if field is not None and field.deprecation_reason:
                self.found.append(f"input field {parent.name}.{node.name.value}: "
                                  f"{field.deprecation_reason}")

    def enter_enum_value(self, node, *_):
        enum = get_named_type(self.type_info.get_input_type())
        if isinstance(enum, GraphQLEnumType):
            value = enum.values.get(node.value)
            if value is not None and value.deprecation_reason:
                self.found.append(f"enum value {enum.name}.{node.value}: "
                                  f"{value.deprecation_reason}")


def deprecated_in_document(schema, document):
    """Deprecated fields, arguments, input fields and enum values the document names."""
    type_info = TypeInfo(schema)
    visitor = _Deprecations(type_info)
    visit(document, TypeInfoVisitor(type_info, visitor))
    return visitor.found


def _walk_value(graphql_type, value, path, found):
    """Deprecated and missing mandatory input fields of one variable value."""
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    if value is None:
        return
    if isinstance(graphql_type, GraphQLList):
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            _walk_value(graphql_type.of_type, item, f"{path}[{index}]", found)
    elif isinstance(graphql_type, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in graphql_type.fields.items():
            where = f"{path}.{name}"
            if name in value:
                if field.deprecation_reason:
                    found.append(f"input field {graphql_type.name}.{name} at {where}: "
                                 f"{field.deprecation_reason}")
                _walk_value(field.type, value[name], where, found)
            elif MANDATORY in (field.description or ""):
                found.append(f"mandatory input field {graphql_type.name}.{name} missing at "
                             f"{where} (pass it, even as null)")
    elif isinstance(graphql_type, GraphQLEnumType) and isinstance(value, str):
        enum_value = graphql_type.values.get(value)
        if enum_value is not None and enum_value.deprecation_reason:
            found.append(f"enum value {graphql_type.name}.{value} at {path}: "
                         f"{enum_value.deprecation_reason}")


def check_variables(schema, document, variables):
    """Problems of ``variables`` sent with ``document``: invalid values, deprecated input
    fields and enum values, mandatory input fields left out."""
    problems = []
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        graphql_type = type_from_ast(schema, definition.type)
        if name not in variables:
            if isinstance(graphql_type, GraphQLNonNull) and definition.default_value is None:
                problems.append(f"variable ${name} ({graphql_type}) is required but not sent")
            continue

        def on_error(path, invalid, error, name=name):
            problems.append(f"variable ${name}{''.join(f'.{p}' for p in path)}: "
                            f"{error.message}")

        coerce_input_value(variables[name], graphql_type, on_error)
        _walk_value(graphql_type, variables[name], f"${name}", problems)
    return problems


def input_types_of(schema, document):
    """Names of the input object types reachable from the document's variables."""
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    seen, todo = set(), [get_named_type(type_from_ast(schema, d.type))
                         for d in operation.variable_definitions or ()]
    while todo:
        graphql_type = todo.pop()
        if isinstance(graphql_type, GraphQLInputObjectType) and graphql_type.name not in seen:
            seen.add(graphql_type.name)
            todo += [get_named_type(f.type) for f in graphql_type.fields.values()]
    return seen


def documented_search_fields(schema, type_name, field_name):
    """Search fields of the ``query:`` argument of ``type_name.field_name``, from its table."""
    field = schema.type_map[type_name].fields[field_name]
    description = field.args["query"].description or ""
    return set(SEARCH_FIELD.findall(description)) - {"name"}
