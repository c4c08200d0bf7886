"""The peer's (OCA ``shopify_connector``) GraphQL documents held to Shopify's schema and to
what the sandbox serves, at the API version the peer sends.

The peer is installed from PyPI (``tests/bench/requirements-peer.txt``); its documents are
read from the installed package, never copied here. For each module-level document of its
``graphql/`` and ``lib/queries.py``: does Shopify's published schema of that version accept
it (``tests/contract/shopify_schema.py``), and does the sandbox serve it?

    python3 -m tests.bench.peer_contract          # one line per document
"""

import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

DISTRIBUTION = "odoo-addon-shopify-connector"
MODULES = ("graphql/instance.py", "graphql/inventory.py", "graphql/product.py",
           "graphql/order.py", "graphql/fulfillment.py", "graphql/customer.py",
           "lib/queries.py")


class PeerMissing(RuntimeError):
    """The peer is not installed: ``pip install -r tests/bench/requirements-peer.txt``."""


def package_dir():
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError as error:
        raise PeerMissing(
            f"{DISTRIBUTION} is not installed: pip install -r "
            "tests/bench/requirements-peer.txt") from error
    return Path(dist.locate_file("odoo/addons/shopify_connector"))


def peer_version():
    return importlib.metadata.version(DISTRIBUTION)


def api_version():
    """The Admin API version the peer sends (its client's ``API_VERSION``)."""
    text = (package_dir() / "lib" / "client.py").read_text()
    return re.search(r'^API_VERSION = "([^"]+)"', text, re.M)[1]


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_peer_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documents():
    """{"module.CONSTANT": document text} for every GraphQL document constant of the peer."""
    base = package_dir()
    found = {}
    for relative in MODULES:
        module = _load(base / relative)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and re.match(
                    r"\s*(query|mutation|\{)", value):
                found[f"{Path(relative).stem}.{name}"] = value
    return found


def check(version=None):
    """[(label, operation name, Shopify's errors, the sandbox's errors)] at ``version``."""
    from graphql import build_ast_schema, parse, validate

    from tests.contract.shopify_schema import admin_schema
    from tests.sandbox.shopify.schema_versions import document_for

    version = version or api_version()
    shopify, sandbox = admin_schema(version), build_ast_schema(document_for(version))
    rows = []
    for label, text in documents().items():
        document = parse(text)
        definition = document.definitions[0]
        name = definition.name.value if getattr(definition, "name", None) else "(anonymous)"
        rows.append((label, name, [e.message for e in validate(shopify, document)],
                     [e.message for e in validate(sandbox, document)]))
    return rows


def main():
    version = api_version()
    print(f"{DISTRIBUTION} {peer_version()}, Admin API {version}")
    for label, name, shopify, sandbox in check(version):
        verdict = "Shopify OK" if not shopify else f"Shopify REJECTS: {'; '.join(shopify)}"
        served = "sandbox OK" if not sandbox else f"sandbox lacks {len(sandbox)}"
        print(f"{label} ({name}): {verdict}; {served}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main())
