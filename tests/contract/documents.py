"""Every GraphQL document the Shopify connector can send, found from its code.

The addon's Python files (not its tests) are read as syntax trees. A string literal (or
f-string) that starts like an operation (``query Name`` / ``mutation Name``) is a document
part. It must sit in a module-level constant (its value, built at import time, is the
document) or in a module-level function taking ``version`` (called once per API version: a
document that differs per version). A document written anywhere else is reported as escaped,
so that a new document cannot avoid the contract test.
"""

import ast
import dataclasses
import importlib
import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[2]
ADDON = "retail_connector_shopify"
OPERATION = re.compile(r"^\s*(query|mutation|subscription)\s+[A-Za-z_]\w*\s*[({]")


@dataclasses.dataclass(frozen=True)
class Source:
    module: str  # dotted, e.g. retail_connector_shopify.graphql.catalog
    name: str  # constant or function name
    per_version: bool
    line: int


def _literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values
                       if isinstance(part, ast.Constant) and isinstance(part.value, str))
    return None


def _document_literals(tree):
    """Line numbers of the string literals of ``tree`` that start like an operation."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = _literal(node)
        elif isinstance(node, ast.Constant):
            text = _literal(node)
        else:
            continue
        if text and OPERATION.match(text):
            lines.add(node.lineno)
    return lines


def _python_files():
    root = REPO / ADDON
    for path in sorted(root.rglob("*.py")):
        if "tests" not in path.relative_to(root).parts:
            yield path


def scan():
    """``(sources, escaped)``: where documents are defined, and document literals elsewhere
    (``"path:line"``)."""
    sources, escaped = [], []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        found = _document_literals(tree)
        if not found:
            continue
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        covered = set()
        for statement in tree.body:
            inside = found & _document_literals(statement)
            if not inside:
                continue
            if isinstance(statement, ast.Assign | ast.AnnAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) \
                    else [statement.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        sources.append(Source(module, target.id, False, statement.lineno))
                        covered |= inside
            elif isinstance(statement, ast.FunctionDef) and "version" in {
                    arg.arg for arg in statement.args.args}:
                sources.append(Source(module, statement.name, True, statement.lineno))
                covered |= inside
        escaped += [f"{path.relative_to(REPO)}:{line}" for line in sorted(found - covered)]
    return sources, escaped


def import_addon_module(module):
    """Import ``retail_connector_shopify.x`` as Odoo does (``odoo.addons....``)."""
    import odoo.addons

    if str(REPO) not in odoo.addons.__path__:
        odoo.addons.__path__.append(str(REPO))
    return importlib.import_module(f"odoo.addons.{module}")


def documents(version):
    """``{label: text}`` of every document the connector sends at API ``version``.

    A per-version function may return one document or a dict of them."""
    sources, _escaped = scan()
    found = {}
    for source in sources:
        value = getattr(import_addon_module(source.module), source.name)
        label = f"{source.module.rsplit('.', 1)[-1]}.{source.name}"
        if source.per_version:
            value = value(version=version)
        if isinstance(value, dict):
            found.update({f"{label}[{key}]": text for key, text in value.items()})
        elif isinstance(value, str):
            found[label] = value
    return {label: text for label, text in found.items() if OPERATION.match(text)}
