"""The mock as an external target: started as its own process in real time, pointed at by a
profile like any gateway — the scenarios pass on it as it is, and name the rule a fault breaks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import SuiteRun, profile_toml, run_suites

ROOT = Path(__file__).resolve().parent.parent
RETENTION = 4  # seconds: short, so a run sees results kept and then expired
MOCK_ARGS = ["--clock", "real", "--retention", str(RETENTION), "--processing-delay", "0.5",
             "--pending-delay", "0.5"]
TIMING: dict[str, float | str] = {"retention": RETENTION, "max_wait": 30, "poll_interval": 0.2,
                                  "processing_timeout": 10, "notification_timeout": 10, "clock": "real"}
TASK_FAILURE = '[overpay.outcomes.task_failure]\ndescription = "asyncpay-mock: fail the task"\n'


@contextmanager
def mock_process(*faults: str, retention: float = RETENTION) -> Iterator[str]:
    """``python -m asyncpay.mock`` on a free port; its base URL once it answers its health check."""
    args = [*MOCK_ARGS, "--retention", str(retention)]  # the later --retention wins
    with MockProcess(*args, *(arg for fault in faults for arg in ("--fault", fault)), cwd=ROOT) as mock:
        assert mock.config()["faults"] == list(faults)
        yield mock.url


def run_against(url: str, paths: list[str], tmp_path: Path, *args: str,
                retention: float = RETENTION) -> SuiteRun:
    profile = tmp_path / "external-mock.toml"
    profile.write_text(profile_toml(overpay=url, opp=url, timing={**TIMING, "retention": retention},
                                    name="external mock", extra=TASK_FAILURE), encoding="utf-8")
    return run_suites(paths, profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=240,
                      args=args)


def test_the_scenarios_pass_on_the_mock_run_as_an_external_target(tmp_path: Path) -> None:
    with mock_process() as url:
        run = run_against(url, ["suites/scenarios"], tmp_path, "-n", "2")

    assert run.returncode == 0, f"exit code {run.returncode}; output ends:\n{run.tail()}"
    verdicts = {c["test"]: c["verdict"] for c in run.checks()}
    assert "failed" not in verdicts.values() and "error" not in verdicts.values(), verdicts
    rules = run.summary()["rules"]
    # Real time, short retention: both ends of the 24 h rule are checked in this one run.
    for rule in ("overpay.retention-kept", "overpay.retention-expiry", "overpay.error-once",
                 "overpay.task-failure-once", "opp.notification-arrives", "opp.final-state"):
        assert rules[rule]["verdict"] == "passed", (rule, rules[rule])


# expires-early with a 3.5 s retention (1 s slack): results vanish at 1.75 s, after a "kept" read
# made two slacks before the end (1.5 s), before one made as late as the timing allows (2.0 s).
@pytest.mark.parametrize(("fault", "rule", "retention"),
                         [("result-never-expires", "overpay.retention-expiry", RETENTION),
                          ("expires-early", "overpay.retention-kept", 3.5)])
def test_a_fault_in_the_external_mock_fails_the_rule_it_breaks(tmp_path: Path, fault: str, rule: str,
                                                               retention: float) -> None:
    with mock_process(fault, retention=retention) as url:
        run = run_against(url, ["suites/scenarios/overpay/test_retention.py"], tmp_path, retention=retention)

    assert run.returncode == 1, f"exit code {run.returncode}; output ends:\n{run.tail()}"
    assert f"[{rule}]" in run.output, run.tail()
    assert run.failed_rules() == {rule}
