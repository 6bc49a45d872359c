from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from asyncpay.errors import HarnessError
from asyncpay.reporting import ledger
from asyncpay.reporting.ledger import LedgerEntry
from asyncpay.verdicts import CheckRecord, Verdict

NOW = 1_790_000_000.0
DAY = 86400.0


def pending(request_id: str, *, rule: str = "overpay.retention-expiry", due: float | None = NOW + DAY,
            test: str = "suites/scenarios/overpay/test_retention.py::test_retention") -> CheckRecord:
    return CheckRecord.from_dict({"test": test, "rules": ["overpay.retention-kept", rule], "verdict": "deferred",
            "failed_rule": rule, "message": "wait", "duration": 0.1, "due": due,
            "ledger": {"request_id": request_id, "status_url": f"https://gw.test/async/status/{request_id}",
                       "response_url": f"https://gw.test/async/result/{request_id}",
                       "base_url": "https://gw.test", "created": NOW - 5},
            "resolves": None})


def resolving(entry_id: str, verdict: str) -> CheckRecord:
    return CheckRecord.from_dict({"test": "suites/ledger/test_due.py::test_due[x]",
                                  "rules": ["overpay.retention-expiry"],
            "verdict": verdict, "failed_rule": None, "message": "", "duration": 0.1, "due": None,
            "ledger": None, "resolves": entry_id})


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "reports" / "ledger.json"


def test_pending_record_with_data_becomes_an_entry(path: Path) -> None:
    [entry] = ledger.update(path, [pending("req-1")], NOW)
    assert (entry.rule, entry.due, entry.added) == ("overpay.retention-expiry", NOW + DAY, NOW)
    assert entry.data["status_url"] == "https://gw.test/async/status/req-1"
    assert ledger.load(path) == [entry]
    saved = json.loads(path.read_text())["entries"][0]
    assert saved["due_iso"] == "2026-09-22T14:13:20Z"


def test_records_without_ledger_data_or_not_pending_add_nothing(path: Path) -> None:
    no_data = dataclasses.replace(pending("req-1"), ledger=None)
    passed = dataclasses.replace(pending("req-2"), verdict=Verdict.PASSED)
    assert ledger.update(path, [no_data, passed], NOW) == []
    assert not path.exists()


def test_dedupe_by_rule_and_request_id(path: Path) -> None:
    ledger.update(path, [pending("req-1"), pending("req-1", test="other::test")], NOW)
    entries = ledger.update(path, [pending("req-1")], NOW + 600)  # a later run records it again
    assert len(entries) == 1
    assert entries[0].added == NOW  # first recorded, not re-dated
    entries = ledger.update(path, [pending("req-2"), pending("req-1", rule="overpay.error-once")], NOW)
    assert sorted((e.rule, e.data["request_id"]) for e in entries) == [
        ("overpay.error-once", "req-1"), ("overpay.retention-expiry", "req-1"),
        ("overpay.retention-expiry", "req-2")]


def test_is_due() -> None:
    entry = LedgerEntry("x", "overpay.retention-expiry", "t", NOW + DAY, {}, NOW)
    assert not entry.is_due(NOW)
    assert not entry.is_due(NOW + DAY - 1)
    assert entry.is_due(NOW + DAY)
    assert LedgerEntry("y", "overpay.retention-expiry", "t", None, {}, NOW).is_due(NOW)


@pytest.mark.parametrize("verdict", ["passed", "failed"])
def test_settled_entry_is_removed(path: Path, verdict: str) -> None:
    [first, second] = ledger.update(path, [pending("req-1"), pending("req-2", due=NOW + 2 * DAY)], NOW)
    left = ledger.update(path, [resolving(first.id, verdict)], NOW + DAY)
    assert left == [second]
    assert [e.id for e in ledger.load(path)] == [second.id]
    ledger.update(path, [resolving(second.id, verdict)], NOW + 2 * DAY)
    assert not path.exists()  # no file: nothing is pending


@pytest.mark.parametrize("verdict", ["deferred", "not verified", "error"])
def test_unsettled_recheck_keeps_the_entry(path: Path, verdict: str) -> None:
    [entry] = ledger.update(path, [pending("req-1")], NOW)
    assert ledger.update(path, [resolving(entry.id, verdict)], NOW + DAY) == [entry]


def test_a_stale_pending_record_does_not_revive_a_settled_entry(path: Path) -> None:
    [entry] = ledger.update(path, [pending("req-1")], NOW)
    assert ledger.update(path, [pending("req-1"), resolving(entry.id, "passed")], NOW + DAY) == []


