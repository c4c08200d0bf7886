"""The Odoo series `make test`, `make demo`, `make bench` and `make reliability` run on, and the
virtual environment each one runs in.

Every series (18, 19) gets its own virtual environment under the project, ``.venv/odoo-18``,
``.venv/odoo-19`` (ignored by git), holding Odoo's own requirements (python-ldap left out), ours
(``requirements.txt``) and the series' own (``requirements-odoo18.txt``: queue_job of that
series). Odoo's source is linked into it with a ``.pth`` file. Nothing is installed into the
Python that runs ``make``.

Where the source of Odoo N.0 comes from, first match wins:

1. ``RC_ODOO<N>_SRC``: a source checkout to use as it is (``ODOO_SRC`` too, when its series is N);
2. ``RC_ODOO<N>_SOURCE``: a git URL or a local git repository; its branch ``RC_ODOO<N>_BRANCH``
   (default ``N.0``) is shallow-cloned once into the cache folder (``RC_CACHE_DIR``, default
   ``~/.cache/retail-connector``) and reused;
3. an Odoo N.0 that the Python running ``make`` already imports (an Odoo installed the usual way);
4. the same shallow clone as 2. from Odoo's official repository.

Settings are read from the environment, then from the per-machine file
``~/.config/retail-connector/odoo.env`` (``KEY=VALUE`` lines; ``RC_SETTINGS`` names another),
never from the repository. ``RC_ODOO_SERIES`` (default ``18``) lists the series to run,
comma-separated; ``RC_VENV_ROOT`` moves the environments (default ``<project>/.venv``).

Standard library only: this runs in whatever Python runs ``make``.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_SOURCE = "https://github.com/odoo/odoo.git"
DEFAULT_SERIES = "18"
# Odoo's requirements that need system libraries and that nothing of ours uses.
SKIPPED_ODOO_REQUIREMENTS = ("python-ldap",)
# Odoo 18/19 pin gevent 22.10, whose build and plugins need an old setuptools.
PIP_CONSTRAINTS = ["setuptools<70"]


class SetupError(Exception):
    """The set-up cannot go on; the message says why and what to do."""


def settings_file():
    explicit = os.environ.get("RC_SETTINGS")
    if explicit:
        return Path(explicit)
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(config_home) / "retail-connector" / "odoo.env"


def read_settings():
    """The per-machine settings file, overridden key by key by the environment."""
    values = {}
    path = settings_file()
    if path.is_file():
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            values[key.strip()] = os.path.expanduser(value.strip().strip("'\""))
    values.update(
        {key: value for key, value in os.environ.items() if key.startswith(("RC_", "ODOO_SRC"))}
    )
    return values


def series_list(settings=None):
    settings = read_settings() if settings is None else settings
    raw = settings.get("RC_ODOO_SERIES") or DEFAULT_SERIES
    names = [name.strip().removesuffix(".0") for name in raw.split(",") if name.strip()]
    for name in names:
        if not name.isdigit():
            raise SetupError(f"RC_ODOO_SERIES: {name!r} is not an Odoo series such as 18 or 19")
    return names


def source_series(path):
    """The series ("18") of the Odoo source at ``path``, or None."""
    release = Path(path) / "odoo" / "release.py"
    if not release.is_file():
        return None
    match = re.search(r"^version_info\s*=\s*\((\d+)\s*,", release.read_text(), re.MULTILINE)
    return match.group(1) if match else None


def _imported_source(series):
    """The source folder of the Odoo that this Python imports, if it is of ``series``."""
    probe = subprocess.run(
        [sys.executable, "-c",
         "import os, odoo.release as r; print(os.path.dirname(os.path.dirname(r.__file__)))"],
        capture_output=True, text=True, cwd="/",
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    )
    path = probe.stdout.strip()
    if probe.returncode == 0 and path and source_series(path) == series:
        return Path(path)
    return None


def cache_dir(settings):
    base = settings.get("RC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "retail-connector"
    )
    return Path(base)


def clone(url, branch, destination):
    """Shallow-clone ``branch`` of ``url`` (a URL or a local git repository) to ``destination``."""
    if os.path.isdir(url):
        url = Path(url).resolve().as_uri()  # a plain path would make git ignore --depth
    if not shutil.which("git"):
        raise SetupError("git is needed to fetch Odoo's source: install git")
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    print(f"Fetching Odoo {branch} from {url} into {destination} (shallow clone, once)...",
          flush=True)
    result = subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, url,
         str(partial)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SetupError(
            f"could not clone branch {branch} of {url}: {result.stderr.strip()}\n"
            f"Set RC_ODOO{branch.split('.')[0]}_SOURCE (a git URL or local git repository) or "
            f"RC_ODOO{branch.split('.')[0]}_SRC (a source checkout) in the environment or in "
            f"{settings_file()}."
        )
    partial.rename(destination)
    return destination


def odoo_source(series, settings=None):
    """Return the path of Odoo ``series``'s source, cloning it when needed (see the module doc)."""
    settings = read_settings() if settings is None else settings
    explicit = settings.get(f"RC_ODOO{series}_SRC")
    if not explicit and settings.get("ODOO_SRC") and source_series(settings["ODOO_SRC"]) == series:
        explicit = settings["ODOO_SRC"]
    if explicit:
        found = source_series(explicit)
        if found != series:
            raise SetupError(f"RC_ODOO{series}_SRC={explicit} is not an Odoo {series}.0 source "
                             f"(found {found or 'no odoo/release.py'})")
        return Path(explicit).resolve()
    branch = settings.get(f"RC_ODOO{series}_BRANCH") or f"{series}.0"
    cached = cache_dir(settings) / f"odoo-{branch}"
    if source_series(cached) == series:
        return cached
    configured = settings.get(f"RC_ODOO{series}_SOURCE")
    if not configured:
        imported = _imported_source(series)
        if imported:
            return imported
    shutil.rmtree(cached, ignore_errors=True)
    clone(configured or OFFICIAL_SOURCE, branch, cached)
    if source_series(cached) != series:
        raise SetupError(
            f"branch {branch} of {configured or OFFICIAL_SOURCE} is not Odoo {series}.0")
    return cached


