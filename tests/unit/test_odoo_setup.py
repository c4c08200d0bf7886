"""The set-up path of `make test`/`make demo` (scripts/odoo_series.py): from no virtual
environment and no Odoo, the configured source (a local git repository standing in for
odoo/odoo) is shallow-cloned, an environment is built and its Python imports that Odoo."""

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import odoo_series

SERIES = "77"  # a series no machine has: nothing but the stand-in can answer


def _git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture
def stand_in(tmp_path):
    """A git repository with a ``77.0`` branch holding a minimal Odoo-shaped source."""
    repo = tmp_path / "odoo-stand-in"
    (repo / "odoo" / "addons").mkdir(parents=True)
    (repo / "odoo" / "__init__.py").write_text("")
    (repo / "odoo" / "release.py").write_text(
        f"version_info = ({SERIES}, 0, 0, 'final', 0, '')\n"
        "major_version = '.'.join(str(s) for s in version_info[:2])\n"
    )
    _git("init", "-q", "-b", f"{SERIES}.0", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-q", "-m", "stand-in", cwd=repo)
    # A second commit: a shallow clone must bring only the tip.
    (repo / "odoo" / "tip.py").write_text("TIP = True\n")
    _git("add", ".", cwd=repo)
    _git("commit", "-q", "-m", "tip", cwd=repo)
    return repo


def test_builds_environment_and_imports_cloned_odoo(tmp_path, stand_in, monkeypatch):
    settings_file = tmp_path / "odoo.env"
    settings_file.write_text(f"RC_ODOO{SERIES}_SOURCE={stand_in}\n")
    monkeypatch.setenv("RC_SETTINGS", str(settings_file))
    monkeypatch.setenv("RC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RC_VENV_ROOT", str(tmp_path / "venvs"))
    settings = odoo_series.read_settings()
    assert not (tmp_path / "venvs").exists()

    python = odoo_series.ensure_venv(SERIES, settings, extra_files=[])

    clone = tmp_path / "cache" / f"odoo-{SERIES}.0"
    assert odoo_series.source_series(clone) == SERIES
    depth = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=clone,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert depth == "1"
    assert python == tmp_path / "venvs" / f"odoo-{SERIES}" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import sys, odoo.release, odoo.tip; "
         "print(odoo.release.major_version, sys.prefix != sys.base_prefix)"],
        capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin:/bin"},
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [f"{SERIES}.0", "True"]
    # A second call reuses both the clone and the environment.
    before = python.stat().st_mtime
    assert odoo_series.ensure_venv(SERIES, settings, extra_files=[]) == python
    assert python.stat().st_mtime == before


def test_unreachable_source_says_which_setting_to_change(tmp_path, monkeypatch):
    monkeypatch.setenv("RC_CACHE_DIR", str(tmp_path / "cache"))
    settings = {f"RC_ODOO{SERIES}_SOURCE": str(tmp_path / "missing.git"),
                "RC_CACHE_DIR": str(tmp_path / "cache")}
    with pytest.raises(odoo_series.SetupError, match=f"RC_ODOO{SERIES}_SOURCE"):
        odoo_series.odoo_source(SERIES, settings)
    assert not (tmp_path / "cache" / f"odoo-{SERIES}.0").exists()


def test_series_setting_lists_series():
    assert odoo_series.series_list({"RC_ODOO_SERIES": "18, 19.0"}) == ["18", "19"]
    assert odoo_series.series_list({}) == ["18"]
    with pytest.raises(odoo_series.SetupError):
        odoo_series.series_list({"RC_ODOO_SERIES": "latest"})
