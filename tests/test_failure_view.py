"""A gateway's broken rule prints on one screen; the traceback comes back with --tb=long or -v."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from asyncpay.testing.runs import run_suites

ROOT = Path(__file__).resolve().parent.parent
SUITE = ["suites/scenarios/overpay/test_result.py"]
FAULT = ["--asyncpay-mock-fault", "result-missing-uid"]


def _failures(output: str) -> list[str]:
    """Each failure's section, from its ____ header to the next."""
    start = output.find("= FAILURES =")
    end = output.find("\n=", start + 1)
    return [part for part in re.split(r"\n_{3,} .+ _{3,}\n", output[start:end])[1:] if part.strip()]


def test_a_contract_violation_is_one_screen_naming_rule_expected_received_next_step_and_where(tmp_path):
    run = run_suites(SUITE, profile=None, reports=tmp_path / "reports", cwd=ROOT, args=FAULT)
    assert run.returncode == 1, run.tail()
    failures = _failures(run.output)
    assert failures, run.tail()
    for failure in failures:
        assert "[overpay.result-shape]" in failure
        for label in ("Documented:", "Expected:", "Received:", "Next step:", "Where:"):
            assert label in failure, failure
        assert "suites/scenarios/overpay/test_result.py:" in failure
        assert "asyncpay/schemas/contracts.py" not in failure and "raise ContractViolation" not in failure
        assert len(failure.splitlines()) <= 24, failure
    assert str(tmp_path / "reports" / "report.html") in failures[0]


# run_suites passes -q: -vv is a user's -v.
@pytest.mark.parametrize("asked", [["--tb=long"], ["-vv"]])
def test_the_full_traceback_is_one_option_away(tmp_path, asked):
    run = run_suites(SUITE, profile=None, reports=tmp_path / "reports", cwd=ROOT, args=[*FAULT, *asked])
    assert run.returncode == 1, run.tail()
    assert "raise ContractViolation(" in run.output, run.tail()
