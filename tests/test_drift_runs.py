"""Two real runs in a row, the second against a faulty mock: the drift names what changed."""

import json
from pathlib import Path

from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import ROOT

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


def test_two_identical_main_job_runs_do_not_drift(tmp_path):
    # The main job as the README runs it (random Hypothesis draws, two workers), twice.
    def main_job(reports: Path, *extra: str) -> dict:
        run = run_suites(["suites"], profile=None, reports=reports, cwd=ROOT, timeout=600,
                         hypothesis_profile="dev", args=["-n", "2", "--dist", "loadgroup", *extra])
        assert run.returncode == 0, run.tail()
        return run.summary()

    first = main_job(tmp_path / "first")
    assert "[redacted]" not in json.dumps(first["fields"]), "field types are saved as types"
    baseline_file = next((tmp_path / "first" / "runs").glob("*.json"))
    main_job(tmp_path / "second", "--asyncpay-baseline", str(baseline_file))

    drift = json.loads((tmp_path / "second" / "drift.json").read_text())
    # Durations follow the machine's load, not the gateway: they are left out here.
    counts = {name: n for name, n in drift["counts"].items() if name != "slower"}
    assert counts == dict.fromkeys(counts, 0), json.dumps(drift, indent=1)[:4000]
    assert not any(drift["checks"].values()) and not drift["rules"], drift["checks"]
    fields = drift["fields"]
    assert not (fields["new"] or fields["vanished"] or fields["changed"]), fields
    assert not (fields["shapes_new"] or fields["shapes_not_seen"]), fields
    endpoints = [shape for shape in first["fields"] if " " in shape]
    assert endpoints and all("*" not in shape for shape in endpoints), endpoints
