from __future__ import annotations

import json
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from asyncpay.http.redaction import Redactor
from asyncpay.reporting.report import rule_verdicts, write_reports
from asyncpay.rules import RULES
from asyncpay.verdicts import CheckRecord

#: The rules of a gateway run (the merchant rules are judged only when a shop is the target).
GATEWAY_RULES = {rule_id for rule_id, rule in RULES.items() if rule.gateway != "merchant"}

SECRET = "sk-report-Zq81mX0pLw27"
NOW = 1_790_000_000.0
RUN_ID = "r3p0rt0001"
TASK = "5f0a9c1e-2b7d-4e61-9a1f-3c2d4b5a6e7f"
BASE = "http://127.0.0.1:8080"


def exchange(method: str, path: str, status: int, body: Any, started: float, **extra: Any) -> dict[str, Any]:
    return {
        "method": method, "url": f"{BASE}{path}",
        "request_headers": {"Authorization": "Basic [redacted]"}, "request_body": "",
        "status": status, "response_headers": {"content-type": "application/json"},
        "response_body": body if isinstance(body, str) else json.dumps(body),
        "started": started, "elapsed": 0.042, "error": None, "label": "", "task": TASK, **extra,
    }


def event(offset: float, kind: str, detail: str = "") -> dict[str, Any]:
    return {"at": NOW + offset, "target_time": NOW + 100 + offset, "task": TASK, "kind": kind,
            "detail": detail}


def record(test: str, rules: list[str], verdict: str, **fields: Any) -> dict[str, Any]:
    rec = {"test": test, "rules": rules, "verdict": verdict, "failed_rule": None, "message": "",
           "duration": 0.25, "due": None, "ledger": None, "resolves": None,
           "recording": {"exchanges": [], "events": [], "shapes": {}}}
    rec.update(fields)
    return rec


TASK_BODY = {"status": "processing", "request_id": TASK, "status_url": f"{BASE}/async/status/{TASK}",
             "response_url": f"{BASE}/async/result/{TASK}"}
RESULT_BODY = {"transaction": {"uid": "1-abc", "status": "successful", "amount": 101, "currency": "USD",
                               "type": "payment", "tracking_id": "t-1",
                               "credit_card": {"last_4": "0000", "number": "4200000000000000"}}}
FAILURE = ("[overpay.result-matches-request] the result of task does not answer its request\n"
           "Expected:   {\"amount\": 100}\nReceived:   {\"amount\": 101}")


def records() -> list[dict[str, Any]]:
    passed = record("suites/scenarios/overpay/test_task_answer.py::test_task[payments]",
                    ["overpay.task-answer"], "passed",
                    recording={"exchanges": [exchange("POST", "/async/transactions/payments", 200,
                                                      TASK_BODY, NOW)],
                               "events": [event(0, "created", "payments (successful)")],
                               "shapes": {"overpay/task": 1}})
    failed = record(
        "suites/scenarios/overpay/test_result.py::test_result_answers_the_request",
        ["overpay.result-shape", "overpay.result-matches-request"], "failed",
        failed_rule="overpay.result-matches-request", message=FAILURE,
        duration=54.40486999999995,  # a Luhn-valid digit run once mangled summary.json's numbers
        recording={
            "exchanges": [
                exchange("POST", "/async/transactions/payments", 200, TASK_BODY, NOW),
                exchange("GET", f"/async/status/{TASK}", 200, {"status": "processing", "request_id": TASK},
                         NOW + 0.1),
                # Leaked past recording-time redaction: the report must still hide all of it.
                exchange("GET", f"/async/result/{TASK}", 200, RESULT_BODY, NOW + 0.2,
                         request_headers={"X-Debug": f"secret={SECRET}"},
                         request_body='{"credit_card": {"verification_value": "123"}} '
                                      '<script>alert(1)</script>'),
            ],
            "events": [event(0, "created", "payments"), event(0.1, "status:processing"),
                       event(1.5, "status:completed"), event(1.6, "result:result", "200 successful")],
            "shapes": {"overpay/task": 1, "overpay/status-processing": 1, "overpay/result": 1}})
    # A message that escaped the plugin's redactor, quoting a URL with a CVV in its query.
    failed["message"] += f"\nNext step:  rotate {SECRET}; GET {BASE}/v1/payments?card.cvv=123&amount=1"
    pending = record("suites/scenarios/overpay/test_retention.py::test_retention",
                     ["overpay.retention-kept", "overpay.retention-expiry"], "deferred",
                     failed_rule="overpay.retention-expiry", message="task expires in 24 h",
                     due=NOW + 86400, ledger={"request_id": TASK, "status_url": TASK_BODY["status_url"],
                                              "response_url": TASK_BODY["response_url"], "base_url": BASE,
                                              "created": NOW})
    not_verified = record("suites/scenarios/opp/test_webhook.py::test_encrypted",
                          ["opp.encrypted-webhook"], "not verified", failed_rule="opp.encrypted-webhook",
                          message="the profile has no webhook secret")
    error = record("suites/scenarios/overpay/test_unknown.py::test_unknown[status]",
                   ["overpay.unknown-404"], "error", message="KeyError: 'status' \x1b[0m\x02\n")
    return [passed, failed, pending, not_verified, error]


