"""A retention longer than a run, end to end: the first run leaves two re-checks of its task in
reports/ledger.json (kept, a window before the expiry; expiry, after it), and later runs make
them — or report the kept one missed. Real runs of the suites against the mock started on its own
in real time; the wall clock a later run would meet is stood in for by moving the kept window
in the ledger file (the task itself stays kept on the mock for the whole test)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import SuiteRun, profile_toml, run_suites
from asyncpay.tools.matrix import ROOT

RETENTION = 300  # seconds: far longer than the test, so the result is kept throughout
TIMING: dict[str, float | str] = {"retention": RETENTION, "max_wait": 2, "poll_interval": 0.2,
                                  "processing_timeout": 10, "notification_timeout": 10, "clock": "real"}
FIRST = "suites/scenarios/overpay/test_retention.py"
LATER = "suites/scenarios/overpay/test_retention_ledger.py"


def run(url: str, path: str, reports: Path, tmp_path: Path) -> SuiteRun:
    profile = tmp_path / "long-retention.toml"
    profile.write_text(profile_toml(overpay=url, timing=TIMING, name="long retention"), encoding="utf-8")
    return run_suites([path], profile=profile, reports=reports, cwd=ROOT, timeout=240, args=["-n0"])


def entries(reports: Path) -> dict[str, dict]:
    return {entry["rule"]: entry for entry in json.loads((reports / "ledger.json").read_text())["entries"]}


def move_kept_window(reports: Path, due: float, due_until: float) -> None:
    path = reports / "ledger.json"
    document = json.loads(path.read_text())
    for entry in document["entries"]:
        if entry["rule"] == "overpay.retention-kept":
            entry["due"], entry["due_until"] = due, due_until
    path.write_text(json.dumps(document))


def verdicts(result: SuiteRun) -> dict[str, str]:
    return {check["failed_rule"] or check["rules"][0]: check["verdict"] for check in result.checks()}


def test_two_re_checks_per_task_made_inside_the_window_or_reported_missed(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with MockProcess("--clock", "real", "--retention", str(RETENTION), "--processing-delay", "0.3",
                     cwd=ROOT) as mock:
        first = run(mock.url, FIRST, reports, tmp_path)
        assert first.returncode == 0, first.tail()
        pending = entries(reports)
        assert sorted(pending) == ["overpay.retention-expiry", "overpay.retention-kept"], pending
        kept, expiry = pending["overpay.retention-kept"], pending["overpay.retention-expiry"]
        assert kept["data"]["request_id"] == expiry["data"]["request_id"]
        # The kept window ends one slack and a half before the retention, and precedes the expiry.
        assert kept["due"] < kept["due_until"] < expiry["due"] and expiry["due_until"] is None
        assert expiry["due"] - kept["due_until"] > RETENTION * 0.02 * 2

        early = run(mock.url, LATER, reports, tmp_path)  # before the window: both stay deferred
        assert verdicts(early) == {"overpay.retention-kept": "deferred", "overpay.retention-expiry": "deferred"}
        assert sorted(entries(reports)) == sorted(pending)

        saved = (reports / "ledger.json").read_text()
        move_kept_window(reports, time.time() - 60, time.time() + 120)  # a run inside the window
        inside = run(mock.url, LATER, reports, tmp_path)
        assert inside.returncode == 0, inside.tail()
        assert verdicts(inside)["overpay.retention-kept"] == "passed"
        assert sorted(entries(reports)) == ["overpay.retention-expiry"]  # settled, dropped

        (reports / "ledger.json").write_text(saved)
        move_kept_window(reports, time.time() - 120, time.time() - 60)  # a run after the window
        late = run(mock.url, LATER, reports, tmp_path)
        kept_check = next(c for c in late.checks() if "kept" in c["test"])
        assert kept_check["verdict"] == "not verified", kept_check
        assert "this run came after it" in kept_check["message"] and "between" in kept_check["message"]
        assert sorted(entries(reports)) == ["overpay.retention-expiry"]  # reported missed, dropped
