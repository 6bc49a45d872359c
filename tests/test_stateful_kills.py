"""The stateful suite on its own kills every lifecycle fault switch, naming its rule."""

import pytest

from asyncpay.mock import FAULTS
from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import ROOT, run_one

LIFECYCLE_FAULTS = [
    "task-without-status-url", "task-not-processing", "status-url-off-origin",
    "completed-without-response-url", "stuck-processing", "completed-goes-back",
    "result-amount-mismatch", "result-tracking-id-mismatch", "result-missing-uid",
    "result-vanishes-after-read", "result-changes", "unknown-with-200", "unknown-wrong-request-id",
    "result-never-expires", "retention-from-completion", "expires-early",
    "error-returned-twice", "error-never-returned", "status-read-consumes-error",
    "task-failure-twice",
]


def test_clean_mock_passes_the_state_machine():
    row = run_one(None, paths=("suites/stateful",))
    assert row.clean_pass, row.output_tail


@pytest.mark.parametrize("fault", LIFECYCLE_FAULTS)
def test_state_machine_kills(fault):
    row = run_one(fault, paths=("suites/stateful",))
    assert row.exit_code == 1 and FAULTS[fault].rule in row.failed_rules, (
        f"{fault} ({FAULTS[fault].rule}): exit {row.exit_code}, failing rules {row.failed_rules}\n"
        f"{row.output_tail}")


def test_a_machine_that_saw_no_task_complete_does_not_pass_completes(tmp_path):
    """Real time, tasks that never complete: the machine's short waits end before any bound, so
    it may pass — but it must not count overpay.completes as passed (it saw nothing decisive)."""
    with MockProcess("--clock", "real", "--fault", "stuck-processing", "--retention", "12",
                     "--processing-delay", "0.5", cwd=ROOT) as mock:
        profile = mock.write_profile(tmp_path / "stuck.toml")
        run = run_suites(["suites/stateful"], profile=profile, reports=tmp_path / "reports", cwd=ROOT,
                         timeout=600, args=["-n0"])
    assert not run.hung, run.tail()
    [check] = run.checks()
    completes = run.summary()["rules"]["overpay.completes"]
    assert completes["verdict"] in ("failed", "not verified"), (completes, check["verdict"], check["message"])
    if check["verdict"] == "passed":
        assert "overpay.completes" in check["undecided"] and "a task seen to leave processing" in check["message"]
