"""Export the addons for one Odoo series: ``python3 scripts/release.py 19 DEST``.

The code base is one for every series (differences live in ``retail_connector/compat.py``);
only the manifests' ``version`` follows OCA's convention of the branch it is published on
(``18.0.x.y.z`` on 18.0, ``19.0.x.y.z`` on 19.0), and Odoo refuses a module whose version names
another series. This copies the three addons to DEST with the series part of each manifest's
version replaced, which is how a 19.0 release is cut (see docs/odoo-series.md) and how
`make test` runs them on a series other than the manifests' own.
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["retail_connector", "retail_connector_shopify", "retail_connector_salesforce"]
VERSION = re.compile(r"""(["']version["']\s*:\s*["'])(\d+\.\d+)(\.[\d.]+["'])""")


def manifest_series(addon="retail_connector", root=ROOT):
    """The series ("18") the manifests of ``root`` are written for."""
    match = VERSION.search((Path(root) / addon / "__manifest__.py").read_text())
    return match.group(2).split(".")[0]


def retarget(text, series):
    """A manifest's text with its version moved to ``series`` (``18.0.1.2.0`` -> ``19.0.1.2.0``)."""
    new, count = VERSION.subn(lambda m: f"{m.group(1)}{series}.0{m.group(3)}", text)
    if count != 1:
        raise ValueError("a manifest must have exactly one version of the form N.0.x.y.z")
    return new


def export(series, destination, root=ROOT):
    """Copy the addons of ``root`` into ``destination`` (replaced) for ``series``."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    for addon in ADDONS:
        target = destination / addon
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(
            Path(root) / addon, target, ignore=shutil.ignore_patterns("__pycache__", "*.py[co]")
        )
        manifest = target / "__manifest__.py"
        manifest.write_text(retarget(manifest.read_text(), series))
    return destination


def main(argv):
    if len(argv) != 2 or not argv[0].removesuffix(".0").isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    series = argv[0].removesuffix(".0")
    export(series, argv[1])
    print(f"Addons for Odoo {series}.0 exported to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
