"""The stateful suite on its own kills every lifecycle fault switch, naming its rule."""

import pytest

from asyncpay.tools.matrix import run_one
from asyncpay.mock import FAULTS

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
