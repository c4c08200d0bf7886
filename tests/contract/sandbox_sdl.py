"""Shopify's definitions, printed as SDL without descriptions, to add to the sandbox's SDL.

    python3 -m tests.contract.sandbox_sdl 2026-04 CountryCode Customer.addressesV2 ...

prints each named type in full, or one field (with its arguments) of a type, exactly as
Shopify's schema of that version declares it, so that the sandbox's ``schema.graphql`` copies
types and nullability from the source instead of from memory. The drift test
(tests/unit/test_shopify_sandbox_schema_drift.py) holds the result to Shopify's schema.
"""

import sys

from graphql import GraphQLEnumType, print_ast, print_type

from .shopify_schema import admin_schema


def _without_descriptions(graphql_type):
    lines = []
    skipping = False
    for line in print_type(graphql_type).splitlines():
        stripped = line.strip()
        if stripped.startswith('"""'):
            skipping = not (skipping or (stripped.count('"""') == 2 and len(stripped) > 3))
            continue
        if skipping or stripped.startswith('"'):
            continue
        lines.append(line)
    return "\n".join(lines)


def _argument(name, argument):
    default = "" if argument.ast_node is None or argument.ast_node.default_value is None \
        else f" = {print_ast(argument.ast_node.default_value)}"
    return f"{name}: {argument.type}{default}"


def definition(schema, name):
    """SDL of a type (``CountryCode``) or of one field with its arguments
    (``Customer.addressesV2``)."""
    type_name, _, field_name = name.partition(".")
    graphql_type = schema.type_map[type_name]
    if not field_name:
        if isinstance(graphql_type, GraphQLEnumType):
            return f"enum {type_name} {{ {' '.join(graphql_type.values)} }}"
        return _without_descriptions(graphql_type)
    field = graphql_type.fields[field_name]
    arguments = ", ".join(_argument(n, a) for n, a in getattr(field, "args", {}).items())
    arguments = f"({arguments})" if arguments else ""
    return f"{type_name}: {field_name}{arguments}: {field.type}"


def main():
    version, *names = sys.argv[1:]
    schema = admin_schema(version)
    for name in names:
        print(definition(schema, name))


if __name__ == "__main__":
    main()
