"""A run split over three CI jobs (pytest-split), one of them with xdist inside, merges into the
same verdicts as one run of the same suites."""

from __future__ import annotations

import json
import re
from pathlib import Path

from asyncpay.reporting.merge import main
from asyncpay.testing.runs import run_suites, start_suites

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["suites/scenarios/overpay", "suites/scenarios/opp/test_payment.py"]
SHARDS = 3


def _verdicts(summary: dict) -> tuple[dict, dict, dict]:
    rules = {rule: (row["verdict"], row["counts"]) for rule, row in summary["rules"].items()}
    # Messages quote run-specific ids, amounts and each run's own ledger path; what they say is
    # compared by the rule they name.
    checks = {c["test"]: (c["verdict"], c["failed_rule"], re.sub(r"\S*/ledger\.json", "ledger.json",
                                                                 c["message"].split("]", 1)[0]))
              for c in summary["checks"]}
    return rules, checks, summary["check_totals"]


def test_three_shards_merge_to_the_verdicts_of_one_run(tmp_path: Path) -> None:
    # A fault, so that failures (and their messages) must come through the merge too.
    fault = ["--asyncpay-mock-fault", "result-amount-mismatch"]
    single = start_suites(SUITES, profile=None, reports=tmp_path / "single", cwd=ROOT, args=fault)
    shards = []
    for group in range(1, SHARDS + 1):
        xdist = ["-n", "2"] if group == 1 else []
        shards.append(run_suites(SUITES, profile=None, reports=tmp_path / f"shard-{group}", cwd=ROOT,
                                 args=[*fault, "--splits", str(SHARDS), "--group", str(group), *xdist]))
    one = single.wait()
    assert one.returncode == 1, one.tail()
    for shard in shards:
        assert shard.returncode in (0, 1), shard.tail()
        assert shard.checks(), f"shard {shard.reports} ran no check"

    code = main(["merge", *[str(tmp_path / f"shard-{g}") for g in range(1, SHARDS + 1)],
                 "--out", str(tmp_path / "merged")])

    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert _verdicts(merged) == _verdicts(one.summary())
    assert code == one.returncode
    for name in ("junit.xml", "report.html", "records.json"):
        assert (tmp_path / "merged" / name).is_file()
    assert len(merged["run"]["run_id"]) == 10
