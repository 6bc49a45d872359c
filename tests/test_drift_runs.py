"""Two real runs in a row, the second against a faulty mock: the drift names what changed."""

import json
from pathlib import Path

from asyncpay.tools.matrix import ROOT
from asyncpay.testing.runs import run_suites

SUITES = ["suites/scenarios/overpay/test_result.py", "suites/scenarios/overpay/test_queries.py"]


def _run(reports: Path, *extra: str) -> dict:
    run = run_suites(SUITES, profile=None, reports=reports, cwd=ROOT, timeout=300, args=extra)
    assert run.returncode in (0, 1), run.tail()
    return run.summary()


def test_a_faulty_second_run_drifts_from_the_clean_baseline(tmp_path):
    baseline = _run(tmp_path / "first")
    assert baseline["totals"].get("failed", 0) == 0
    baseline_file = next((tmp_path / "first" / "runs").glob("*.json"))

    second = _run(tmp_path / "second", "--asyncpay-mock-fault", "result-missing-uid",
                  "--asyncpay-baseline", str(baseline_file))

    drift = json.loads((tmp_path / "second" / "drift.json").read_text())
    text = json.dumps(drift)
    assert "transaction.uid" in text, "the vanished field is named"
    assert "test_result_answers_the_request" in text, "the check that went from passed to failed is named"
    assert second["drift"], "the summary carries the drift too"
