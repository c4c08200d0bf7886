"""`make test`: for every configured Odoo series (``RC_ODOO_SERIES``, default 18), every
addon's Odoo tests in a real Odoo of that series on PostgreSQL, then the pytest suites under
tests/, each series in its own virtual environment (scripts/odoo_series.py); one closing line
``N passed, N failed`` for all series.

Exits non-zero on any failure or error, when Odoo ran no test of one of the addons, and when
an Odoo series cannot be set up.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import odoo_env

ODOO_RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
ODOO_STATS = re.compile(r"odoo\.tests\.stats: (\w+): (\d+) tests")
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|error|errors)\b")
CLOSING_LINE = re.compile(r"^(\d+) passed, (\d+) failed$")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_odoo_tests(tags=None):
    """Return (passed, failed) of the Odoo tests of our addons (or of ``tags``)."""
    database = f"rc_test_{os.getpid()}"
    odoo_env.create_database(database)
    tags = tags or ",".join(f"/{name}" for name in odoo_env.ADDONS)
    checked = [name for name in odoo_env.ADDONS if f"/{name}" in tags.split(",")]
    log_file = Path(tempfile.mkdtemp(prefix="rc-test-")) / "odoo.log"
    command = odoo_env.odoo_command(
        "-d",
        database,
        "-i",
        ",".join(odoo_env.ADDONS),
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        odoo_env.NO_DEMO,
        f"--http-port={free_port()}",
        "--http-interface=127.0.0.1",
        "--workers=0",
        "--max-cron-threads=0",
        f"--logfile={log_file}",
        "--log-level=info",
    )
    print(f"Odoo tests of {', '.join(odoo_env.ADDONS)} in database {database} (log: {log_file})...",
          flush=True)
    try:
        result = subprocess.run(command, env=odoo_env.python_env(), cwd="/")
    finally:
        odoo_env.drop_database(database)
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    per_module = {module: int(count) for module, count in ODOO_STATS.findall(log)}
    summary = ODOO_RESULT.findall(log)
    problems = [
        line
        for line in log.splitlines()
        if " ERROR " in line or " CRITICAL " in line or ": FAIL:" in line
    ]
    if problems or result.returncode:
        print("---- Odoo log: errors and failures ----")
        print(_excerpt(log))
    for module in odoo_env.ADDONS:
        print(f"  {module}: {per_module.get(module, 0)} Odoo tests")
    if not summary:
        print("ERROR: Odoo printed no test result (did the addons install?)")
        return 0, 1
    failed, errors, total = (int(value) for value in summary[-1])
    bad = failed + errors
    missing = [module for module in checked if not per_module.get(module)]
    if missing:
        print(f"ERROR: no Odoo test ran for {', '.join(missing)}")
        bad += len(missing)
    if result.returncode and not bad:
        print(f"ERROR: Odoo exited with code {result.returncode}")
        bad = 1
    print(f"Odoo tests: {total - failed - errors} passed, {bad} failed", flush=True)
    return total - failed - errors, bad


def _excerpt(log, limit=400):
    """Lines of the log around errors and failures (tracebacks included)."""
    lines = log.splitlines()
    keep = set()
    for index, line in enumerate(lines):
        if " ERROR " in line or " CRITICAL " in line or ": FAIL:" in line:
            keep.update(range(index, min(index + 80, len(lines))))
    chosen = [lines[i] for i in sorted(keep)]
    return "\n".join(chosen[:limit])


def run_pytest():
    """Return (passed, failed) of the pytest suites under tests/."""
    print("pytest suites under tests/...", flush=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=odoo_env.ROOT,
        env=odoo_env.python_env(),
        capture_output=True,
        text=True,
    )
    sys.stdout.write(result.stdout[-20000:])
    sys.stderr.write(result.stderr[-5000:])
    counts = {"passed": 0, "failed": 0, "error": 0, "errors": 0}
    tail = result.stdout.strip().splitlines()[-1:] or [""]
    for number, kind in PYTEST_COUNT.findall(tail[0]):
        counts[kind] += int(number)
    failed = counts["failed"] + counts["error"] + counts["errors"]
    if result.returncode not in (0, 5) and not failed:
        failed = 1
    return counts["passed"], failed


def run_series(argv):
    """Run this script once per configured series, each in its own environment; add up their
    closing lines into one."""
    import odoo_series

    try:
        names = odoo_series.series_list()
    except odoo_series.SetupError as exc:
        print(f"ERROR: {exc}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for series in names:
        print(f"==== Odoo {series}.0 ====", flush=True)
        try:
            python = odoo_series.ensure_venv(series)
        except odoo_series.SetupError as exc:
            print(f"ERROR: Odoo {series}.0: {exc}", flush=True)
            failed += 1
            continue
        process = subprocess.Popen(
            [str(python), __file__, *argv],
            env=dict(os.environ, RC_ODOO_ACTIVE_SERIES=series),
            stdout=subprocess.PIPE,
            text=True,
        )
        closing = None
        for line in process.stdout:
            match = CLOSING_LINE.match(line.strip())
            if match:
                closing = match
            else:
                sys.stdout.write(line)
                sys.stdout.flush()
        returncode = process.wait()
        if closing:
            series_passed, series_failed = int(closing.group(1)), int(closing.group(2))
        else:
            series_passed, series_failed = 0, 0
        if returncode and not series_failed:
            series_failed = 1
        print(f"Odoo {series}.0: {series_passed} passed, {series_failed} failed", flush=True)
        passed += series_passed
        failed += series_failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def main():
    import argparse

    if "RC_ODOO_ACTIVE_SERIES" not in os.environ:
        return run_series(sys.argv[1:])

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--test-tags",
        help="Odoo test tags (default: every addon of ours); "
        "for a quicker loop, e.g. /retail_connector_shopify",
    )
    parser.add_argument("--no-pytest", action="store_true", help="skip the pytest suites")
    options = parser.parse_args()
    odoo_env.check_odoo()
    odoo_env.ensure_requirements()
    odoo_env.ensure_postgres()
    odoo_env.ensure_chromium()
    odoo_passed, odoo_failed = run_odoo_tests(options.test_tags)
    py_passed, py_failed = (0, 0) if options.no_pytest else run_pytest()
    passed, failed = odoo_passed + py_passed, odoo_failed + py_failed
    print(
        f"Odoo tests {odoo_passed}/{odoo_passed + odoo_failed} passed, "
        f"pytest {py_passed}/{py_passed + py_failed} passed"
    )
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not odoo_passed else 0


if __name__ == "__main__":
    sys.exit(main())
