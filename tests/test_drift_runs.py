"""Two real runs in a row, the second against a faulty mock: the drift names what changed."""

import json
import os
import subprocess
import sys
from pathlib import Path

from asyncpay.matrix import ROOT

SUITES = ["suites/scenarios/overpay/test_result.py", "suites/scenarios/overpay/test_queries.py"]


def _run(reports: Path, *extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run([sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider",
                           "--reports-dir", str(reports), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((reports / "summary.json").read_text())


def test_a_faulty_second_run_drifts_from_the_clean_baseline(tmp_path):
    baseline = _run(tmp_path / "first")
    assert baseline["totals"].get("failed", 0) == 0
    baseline_file = next((tmp_path / "first" / "runs").glob("*.json"))

    second = _run(tmp_path / "second", "--mock-fault", "result-missing-uid", "--baseline", str(baseline_file))

    drift = json.loads((tmp_path / "second" / "drift.json").read_text())
    text = json.dumps(drift)
    assert "transaction.uid" in text, "the vanished field is named"
    assert "test_result_answers_the_request" in text, "the check that went from passed to failed is named"
    assert second["drift"], "the summary carries the drift too"