def venv_root(settings):
    return Path(settings.get("RC_VENV_ROOT") or ROOT / ".venv")


def venv_python(path):
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def requirement_files(series):
    """Our requirement files for ``series``: the common file and the series' own."""
    files = [ROOT / "requirements.txt", ROOT / f"requirements-odoo{series}.txt"]
    return [path for path in files if path.is_file()]


def _odoo_requirements(source, target):
    """Odoo's requirements.txt without the skipped packages, written to ``target``."""
    path = Path(source) / "requirements.txt"
    lines = path.read_text().splitlines() if path.is_file() else []
    kept = [
        line for line in lines if not line.strip().lower().startswith(SKIPPED_ODOO_REQUIREMENTS)
    ]
    target.write_text("\n".join(kept) + "\n")
    return target


def _link_source(site, source, series):
    """Make the environment import Odoo from ``source`` (a ``.pth`` line) and know it as the
    installed distribution ``odoo`` N.0, which OCA addons such as queue_job require; the
    source folder itself is left untouched (it may be shared or read-only)."""
    (site / "retail-connector-odoo.pth").write_text(f"{source}\n")
    for old in site.glob("odoo-*.dist-info"):
        shutil.rmtree(old)
    info = site / f"odoo-{series}.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: odoo\nVersion: {series}.0\n")
    (info / "INSTALLER").write_text("retail-connector\n")
    (info / "RECORD").write_text("")


def _pip(python, *args, log):
    command = [str(python), "-m", "pip", "install", "--quiet", *args]
    result = subprocess.run(command, capture_output=True, text=True)
    log.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if not line.startswith("WARNING:")]
        raise SetupError(f"pip install failed in {python}:\n" + "\n".join(errors[-30:]))


def ensure_venv(series, settings=None, extra_files=None):
    """Create or update ``.venv/odoo-<series>``; return the path of its Python.

    Requirements are installed again only when Odoo's source or a requirement file changed
    (a digest kept in the environment says what was installed).
    """
    settings = read_settings() if settings is None else settings
    source = odoo_source(series, settings)
    files = requirement_files(series) if extra_files is None else extra_files
    path = venv_root(settings) / f"odoo-{series}"
    python = venv_python(path)
    digest = hashlib.sha256(str(source).encode())
    odoo_requirements = Path(source) / "requirements.txt"
    for item in [odoo_requirements, *files]:
        digest.update(item.read_bytes() if item.is_file() else b"")
    digest = digest.hexdigest()
    state_file = path / "retail-connector.json"
    state = json.loads(state_file.read_text()) if state_file.is_file() else {}
    if python.exists() and state.get("digest") == digest:
        return python
    if not python.exists():
        print(f"Creating the virtual environment {path} for Odoo {series}.0...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
    print(f"Installing Odoo {series}.0's requirements and ours into {path}...", flush=True)
    constraints = path / "constraints.txt"
    constraints.write_text("\n".join(PIP_CONSTRAINTS) + "\n")
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())
    _link_source(site, source, series)
    with open(path / "pip-install.log", "w") as log:
        # One resolution for Odoo's pins and ours, so that neither upgrades the other's.
        requirements = [str(item) for item in files]
        if odoo_requirements.is_file():
            requirements.insert(0, str(_odoo_requirements(source, path / "odoo-requirements.txt")))
        if requirements:
            _pip(python, "-c", str(constraints), *PIP_CONSTRAINTS, "wheel", log=log)
            args = [arg for item in requirements for arg in ("-r", item)]
            _pip(python, "-c", str(constraints), *args, log=log)
    state_file.write_text(json.dumps({"digest": digest, "source": str(source)}))
    return python


def run_in_series(series, script, args, settings=None):
    """Run ``script`` with ``args`` in the environment of ``series``; return its exit code."""
    python = ensure_venv(series, settings)
    env = dict(os.environ, RC_ODOO_ACTIVE_SERIES=series)
    return subprocess.run([str(python), str(script), *args], env=env).returncode


def main(argv):
    """``odoo_series.py run SCRIPT [ARGS]``: run SCRIPT in the series being run
    (``RC_ODOO_ACTIVE_SERIES``), else the first configured one (``RC_ODOO_SERIES``);
    ``odoo_series.py python SERIES``: print that series' Python."""
    try:
        if len(argv) >= 2 and argv[0] == "run":
            # Inside a series' run (make demo started by make test's demo test): that series.
            series = os.environ.get("RC_ODOO_ACTIVE_SERIES") or series_list()[0]
            return run_in_series(series, argv[1], argv[2:])
        if len(argv) == 2 and argv[0] == "python":
            print(ensure_venv(argv[1].removesuffix(".0")))
            return 0
    except SetupError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(main.__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