def test_load_missing_and_malformed(path: Path) -> None:
    assert ledger.load(path) == []
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(HarnessError, match="not a readable ledger"):
        ledger.load(path)
    path.write_text(json.dumps({"entries": [{"rule": "x"}]}))
    with pytest.raises(HarnessError, match="malformed ledger entry"):
        ledger.load(path)


def test_save_and_load_round_trip(path: Path) -> None:
    entries = [LedgerEntry("b", "overpay.retention-expiry", "t", NOW + 5, {"request_id": "2"}, NOW),
               LedgerEntry("a", "overpay.retention-expiry", "t", NOW + 1, {"request_id": "1"}, NOW)]
    ledger.save(path, entries)
    assert ledger.load(path) == sorted(entries, key=lambda e: e.due or 0)
    ledger.save(path, [])
    assert not path.exists()


def retention(request_id: str, *, kept: tuple[float, float], expiry: float) -> CheckRecord:
    """test_retention's deferred record: two re-checks of one task, kept (a window) and expiry."""
    record = pending(request_id, rule="overpay.retention-kept", due=kept[0])
    checks = [{"rule": "overpay.retention-kept", "due": kept[0], "due_until": kept[1]},
              {"rule": "overpay.retention-expiry", "due": expiry, "due_until": None}]
    return dataclasses.replace(record, ledger={**(record.ledger or {}), "checks": checks})


def test_a_retention_longer_than_a_run_leaves_a_kept_window_and_an_expiry(path: Path) -> None:
    entries = ledger.update(path, [retention("req-1", kept=(NOW + DAY - 9000, NOW + DAY - 1800),
                                             expiry=NOW + DAY + 1800)], NOW)
    kept, expiry = entries
    assert (kept.rule, kept.due, kept.due_until) == ("overpay.retention-kept", NOW + DAY - 9000, NOW + DAY - 1800)
    assert (expiry.rule, expiry.due, expiry.due_until) == ("overpay.retention-expiry", NOW + DAY + 1800, None)
    assert kept.data["request_id"] == expiry.data["request_id"] == "req-1" and "checks" not in kept.data
    saved = json.loads(path.read_text())["entries"][0]
    assert (saved["due_iso"], saved["due_until_iso"]) == ("2026-09-22T11:43:20Z", "2026-09-22T13:43:20Z")
    assert ledger.load(path) == entries


def test_a_kept_window_is_due_inside_it_and_missed_after(path: Path) -> None:
    [kept, _] = ledger.update(path, [retention("req-1", kept=(NOW + 100, NOW + 200), expiry=NOW + 400)], NOW)
    assert not kept.is_due(NOW + 99) and not kept.is_missed(NOW + 99)
    assert kept.is_due(NOW + 150) and not kept.is_missed(NOW + 200)
    assert kept.is_missed(NOW + 201)


def test_a_missed_kept_check_is_dropped_once_reported_never_passed(path: Path) -> None:
    [kept, expiry] = ledger.update(path, [retention("req-1", kept=(NOW + 100, NOW + 200), expiry=NOW + 400)], NOW)
    # Reported missed (not verified) after its window: dropped; the expiry entry waits on.
    assert ledger.update(path, [resolving(kept.id, "not verified")], NOW + 300) == [expiry]
    # A not-verified re-check inside the window leaves the entry for a later run.
    entries = ledger.update(path, [retention("req-2", kept=(NOW + 100, NOW + 200), expiry=NOW + 400)], NOW)
    kept = next(entry for entry in entries if entry.data["request_id"] == "req-2" and entry.due_until)
    assert kept in ledger.update(path, [resolving(kept.id, "not verified")], NOW + 150)


def test_a_deferred_check_names_the_ledger_of_its_own_reports_dir(tmp_path: Path) -> None:
    from asyncpay.testing.mock_process import MockProcess
    from asyncpay.testing.runs import FAST_TIMING, profile_toml, run_suites

    root = Path(__file__).resolve().parent.parent
    timing = {**FAST_TIMING, "retention": 30, "max_wait": 5}  # the expiry lies beyond max_wait
    reports = tmp_path / "elsewhere"
    with MockProcess("--clock", "real", "--retention", "30", "--processing-delay", "0.5", cwd=root) as mock:
        profile = tmp_path / "profile.toml"
        profile.write_text(profile_toml(overpay=mock.url, timing=timing))
        run = run_suites(["suites/scenarios/overpay/test_retention.py"], profile=profile, reports=reports,
                         cwd=root, timeout=120)
    assert run.returncode == 0, run.tail()
    deferred = [c for c in run.checks() if c["verdict"] == "deferred"]
    assert deferred, run.tail()
    assert all(f"{reports / 'ledger.json'} keeps it" in c["message"] for c in deferred), deferred
    assert (reports / "ledger.json").is_file()
