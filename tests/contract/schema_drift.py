"""Differences between a served SDL (the sandbox's) and Shopify's schema of one version.

``drift(served, shopify)`` lists, as readable sentences, everything the served schema declares
that Shopify's does not have with the same kind, type and nullability: types, fields,
arguments, input fields, enum values, interfaces, union members and directives; and the
arguments and input fields Shopify requires that the served schema leaves out (a document
valid on the sandbox would be refused by Shopify). Descriptions are not compared.
"""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    is_required_argument,
    is_required_input_field,
)

KINDS = (
    (GraphQLObjectType, "object"),
    (GraphQLInterfaceType, "interface"),
    (GraphQLUnionType, "union"),
    (GraphQLEnumType, "enum"),
    (GraphQLInputObjectType, "input"),
    (GraphQLScalarType, "scalar"),
)


def kind(graphql_type):
    return next(name for cls, name in KINDS if isinstance(graphql_type, cls))


def _arguments(where, served_args, shopify_args):
    problems = []
    for name, argument in served_args.items():
        theirs = shopify_args.get(name)
        if theirs is None:
            problems.append(f"{where}: argument '{name}' does not exist in Shopify's schema")
        elif str(argument.type) != str(theirs.type):
            problems.append(f"{where}: argument '{name}' is {argument.type}, Shopify's is "
                            f"{theirs.type}")
    for name, theirs in shopify_args.items():
        if name not in served_args and is_required_argument(theirs):
            problems.append(f"{where}: argument '{name}' ({theirs.type}) is required by "
                            "Shopify but missing")
    return problems


def _fields(type_name, served, shopify):
    problems = []
    for name, field in served.fields.items():
        theirs = shopify.fields.get(name)
        where = f"{type_name}.{name}"
        if theirs is None:
            problems.append(f"{where} does not exist in Shopify's schema")
            continue
        if str(field.type) != str(theirs.type):
            problems.append(f"{where} is {field.type}, Shopify's is {theirs.type}")
        problems += _arguments(where, field.args, theirs.args)
    return problems


def _input_fields(type_name, served, shopify):
    problems = []
    for name, field in served.fields.items():
        theirs = shopify.fields.get(name)
        where = f"{type_name}.{name} (input field)"
        if theirs is None:
            problems.append(f"{where} does not exist in Shopify's schema")
        elif str(field.type) != str(theirs.type):
            problems.append(f"{where} is {field.type}, Shopify's is {theirs.type}")
    for name, theirs in shopify.fields.items():
        if name not in served.fields and is_required_input_field(theirs):
            problems.append(f"{type_name}.{name} ({theirs.type}) is a required input field in "
                            "Shopify's schema but missing")
    return problems


def compare_type(name, served, shopify):
    """Problems of one named type (a list of sentences)."""
    if shopify is None:
        return [f"type {name} does not exist in Shopify's schema"]
    if kind(served) != kind(shopify):
        return [f"type {name} is an {kind(served)}, Shopify's is an {kind(shopify)}"]
    problems = []
    if isinstance(served, GraphQLObjectType | GraphQLInterfaceType):
        problems += _fields(name, served, shopify)
        theirs = {i.name for i in shopify.interfaces}
        problems += [f"type {name} implements {i.name}, Shopify's does not"
                     for i in served.interfaces if i.name not in theirs]
    elif isinstance(served, GraphQLInputObjectType):
        problems += _input_fields(name, served, shopify)
    elif isinstance(served, GraphQLEnumType):
        problems += [f"enum {name} has no value {value} in Shopify's schema"
                     for value in served.values if value not in shopify.values]
    elif isinstance(served, GraphQLUnionType):
        theirs = {member.name for member in shopify.types}
        problems += [f"union {name} has no member {member.name} in Shopify's schema"
                     for member in served.types if member.name not in theirs]
    return problems


def drift(served, shopify):
    """Every difference of ``served`` from ``shopify`` (two ``GraphQLSchema``)."""
    problems = []
    roots = ((served.query_type, shopify.query_type),
             (served.mutation_type, shopify.mutation_type))
    renamed = {ours.name: theirs.name for ours, theirs in roots if ours and theirs}
    for name, served_type in sorted(served.type_map.items()):
        if name.startswith("__"):
            continue
        shopify_type = shopify.type_map.get(renamed.get(name, name))
        problems += compare_type(name, served_type, shopify_type)
    for directive in served.directives:
        theirs = shopify.get_directive(directive.name)
        if theirs is None:
            problems.append(f"directive @{directive.name} does not exist in Shopify's schema")
        else:
            problems += _arguments(f"@{directive.name}", directive.args, theirs.args)
    return problems
