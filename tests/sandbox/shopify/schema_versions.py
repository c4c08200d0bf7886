"""The sandbox's schema per Admin API version: ``schema.graphql`` minus what that version lacks.

``schema.graphql`` declares everything the sandbox serves in any version.
``schema_versions.json`` lists, per version, the schema coordinates of it that Shopify's
published schema of that version does not have:

- ``Type`` (a whole type), ``Type.field`` (a field or an input field),
- ``Type.field(argument:)`` (an argument), ``Enum.VALUE`` (an enum value).

The table is generated from Shopify's schemas, never written by hand::

    python3 -m tests.contract.sandbox_versions   # rewrites schema_versions.json

and ``tests/unit/test_shopify_sandbox_schema_drift.py`` fails when it is stale. A version
missing from the table is served the whole ``schema.graphql``.
"""

import functools
import json
import pathlib

from graphql import parse

SCHEMA_PATH = pathlib.Path(__file__).with_name("schema.graphql")
VERSIONS_PATH = pathlib.Path(__file__).with_name("schema_versions.json")


@functools.lru_cache(maxsize=1)
def absent_table():
    """``{version: frozenset(coordinates)}`` from ``schema_versions.json``."""
    data = json.loads(VERSIONS_PATH.read_text())
    return {version: frozenset(coordinates) for version, coordinates in data.items()
            if not version.startswith("_")}


def _trim_definition(definition, absent):
    """The definition without its absent fields, arguments, input fields and enum values."""
    name = definition.name.value
    changes = {}
    if getattr(definition, "fields", None) is not None:
        fields = []
        for field in definition.fields:
            where = f"{name}.{field.name.value}"
            if where in absent:
                continue
            arguments = getattr(field, "arguments", None)
            if arguments:
                kept = tuple(a for a in arguments if f"{where}({a.name.value}:)" not in absent)
                if len(kept) != len(arguments):
                    field = _replace(field, arguments=kept)
            fields.append(field)
        changes["fields"] = tuple(fields)
    if getattr(definition, "values", None) is not None:
        changes["values"] = tuple(v for v in definition.values
                                  if f"{name}.{v.name.value}" not in absent)
    return _replace(definition, **changes) if changes else definition


def _replace(node, **changes):
    copy = node.__copy__()
    for key, value in changes.items():
        setattr(copy, key, value)
    return copy


def document_for(version, sdl=None):
    """The parsed SDL served at ``version``."""
    document = parse(sdl if sdl is not None else SCHEMA_PATH.read_text())
    absent = absent_table().get(version)
    if not absent:
        return document
    definitions = tuple(
        _trim_definition(d, absent) if hasattr(d, "name") and d.name is not None else d
        for d in document.definitions
        if not (hasattr(d, "name") and d.name is not None and d.name.value in absent))
    return _replace(document, definitions=definitions)
