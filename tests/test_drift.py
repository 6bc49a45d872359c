from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from asyncpay.errors import HarnessError
from asyncpay.reporting import drift
from asyncpay.verdicts import CheckRecord, Verdict

TASK = {"status": "processing", "request_id": "r-1", "status_url": "https://gw.test/async/status/r-1",
        "response_url": "https://gw.test/async/result/r-1"}
RESULT = {"transaction": {"uid": "1-a", "status": "successful", "amount": 100, "currency": "USD",
                          "type": "payment", "credit_card": {"last_4": "0000", "brand": "visa"}}}


def rec(bodies: list[Any], shapes: dict[str, int], test: str = "t::a") -> CheckRecord:
    return CheckRecord(test, [], Verdict.PASSED, recording={
        "exchanges": [{"response_body": b if isinstance(b, str) else json.dumps(b)} for b in bodies],
        "events": [], "shapes": shapes})


def summary(checks: list[tuple[str, str, float]], fields: dict[str, Any] | None = None,
            rules: dict[str, str] | None = None) -> dict[str, Any]:
    return {"run": {"run_id": "base01", "finished_iso": "2026-01-01T00:00:00Z"},
            "checks": [{"test": t, "verdict": v, "duration": d, "message": ""} for t, v, d in checks],
            "rules": {r: {"verdict": v} for r, v in (rules or {}).items()},
            "fields": fields or {}}


# --- the field inventory -----------------------------------------------------------------

def test_inventory_attributes_answers_to_the_validated_shapes() -> None:
    status = {"status": "processing", "request_id": "r-1"}
    inventory = drift.field_inventory([
        rec([TASK, status, RESULT, "not json", '{"cut": '],
            {"overpay/task": 1, "overpay/status-processing": 1, "overpay/result": 1})])
    assert set(inventory) == {"overpay/task", "overpay/status-processing", "overpay/result"}
    assert inventory["overpay/task"]["response_url"] == ["string"]
    assert "status_url" not in inventory["overpay/status-processing"]
    assert inventory["overpay/result"]["transaction.credit_card.last_4"] == ["string"]
    assert inventory["overpay/result"]["transaction.amount"] == ["integer"]


def test_inventory_collects_every_type_and_collapses_error_maps() -> None:
    nullable = {"transaction": {**RESULT["transaction"], "message": None}}
    typed = {"transaction": {**RESULT["transaction"], "message": "ok"}}
    error = {"message": "bad", "errors": {"amount": ["must be > 0"], "credit_card": {"number": ["bad"]}}}
    inventory = drift.field_inventory([rec([nullable], {"overpay/result": 1}),
                                       rec([typed, error], {"overpay/result": 1, "overpay/error": 1})])
    assert inventory["overpay/result"]["transaction.message"] == ["null", "string"]
    assert inventory["overpay/error"]["errors.*"] == ["array", "object"]
    assert inventory["overpay/error"]["errors.*.*[]"] == ["string"]
    assert not any("amount" in path for path in inventory["overpay/error"])


def test_answers_of_checks_without_shapes_or_with_generated_requests_are_not_listed() -> None:
    assert drift.field_inventory([rec([TASK], {})]) == {}
    generated = dataclasses.replace(rec([TASK], {"overpay/task": 1}), rules=["overpay.contract"])
    scenario = dataclasses.replace(rec([TASK], {"overpay/task": 1}), rules=["overpay.task-answer"])
    assert drift.field_inventory([generated]) == {}
    assert set(drift.field_inventory([generated, scenario])) == {"overpay/task"}


# --- comparing -----------------------------------------------------------------------------

def test_pass_to_fail_and_back() -> None:
    before = summary([("t::a", "passed", 1.0), ("t::b", "failed", 1.0), ("t::c", "passed", 1.0),
                      ("t::gone", "passed", 1.0)])
    now = summary([("t::a", "failed", 1.0), ("t::b", "passed", 1.0), ("t::c", "not verified", 1.0),
                   ("t::new", "passed", 1.0)])
    checks = drift.compare(now, before)["checks"]
    assert [(c["test"], c["from"], c["to"]) for c in checks["regressed"]] == [("t::a", "passed", "failed")]
    assert [c["test"] for c in checks["fixed"]] == ["t::b"]
    assert [c["test"] for c in checks["changed"]] == ["t::c"]
    assert [c["test"] for c in checks["new"]] == ["t::new"]
    assert [c["test"] for c in checks["vanished"]] == ["t::gone"]