def meta(**changes: Any) -> dict[str, Any]:
    base = {"run_id": RUN_ID, "profile": "embedded mock", "profile_path": None,
            "targets": {"overpay": "embedded mock", "opp": "embedded mock"}, "mock_faults": [],
            "started": NOW - 10, "finished": NOW + 5, "baseline": None, "strict": False}
    base.update(changes)
    return base


def evidence(out: Path, recs: list[dict[str, Any]], run_id: str = RUN_ID) -> Path:
    """Evidence as two xdist workers leave it."""
    folder = out / ".evidence" / run_id
    folder.mkdir(parents=True)
    half = len(recs) // 2
    (folder / "gw0.json").write_text(json.dumps(recs[:half]))
    (folder / "gw1.json").write_text(json.dumps(recs[half:]))
    return folder


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([SECRET])


@pytest.fixture
def reports(tmp_path: Path, redactor: Redactor) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "reports"
    summary = write_reports(evidence(out, records()), out, meta(), redactor=redactor)
    return out, summary


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


# --- the file set --------------------------------------------------------------------------

def test_one_file_set_written_and_evidence_cleaned(reports: tuple[Path, dict[str, Any]]) -> None:
    out, summary = reports
    names = {Path(p).name for p in summary["files"]}
    assert names == {"junit.xml", "summary.json", "report.html", "ledger.json", f"{RUN_ID}.json"}
    assert all(Path(p).is_file() for p in summary["files"])
    assert not (out / ".evidence").exists()
    assert not (out / "drift.json").exists()
    assert json.loads((out / "runs" / f"{RUN_ID}.json").read_text()) == json.loads(
        (out / "summary.json").read_text())


