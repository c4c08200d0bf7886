"""Where Odoo, its addons and PostgreSQL are, for the test, demo and bench scripts.

These scripts run in the virtual environment of one Odoo series (``.venv/odoo-18``, made by
``scripts/odoo_series.py``, which `make` calls), where ``import odoo`` works;
``RC_ODOO_ACTIVE_SERIES`` (set by it, default 18) says which series that is. Run by hand in
another Python, ``import odoo`` must work there (or ``ODOO_SRC`` names a source checkout).
PostgreSQL is a prerequisite.
Settings come from the environment: ``PGHOST`` (127.0.0.1), ``PGPORT`` (5432), ``RC_DB_USER``
(odoo), ``RC_DB_PASSWORD`` (empty), ``RC_DB_ADMIN_USER`` (postgres) and
``RC_DB_ADMIN_PASSWORD`` (or libpq's ``PGPASSWORD``), used to create the role when it is missing
and to create and drop databases.
"""

import fcntl
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ["retail_connector", "retail_connector_shopify", "retail_connector_salesforce"]
BASE_MODULES = ["sale_stock", "account", "queue_job"]
SERIES = os.environ.get("RC_ODOO_ACTIVE_SERIES", "18").removesuffix(".0")
ODOO_MISSING = """\
Odoo {series}.0 cannot be imported by {python}.
Run the suite through make (make test, make demo): it builds .venv/odoo-{series} with Odoo's
source (see the README, "Odoo series and their set-up"). By hand, use that environment's
Python, or set ODOO_SRC=<path of an Odoo {series}.0 source checkout>."""
POSTGRES_MISSING = """\
PostgreSQL is a prerequisite and does not answer on {host}:{port} ({error}).
Install and start it (Debian/Ubuntu: apt-get install postgresql; then pg_ctlcluster <version>
main start), or point PGHOST/PGPORT at a running server; the admin role is RC_DB_ADMIN_USER
(postgres) with RC_DB_ADMIN_PASSWORD (trust authentication needs none)."""
# Odoo 19 reads --without-demo as a boolean (and loads no demo data by default).
NO_DEMO = "--without-demo=all" if SERIES == "18" else "--without-demo=True"

DB_HOST = os.environ.get("PGHOST", "127.0.0.1")
DB_PORT = os.environ.get("PGPORT", "5432")
DB_USER = os.environ.get("RC_DB_USER", "odoo")
DB_PASSWORD = os.environ.get("RC_DB_PASSWORD", "")
DB_ADMIN_USER = os.environ.get("RC_DB_ADMIN_USER", "postgres")


def python_env():
    """Environment for child processes: the repo root (sandboxes) and ODOO_SRC on the path."""
    env = dict(os.environ)
    paths = [str(ROOT)]
    if os.environ.get("ODOO_SRC"):
        paths.insert(0, os.environ["ODOO_SRC"])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def check_odoo():
    """Return Odoo's version string, or exit with the prerequisite message."""
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.major_version)"],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd="/",
    )
    version = probe.stdout.strip()
    if probe.returncode != 0 or version != f"{SERIES}.0":
        found = f" (found version {version})" if probe.returncode == 0 else ""
        sys.exit("ERROR: " + ODOO_MISSING.format(python=sys.executable, series=SERIES) + found)
    return version


def addons_path():
    """Odoo's own addons, where pip put OCA addons (queue_job), and this repository.

    A nightly/packaged Odoo keeps every addon in ``odoo/addons``; a git checkout of
    odoo/odoo keeps them in ``addons`` beside the ``odoo`` package: both are taken.
    """
    code = (
        "import os, odoo.release; "
        "package = os.path.dirname(odoo.release.__file__); "
        "print(','.join(path for path in (os.path.join(package, 'addons'), "
        "os.path.join(os.path.dirname(package), 'addons')) if os.path.isdir(path)))"
    )
    odoo_addons = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=python_env(),
        cwd="/",
    ).stdout.strip()
    paths = odoo_addons.split(",")
    try:
        oca = importlib.metadata.distribution("odoo-addon-queue_job").locate_file("odoo/addons")
        if str(oca) not in paths:
            paths.append(str(oca))
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"ERROR: queue_job is missing: run make test (it installs "
                 f"requirements-odoo{SERIES}.txt)")
    # RC_ADDONS_DIR: test the addons of another checkout (e.g. a clean export) from here.
    paths.append(our_addons(os.environ.get("RC_ADDONS_DIR", str(ROOT))))
    return ",".join(paths)


_EXPORTED = {}


def our_addons(root):
    """The folder holding our addons for this series: ``root`` itself when its manifests are
    of this series, else their export for it (scripts/release.py), made once per process
    under the git-ignored .venv folder."""
    import release

    if release.manifest_series(root=root) == SERIES:
        return str(root)
    if root not in _EXPORTED:
        target = ROOT / ".venv" / f"addons-odoo{SERIES}"
        release.export(SERIES, target, root=root)
        _EXPORTED[root] = str(target)
    return _EXPORTED[root]


def db_args():
    args = [f"--db_host={DB_HOST}", f"--db_port={DB_PORT}", f"--db_user={DB_USER}"]
    if DB_PASSWORD:
        args.append(f"--db_password={DB_PASSWORD}")
    return args