def test_rule_verdict_changes() -> None:
    before = summary([], rules={"overpay.error-once": "passed", "overpay.webhook": "passed"})
    now = summary([], rules={"overpay.error-once": "failed", "overpay.webhook": "passed"})
    result = drift.compare(now, before)
    assert result["rules"] == [{"rule": "overpay.error-once", "from": "passed", "to": "failed"}]
    assert result["counts"]["rules_changed"] == 1 and result["changed"]


def test_changed_type_vanished_and_new_fields() -> None:
    before = drift.field_inventory([rec([RESULT], {"overpay/result": 1})])
    answer = {"transaction": {**RESULT["transaction"], "amount": "100", "receipt_url": "https://x"}}
    del answer["transaction"]["credit_card"]
    now = drift.field_inventory([rec([answer], {"overpay/result": 1})])
    fields = drift.compare(summary([("t::a", "passed", 1.0)], now),
                           summary([("t::a", "passed", 1.0)], before))["fields"]
    assert "caveat" not in fields
    assert fields["changed"] == [{"shape": "overpay/result", "path": "transaction.amount",
                                  "from": ["integer"], "to": ["string"]}]
    assert {f["path"] for f in fields["vanished"]} == {"transaction.credit_card",
                                                       "transaction.credit_card.brand",
                                                       "transaction.credit_card.last_4"}
    assert fields["new"] == [{"shape": "overpay/result", "path": "transaction.receipt_url",
                              "types": ["string"]}]


def test_a_shape_not_seen_this_run_has_no_vanished_fields() -> None:
    before = {"overpay/webhook": {"transaction.uid": ["string"]}, "overpay/task": {"status": ["string"]}}
    now = {"overpay/task": {"status": ["string"]}}
    fields = drift.compare(summary([], now), summary([], before))["fields"]
    assert fields["vanished"] == [] and fields["changed"] == []
    assert fields["shapes_not_seen"] == ["overpay/webhook"]


def test_timing_jump_beyond_both_thresholds() -> None:
    before = summary([("t::slow", "passed", 1.0), ("t::jitter", "passed", 0.1),
                      ("t::mild", "passed", 2.0), ("t::fast", "passed", 4.0)])
    now = summary([("t::slow", "passed", 2.0), ("t::jitter", "passed", 0.4),  # 4× but only 0.3 s
                   ("t::mild", "passed", 2.9), ("t::fast", "passed", 1.0)])  # +0.9 s but only 45 %
    timings = drift.compare(now, before)["timings"]
    assert timings["slower"] == [{"test": "t::slow", "from": 1.0, "to": 2.0, "ratio": 2.0}]
    assert [t["test"] for t in timings["faster"]] == ["t::fast"]


def test_no_change_is_no_drift() -> None:
    same = summary([("t::a", "passed", 1.0)], {"overpay/task": {"status": ["string"]}},
                   {"overpay.task-answer": "passed"})
    result = drift.compare(same, same, baseline_path="b.json")
    assert result["changed"] is False
    assert result["baseline"] == {"path": "b.json", "run_id": "base01", "finished": "2026-01-01T00:00:00Z"}


def test_load_baseline(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="no such file"):
        drift.load_baseline(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(HarnessError, match="not an asyncpay summary.json"):
        drift.load_baseline(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(summary([("t::a", "passed", 1.0)])))
    assert drift.load_baseline(good)["checks"][0]["test"] == "t::a"


def test_vanished_fields_carry_a_caveat_when_baseline_checks_did_not_run() -> None:
    before = summary([("t::a", "passed", 1.0), ("t::b", "passed", 1.0)],
                     {"overpay/task": {"status": ["string"], "extra": ["string"]}})
    now = summary([("t::a", "passed", 1.0)], {"overpay/task": {"status": ["string"]}})
    fields = drift.compare(now, before)["fields"]
    assert [f["path"] for f in fields["vanished"]] == ["extra"]
    assert fields["caveat"].startswith("1 of the baseline's checks did not run")


def test_endpoints_fold_ids_but_keep_version_segments() -> None:
    assert drift.endpoint_of("get", "http://h:1/async/result/6994f6eb-de01-4f04-af39-2f3249517658") == \
        "GET /async/result/{id}"
    assert drift.endpoint_of("GET", "http://h/v1/payments/0123456789abcdef0123456789abcdef?entityId=8a") == \
        "GET /v1/payments/{id}"
    assert drift.endpoint_of("GET", "http://h/v2/transactions/tracking_id/order-77") == \
        "GET /v2/transactions/tracking_id/{id}"
