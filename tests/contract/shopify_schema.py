"""Shopify's Admin GraphQL schema per API version, from Shopify's npm package.

Shopify publishes its Admin API schema as introspection JSON in the npm package
``@shopify/dev-mcp`` (``dist/data/admin_<version>.json.gz``). This module fetches the package
with the npm client (``npm pack``), keeps it in a cache OUTSIDE the repository and builds a
graphql-core schema from it. Nothing downloaded is committed.

Cache: ``$RC_CACHE_DIR`` or ``$XDG_CACHE_HOME`` or ``~/.cache``, then
``retail-connector/shopify-dev-mcp/<package version>/``. A missing cache and no registry is a
``SchemaUnavailable`` error (a test failure, never a skip).

    python3 -m tests.contract.shopify_schema            # fetch and list the cached versions
"""

import functools
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import tarfile
import tempfile

from graphql import build_client_schema

PACKAGE = "@shopify/dev-mcp"
#: Pinned so that runs are repeatable: the newest release shipping 2026-04, 2026-07 and
#: 2026-10 (it also ships 2025-10, 2026-01 and unstable). Move it on purpose, with the
#: contract test green.
PACKAGE_VERSION = "1.16.0"
MEMBER = "package/dist/data/admin_{version}.json.gz"
NPM_TIMEOUT = 300


class SchemaUnavailable(RuntimeError):
    """Shopify's schema is neither cached nor obtainable from the npm registry."""


def cache_root():
    base = os.environ.get("RC_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") \
        or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "retail-connector" / "shopify-dev-mcp" / PACKAGE_VERSION


def _tarball(cache):
    found = sorted(cache.glob("*.tgz"))
    return found[0] if found else None


def fetch_package(cache=None):
    """Path of the package tarball in the cache, fetched with ``npm pack`` when missing."""
    cache = pathlib.Path(cache or cache_root())
    tarball = _tarball(cache)
    if tarball:
        return tarball
    npm = shutil.which("npm")
    if not npm:
        raise SchemaUnavailable(
            f"Shopify's schema is not cached in {cache} and the npm client is not installed: "
            f"install npm (or copy {PACKAGE}@{PACKAGE_VERSION}'s tarball into that folder).")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as staging:
        try:
            subprocess.run(
                [npm, "pack", f"{PACKAGE}@{PACKAGE_VERSION}", "--pack-destination", staging,
                 "--silent"],
                check=True, capture_output=True, text=True, timeout=NPM_TIMEOUT, cwd=staging)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            detail = (getattr(error, "stderr", "") or "").strip()[-800:]
            raise SchemaUnavailable(
                f"Shopify's schema is not cached in {cache} and `npm pack {PACKAGE}@"
                f"{PACKAGE_VERSION}` failed (is the npm registry reachable?): {detail}"
            ) from error
        fetched = _tarball(pathlib.Path(staging))
        if not fetched:
            raise SchemaUnavailable(f"`npm pack {PACKAGE}@{PACKAGE_VERSION}` wrote no tarball")
        # Rename into place last, so that an interrupted download leaves no half file.
        target = cache / fetched.name
        os.replace(fetched, target)
    return target


def introspection_path(version, cache=None):
    """The extracted ``admin_<version>.json`` (gunzipped) in the cache."""
    cache = pathlib.Path(cache or cache_root())
    target = cache / f"admin_{version}.json"
    if target.exists():
        return target
    tarball = fetch_package(cache)
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.getmember(MEMBER.format(version=version))
        except KeyError:
            shipped = sorted(
                name.rsplit("admin_", 1)[1].split(".json")[0] for name in archive.getnames()
                if name.startswith("package/dist/data/admin_"))
            raise SchemaUnavailable(
                f"{PACKAGE}@{PACKAGE_VERSION} ships no Admin schema for {version} "
                f"(it ships {', '.join(shipped)})") from None
        raw = gzip.decompress(archive.extractfile(member).read())
    partial = target.with_suffix(".part")
    partial.write_bytes(raw)
    os.replace(partial, target)
    return target


def introspection(version, cache=None):
    """The introspection result (``{"__schema": …}``) of Shopify's Admin API ``version``."""
    data = json.loads(introspection_path(version, cache).read_text())
    return data.get("data", data)


@functools.lru_cache(maxsize=8)
def admin_schema(version):
    """graphql-core ``GraphQLSchema`` of Shopify's Admin API ``version`` (cached per run)."""
    return build_client_schema(introspection(version))


def main():
    import sys

    versions = sys.argv[1:] or ["2026-04", "2026-07", "2026-10"]
    for version in versions:
        schema = admin_schema(version)
        print(f"{version}: {len(schema.type_map)} types, cached in {cache_root()}")


if __name__ == "__main__":
    main()