def psql(sql, database="postgres", user=None):
    import psycopg2

    user = user or DB_USER
    password = DB_PASSWORD if user == DB_USER else os.environ.get("RC_DB_ADMIN_PASSWORD")
    conn = psycopg2.connect(
        host=DB_HOST, port=DB_PORT, user=user, password=password or None, dbname=database
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(sql)
            return cr.fetchall() if cr.description else None
    finally:
        conn.close()


def ensure_postgres(timeout=30):
    """Wait for PostgreSQL to answer (starting the local cluster if we can) and make sure the
    Odoo role exists."""
    import psycopg2

    deadline = time.time() + timeout
    started = False
    while True:
        try:
            psql("SELECT 1", user=DB_ADMIN_USER)
            break
        except psycopg2.OperationalError as exc:
            if not started and DB_HOST in ("127.0.0.1", "localhost"):
                started = True
                _start_local_postgres()
            if time.time() > deadline:
                sys.exit("ERROR: " + POSTGRES_MISSING.format(
                    host=DB_HOST, port=DB_PORT, error=str(exc).strip()))
            time.sleep(1)
    exists = psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{DB_USER}'", user=DB_ADMIN_USER)
    if not exists:
        password = f" PASSWORD '{DB_PASSWORD}'" if DB_PASSWORD else ""
        psql(f'CREATE ROLE "{DB_USER}" LOGIN CREATEDB{password}', user=DB_ADMIN_USER)


def _start_local_postgres():
    clusters = Path("/etc/postgresql")
    if not clusters.is_dir():
        return
    for version in sorted(os.listdir(clusters)):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True,
        )


def drop_database(name):
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', user=DB_ADMIN_USER)


def database_exists(name):
    return bool(psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", user=DB_ADMIN_USER))


ODOO_SERVER = str(ROOT / "scripts" / "odoo-server")


def odoo_command(*args):
    return [sys.executable, ODOO_SERVER, f"--addons-path={addons_path()}", *db_args(), *args]


def requirement_files():
    files = [ROOT / "requirements.txt", ROOT / f"requirements-odoo{SERIES}.txt"]
    return [path for path in files if path.is_file()]


def ensure_requirements():
    """pip-install our requirements when one of them is missing or off its range; only in a
    virtual environment (outside one, say what is missing and stop)."""
    from packaging.requirements import Requirement

    missing = []
    lines = [line for path in requirement_files() for line in path.read_text().splitlines()]
    for line in lines:
        line = line.split("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(str(requirement))
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{requirement} (found {version})")
    if missing and sys.prefix == sys.base_prefix:
        sys.exit(f"ERROR: missing in {sys.executable}: {', '.join(missing)}. Run the suite "
                 "through make (it uses .venv/odoo-<series>); nothing is installed here.")
    if missing:
        print(f"Installing requirements: {', '.join(missing)}", flush=True)
        files = [arg for path in requirement_files() for arg in ("-r", str(path))]
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *files], check=True)


def ensure_chromium():
    """Odoo's browser tours drive Chromium: install Debian's package when it is missing.

    Odoo skips a tour when it finds no browser, and a skipped suite is not a pass, so a
    machine where it cannot be installed fails here with a clear message.
    """
    import shutil

    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    if any(shutil.which(name) for name in names):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("ERROR: the browser tours need Chromium: install it (Debian: apt-get install "
                 "chromium) and run make test again.")
    print("Installing Chromium for the browser tours (Debian package, once)...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env)
    if result.returncode != 0 or not any(shutil.which(name) for name in names):
        sys.exit("ERROR: could not install Chromium for the browser tours.")


def base_template():
    """Return a template database with Odoo's modules the addons stand on, building it once.

    Installing sale_stock, account and queue_job takes about a minute; every test run then
    copies this template (``CREATE DATABASE ... TEMPLATE``) into a fresh database.
    """
    import hashlib

    versions = subprocess.run(
        [sys.executable, "-c", "import odoo.release as r; print(r.serie, r.version)"],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd="/",
    ).stdout.strip()
    try:
        versions += importlib.metadata.version("odoo-addon-queue_job")
    except importlib.metadata.PackageNotFoundError:
        pass
    digest = hashlib.sha1(f"{versions}{BASE_MODULES}".encode()).hexdigest()[:10]
    name = f"rc_template_{digest}"
    if database_exists(name):
        return name
    # Runs started side by side (tests, reliability, bench, other work trees) build it once:
    # the first builds, the others wait for it instead of dropping its half-built copy.
    with open(os.path.join(tempfile.gettempdir(), f"{name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if database_exists(name):
            return name
        return _build_base_template(name)


def _build_base_template(name):
    building = f"{name}_building"
    drop_database(building)
    print(f"Building the base template database {name} (once, about a minute)...", flush=True)
    result = subprocess.run(
        odoo_command(
            "-d",
            building,
            "-i",
            ",".join(BASE_MODULES),
            NO_DEMO,
            "--stop-after-init",
            "--log-level=warn",
        ),
        env=python_env(),
        cwd="/",
    )
    if result.returncode != 0:
        drop_database(building)
        sys.exit("ERROR: could not build the base template database")
    psql(f'ALTER DATABASE "{building}" RENAME TO "{name}"', user=DB_ADMIN_USER)
    return name


def create_database(name):
    drop_database(name)
    template = base_template()
    psql(f'CREATE DATABASE "{name}" OWNER "{DB_USER}" TEMPLATE "{template}"', user=DB_ADMIN_USER)
