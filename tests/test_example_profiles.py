"""The example profiles in profiles/ load as shipped, and the quick start works from them."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from asyncpay.config.profile import load_profile
from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import run_suites

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "profiles").glob("*.toml"))


def _env_keys(table: object) -> set[str]:
    """Every environment variable a profile names (its ``*_env`` values), at any depth."""
    if not isinstance(table, dict):
        return set()
    found = {value for key, value in table.items() if key.endswith("_env") and isinstance(value, str)}
    for value in table.values():
        found |= _env_keys(value)
    return found


def test_the_documented_profiles_ship() -> None:
    assert {path.name for path in PROFILES} >= {"mock.toml", "overpay-sandbox.toml", "opp-test.toml"}


@pytest.mark.parametrize("path", PROFILES, ids=[path.name for path in PROFILES])
def test_every_shipped_profile_loads_with_only_keys_the_loader_knows(
        path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = _env_keys(tomllib.loads(path.read_text(encoding="utf-8")))
    assert names, f"{path.name} names no credential variable"
    for name in names:
        monkeypatch.setenv(name, f"dummy-{name.lower()}")
    profile = load_profile(path)  # an unknown key, a bad value or a refused timing raises here
    assert profile.overpay or profile.opp
    assert not profile.embedded


@pytest.mark.parametrize("path", PROFILES, ids=[path.name for path in PROFILES])
def test_every_key_of_a_shipped_profile_is_commented(path: Path) -> None:
    silent = [line for line in path.read_text(encoding="utf-8").splitlines()
              if re.match(r"^[\"\w.]+\s*=", line) and "#" not in line
              and not line.startswith(("name =", '"card.', "credit_card =", "description ="))]
    assert not silent, f"{path.name}: keys without a comment: {silent}"


def test_the_quick_start_runs_the_suites_against_a_separately_started_mock(tmp_path: Path) -> None:
    # The README's steps: start `python -m asyncpay.mock`, export the credentials its --help
    # prints, run the suites with profiles/mock.toml. Only the port differs (a free one here).
    help_text = subprocess.run([sys.executable, "-m", "asyncpay.mock", "--help"], cwd=ROOT, check=True,
                               capture_output=True, text=True).stdout
    exports = dict(pair.split("=", 1) for line in help_text.splitlines() if line.startswith("  export ")
                   for pair in line.split()[1:])
    assert set(exports) >= _env_keys(tomllib.loads((ROOT / "profiles" / "mock.toml").read_text()))
    with MockProcess(cwd=ROOT) as mock:
        profile = tmp_path / "mock.toml"
        profile.write_text((ROOT / "profiles" / "mock.toml").read_text().replace(
            "http://127.0.0.1:8080", mock.url))
        run = run_suites(["suites"], profile=profile, reports=tmp_path / "reports", cwd=ROOT,
                         timeout=600)
    assert run.returncode == 0, run.tail()
    summary = run.summary()
    assert summary["totals"]["failed"] == summary["totals"]["error"] == 0
    assert set(summary["targets"]) == {"overpay", "opp"}


def test_tox_sandbox_passes_the_variables_a_profile_names() -> None:
    import configparser

    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    # Any *_env key may name any variable (MOCK_SHOP_ID, ACME_OPP_TOKEN…): all of them pass.
    assert tox["testenv:sandbox"]["pass_env"].split() == ["*"]
