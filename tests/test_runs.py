"""Every subprocess run of the suites goes through one helper, and it passes on nothing of the
caller's profile, credentials or pytest options: a clean-mock run stays a clean-mock run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asyncpay.testing.runs import SCRUBBED_PREFIXES, run_suites, start_pytest, suite_environment

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "asyncpay" / "testing" / "runs.py"
STEERING = {
    "ASYNCPAY_PROFILE": "/nonexistent/sandbox.toml",
    "ASYNCPAY_REPORTS_DIR": "/nonexistent/reports",
    "OVERPAY_SHOP_ID": "361",
    "OVERPAY_SECRET_KEY": "sandbox-secret",
    "OPP_TOKEN": "sandbox-token",
    "PYTEST_ADDOPTS": "--asyncpay-profile=/nonexistent/sandbox.toml",
}


@pytest.fixture
def sandbox_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in STEERING.items():
        monkeypatch.setenv(key, value)


def test_the_environment_drops_every_steering_variable(sandbox_exported: None) -> None:
    env = suite_environment()
    assert [key for key in env if key.startswith(SCRUBBED_PREFIXES)] == []
    assert env["HYPOTHESIS_PROFILE"] == "ci"
    assert env["MOCK_SHOP_ID"]  # the mock's credentials, for profiles that name them


def test_a_run_sees_none_of_the_callers_sandbox_settings(sandbox_exported: None, tmp_path: Path) -> None:
    (tmp_path / "test_env.py").write_text(
        "import os\n"
        "def test_nothing_steers_this_run():\n"  # (pytest sets PYTEST_VERSION itself)
        "    assert [k for k in os.environ if k.startswith(('ASYNCPAY_', 'OVERPAY_', 'OPP_'))] == []\n"
        "    assert 'PYTEST_ADDOPTS' not in os.environ\n")
    run = start_pytest(["test_env.py", "-q", "-p", "no:cacheprovider"], cwd=tmp_path,
                       log=tmp_path / "output.txt").wait()
    assert run.returncode == 0, run.tail()


def test_a_clean_mock_run_ignores_an_exported_profile(sandbox_exported: None, tmp_path: Path) -> None:
    # With ASYNCPAY_PROFILE inherited this run would stop on the missing profile (exit 4).
    run = run_suites(["suites/scenarios/overpay/test_unknown.py"], profile=None, reports=tmp_path / "reports",
                     cwd=ROOT)
    assert run.returncode == 0, run.tail()
    assert run.summary()["targets"] == {"overpay": "embedded mock", "opp": "embedded mock"}


def test_no_other_module_starts_pytest_in_a_subprocess() -> None:
    starts = re.compile(r"""["']-m["'],\s*["']pytest["']|subprocess\.\w+\(\s*\[[^]]*pytest""")
    sources = [*(ROOT / "asyncpay").rglob("*.py"), *(ROOT / "tests").rglob("*.py"),
               *(ROOT / "benchmarks").rglob("*.py")]
    found = [str(path.relative_to(ROOT)) for path in sources
             if path != HELPER and path != Path(__file__) and starts.search(path.read_text(encoding="utf-8"))]
    assert found == [], f"start these runs with asyncpay.testing.runs instead: {found}"