def test_junit_has_one_case_per_check_and_the_failing_rule(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    root = ET.parse(out / "junit.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "5", "1", "1", "2")
    cases = suite.findall("testcase")
    assert len(cases) == 5
    failures = [(case, case.find("failure")) for case in cases if case.find("failure") is not None]
    assert len(failures) == 1
    case, failure = failures[0]
    assert failure is not None
    assert case.get("name") == "test_result_answers_the_request"
    assert case.get("classname") == "suites.scenarios.overpay.test_result"
    assert failure.get("type") == "overpay.result-matches-request"
    assert "Expected:" in (failure.text or "") and "Received:" in (failure.text or "")
    assert RULES["overpay.result-matches-request"].text in (failure.text or "")
    rules = [p.get("value") for p in case.iter("property") if p.get("name") == "rule"]
    assert rules == ["overpay.result-shape", "overpay.result-matches-request"]
    skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    assert any("deferred (due 2026-" in (s.get("message") or "") for s in skipped if s is not None)


def test_summary_verdict_per_rule(reports: tuple[Path, dict[str, Any]]) -> None:
    out, returned = reports
    summary = json.loads((out / "summary.json").read_text())
    rules = summary["rules"]
    assert set(rules) == GATEWAY_RULES  # every rule of the targeted gateways, transport included
    assert rules["overpay.task-answer"]["verdict"] == "passed"
    assert rules["overpay.result-matches-request"]["verdict"] == "failed"
    assert rules["overpay.result-matches-request"]["counts"] == {"failed": 1}
    assert rules["overpay.result-shape"]["verdict"] == "not verified"  # stopped at another rule
    assert rules["overpay.retention-expiry"]["verdict"] == "deferred"
    assert rules["overpay.retention-expiry"]["due_iso"] == "2026-09-22T14:13:20Z"
    assert rules["opp.encrypted-webhook"]["verdict"] == "not verified"
    assert rules["overpay.unknown-404"]["verdict"] == "error"  # the harness broke: no verdict either way
    assert rules["overpay.unknown-404"]["counts"] == {"error": 1}
    assert rules["opp.final-state"]["verdict"] == "not verified"
    assert rules["opp.final-state"]["messages"] == ["no check in this run exercised this rule"]
    totals = summary["totals"]
    assert totals["failed"] == 1 and totals["passed"] == 1 and totals["deferred"] == 2
    assert totals["error"] == 1
    assert summary["unsettled"] == returned["unsettled"] == totals["deferred"] + totals["not verified"]
    assert sum(totals.values()) == len(GATEWAY_RULES)
    assert summary["check_totals"] == {"failed": 1, "error": 1, "deferred": 1, "not verified": 1,
                                       "passed": 1}
    assert set(summary["versions"]) == {"python", "asyncpay", "schemathesis", "hypothesis", "httpx",
                                        "pytest"}
    assert summary["versions"]["asyncpay"]
    assert summary["targets"] == {"overpay": "embedded mock", "opp": "embedded mock"}
    assert summary["untargeted"] == {"merchant": "the profile has no [merchant] target"}


def test_summary_numbers_survive_redaction(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    checks = json.loads((out / "summary.json").read_text())["checks"]
    failed = next(c for c in checks if c["verdict"] == "failed")
    assert failed["duration"] == 54.405
    assert [c["test"] for c in checks] == sorted(c["test"] for c in checks)


def test_summary_lists_deferred_coverage_and_fields(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    summary = json.loads((out / "summary.json").read_text())
    [entry] = summary["deferred"]
    assert entry["rule"] == "overpay.retention-expiry"
    assert entry["data"]["request_id"] == TASK
    assert entry["due_iso"] == "2026-09-22T14:13:20Z" and entry["due_now"] is False
    coverage = summary["coverage"]
    assert coverage["shapes"]["overpay/task"] == 2
    assert coverage["shapes"]["overpay/result"] == 1
    assert "overpay/webhook" in coverage["never_exercised"]
    assert not any("request-" in name or name.endswith("/common") for name in coverage["shapes"])
    fields = summary["fields"]
    assert fields["overpay/task"]["status_url"] == ["string"]
    assert fields["overpay/result"]["transaction.amount"] == ["integer"]
    assert fields["overpay/status-processing"] == {"$": ["object"], "request_id": ["string"],
                                                   "status": ["string"]}


def test_only_targeted_gateways_rules(tmp_path: Path, redactor: Redactor) -> None:
    out = tmp_path / "reports"
    summary = write_reports(evidence(out, records()), out, meta(targets={"overpay": "https://gw.test"}),
                            redactor=redactor)
    assert {row["gateway"] for row in summary["rules"].values()} == {"overpay", "transport"}
    assert summary["untargeted"] == {"opp": "the profile has no [opp] target",
                                     "merchant": "the profile has no [merchant] target"}
    assert not any(name.startswith("opp/") for name in summary["coverage"]["shapes"])


# --- secrets and the page ------------------------------------------------------------------

def test_nothing_written_carries_a_secret_card_or_cvv(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert SECRET not in text, path
            assert "4200000000000000" not in text, path
            assert '"verification_value": "123"' not in text, path
            assert "verification_value&#34;: &#34;123" not in text, path
            assert "card.cvv=123" not in text, path


def test_html_has_verdict_table_timeline_and_coverage(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    html = (out / "report.html").read_text()
    page = parse(html)
    rows = {attrs.get("id"): attrs.get("class") for tag, attrs in page.tags
            if tag == "tr" and attrs.get("id")}
    assert rows["rule-overpay.result-matches-request"] == "r-failed"
    assert rows["rule-overpay.task-answer"] == "r-passed"
    assert rows["rule-opp.encrypted-webhook"] == "r-not-verified"
    assert len([r for r in rows if r and r.startswith("rule-")]) == len(GATEWAY_RULES)
    assert html.index('id="rules"') < html.index('id="failures"') < html.index('id="coverage"')
    assert "<svg" in html and "<circle" in html
    assert "status:completed" in html
    assert any(tag == "section" and attrs.get("id") == "coverage" for tag, attrs in page.tags)
    assert "never exercised" in html
    assert "task expires in 24 h" in html or "2026-09-22T14:13:20Z" in html


def test_html_is_self_contained_and_escaped(reports: tuple[Path, dict[str, Any]]) -> None:
    out, _ = reports
    page = parse((out / "report.html").read_text())
    tags = [tag for tag, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "action", "data", "poster"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, name, value)
        if tag == "a":
            assert (attrs.get("href") or "").startswith("#"), attrs  # in-page anchors only
    assert "<script>alert(1)</script>" in "".join(page.text)  # shown as text, never as markup


def test_ledger_entry_settled_by_a_later_run(reports: tuple[Path, dict[str, Any]],
                                             redactor: Redactor) -> None:
    out, first = reports
    [entry] = first["deferred"]
    later = record("suites/ledger/test_due.py::test_retention_expiry", ["overpay.retention-expiry"], "passed",
                   resolves=entry["id"])
    summary = write_reports(evidence(out, [later], "r3p0rt0002"), out, meta(run_id="r3p0rt0002"),
                            redactor=redactor)
    assert summary["deferred"] == []
    assert not (out / "ledger.json").exists()
    assert summary["rules"]["overpay.retention-expiry"]["verdict"] == "passed"


def test_drift_against_a_baseline(reports: tuple[Path, dict[str, Any]], redactor: Redactor) -> None:
    out, _ = reports
    recs = records()
    recs[0]["verdict"] = "failed"
    recs[0]["failed_rule"] = "overpay.task-answer"
    recs[0]["duration"] = 3.0
    recs[1]["verdict"], recs[1]["failed_rule"] = "passed", None
    baseline = str(out / "runs" / f"{RUN_ID}.json")
    summary = write_reports(evidence(out, recs, "r3p0rt0003"), out,
                            meta(run_id="r3p0rt0003", baseline=baseline), redactor=redactor)
    drift = json.loads((out / "drift.json").read_text())
    assert drift == json.loads((out / "summary.json").read_text())["drift"]
    assert summary["drift"]["baseline"]["run_id"] == RUN_ID
    assert [c["test"] for c in drift["checks"]["regressed"]] == [recs[0]["test"]]
    assert [c["test"] for c in drift["checks"]["fixed"]] == [recs[1]["test"]]
    assert {"rule": "overpay.task-answer", "from": "passed", "to": "failed"} in drift["rules"]
    assert [t["test"] for t in drift["timings"]["slower"]] == [recs[0]["test"]]
    html = (out / "report.html").read_text()
    assert 'id="drift"' in html and "Regressed" in html


def test_missing_baseline_is_reported_not_fatal(tmp_path: Path, redactor: Redactor) -> None:
    out = tmp_path / "reports"
    missing = str(tmp_path / "nope.json")
    summary = write_reports(evidence(out, records()), out, meta(baseline=missing), redactor=redactor)
    assert "no such file" in summary["drift"]["error"]
    assert (out / "report.html").is_file() and (out / "drift.json").is_file()


def test_reports_without_any_check(tmp_path: Path, redactor: Redactor) -> None:
    out = tmp_path / "reports"
    started = time.time()
    summary = write_reports(evidence(out, []), out, meta(started=started, finished=started + 1),
                            redactor=redactor)
    assert summary["totals"]["not verified"] == len(GATEWAY_RULES)
    assert summary["unsettled"] == len(GATEWAY_RULES)
    page = parse((out / "report.html").read_text())
    assert "No check failed." in "".join(page.text)


@pytest.mark.parametrize(("verdicts", "expected"), [
    (["passed", "failed", "passed"], "failed"),
    (["passed", "error"], "error"),
    (["passed", "deferred"], "deferred"),
    (["passed", "not verified"], "passed"),
    (["not verified"], "not verified"),
])
def test_a_rule_checked_several_times_takes_the_most_serious_verdict(verdicts: list[str],
                                                                     expected: str) -> None:
    recs = [record(f"t::{i}", ["overpay.error-once"], verdict,
                   failed_rule="overpay.error-once" if verdict != "passed" else None)
            for i, verdict in enumerate(verdicts)]
    row = rule_verdicts([CheckRecord.from_dict(r) for r in recs], ["overpay"])["overpay.error-once"]
    assert row["verdict"] == expected
    assert sum(row["counts"].values()) == row["checks"] == len(verdicts)


def test_a_rule_passed_everywhere_but_in_a_check_deferred_on_another_rule_reads_passed() -> None:
    # The 30-minute checkout lifetime defers its check; the transport answers it saw were fine.
    recs = [record("t::a", ["opp.checkout-lifetime", "transport.answers"], "deferred",
                   failed_rule="opp.checkout-lifetime"),
            record("t::b", ["transport.answers"], "passed"),
            record("t::c", ["transport.answers"], "passed")]
    rows = rule_verdicts([CheckRecord.from_dict(r) for r in recs], ["transport", "opp"])
    assert rows["transport.answers"]["verdict"] == "passed"
    assert rows["transport.answers"]["reading"] == "passed, 1 deferred"
    assert rows["opp.checkout-lifetime"]["verdict"] == "deferred"


def test_a_rule_whose_own_check_waits_stays_deferred_and_says_what_passed() -> None:
    recs = [record("t::a", ["overpay.error-once"], "deferred", failed_rule="overpay.error-once"),
            record("t::b", ["overpay.error-once"], "passed")]
    row = rule_verdicts([CheckRecord.from_dict(r) for r in recs], ["overpay"])["overpay.error-once"]
    assert (row["verdict"], row["reading"]) == ("deferred", "deferred, 1 passed")
