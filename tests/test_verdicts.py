"""How a test's ending maps to a verdict on its rules: pinned end to end with pytester."""

import json

import pytest

from asyncpay.verdicts import CheckRecord, Verdict, failed_rule_of, rule_verdict

pytest_plugins = ["pytester"]

SUITE = '''
import pytest
from asyncpay.errors import ContractViolation, Deferred, NotVerified

@pytest.mark.rule("overpay.unknown-404", "overpay.retention-kept")
def test_plain_assert():
    assert 1 == 2, "the gateway answered 200"

@pytest.mark.rule("overpay.error-once")
def test_violation():
    raise ContractViolation("overpay.error-once", "twice", expected="once", received="twice")

@pytest.mark.rule("overpay.uid-query")
def test_harness_error():
    {}["missing"]

@pytest.mark.rule("overpay.tracking-query")
def test_not_verified():
    raise NotVerified("overpay.tracking-query", "no trigger")

@pytest.mark.rule("overpay.retention-expiry")
def test_deferred():
    raise Deferred("overpay.retention-expiry", "24 h", due=1.0, data={"request_id": "r"})

@pytest.mark.rule("overpay.webhook")
def test_passes():
    pass

@pytest.mark.rule("overpay.idempotent-request")
@pytest.mark.skip(reason="the account has no idempotency")
def test_skip_mark():
    pass

@pytest.fixture
def no_shop():
    pytest.skip("no shop to judge")

@pytest.mark.rule("overpay.incomplete-final")
def test_skipped_by_a_fixture(no_shop):
    pass

@pytest.mark.rule("overpay.auth-required")
def test_misspelt_rule():
    raise ContractViolation("overpay.no-such-rule", "typo")
'''


def test_each_ending_maps_to_its_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    reports = pytester.path / "reports"

    result = pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-reports-dir", str(reports))

    assert result.ret == 1
    summary = json.loads((reports / "summary.json").read_text())
    checks = {c["test"].split("::")[-1]: c for c in summary["checks"]}
    assert (checks["test_plain_assert"]["verdict"], checks["test_plain_assert"]["failed_rule"]) == \
        ("failed", "overpay.unknown-404")
    assert (checks["test_violation"]["verdict"], checks["test_violation"]["failed_rule"]) == \
        ("failed", "overpay.error-once")
    assert checks["test_harness_error"]["verdict"] == "error"
    assert checks["test_not_verified"]["verdict"] == "not verified"
    assert checks["test_deferred"]["verdict"] == "deferred"
    assert checks["test_passes"]["verdict"] == "passed"
    assert checks["test_misspelt_rule"]["verdict"] == "error"
    # Skipped by pytest itself (a mark, pytest.skip in a fixture): not verified, never an error.
    assert (checks["test_skip_mark"]["verdict"], checks["test_skip_mark"]["message"]) == \
        ("not verified", "the account has no idempotency")
    assert (checks["test_skipped_by_a_fixture"]["verdict"], checks["test_skipped_by_a_fixture"]["message"]) == \
        ("not verified", "no shop to judge")
    assert "no documented rule 'overpay.no-such-rule'" in checks["test_misspelt_rule"]["message"]
    rules = summary["rules"]
    assert rules["overpay.unknown-404"]["verdict"] == "failed"
    assert rules["overpay.retention-kept"]["verdict"] == "not verified"  # the test stopped before it
    assert rules["overpay.error-once"]["verdict"] == "failed"
    assert rules["overpay.uid-query"]["verdict"] == "error"
    assert rules["overpay.tracking-query"]["verdict"] == "not verified"
    assert rules["overpay.retention-expiry"]["verdict"] == "deferred"
    assert rules["overpay.webhook"]["verdict"] == "passed"


def test_rule_verdict_takes_the_worst() -> None:
    assert rule_verdict([Verdict.PASSED, Verdict.FAILED]) is Verdict.FAILED
    assert rule_verdict([Verdict.PASSED, Verdict.ERROR]) is Verdict.ERROR
    assert rule_verdict([Verdict.PASSED, Verdict.DEFERRED]) is Verdict.DEFERRED
    assert rule_verdict([Verdict.NOT_VERIFIED, Verdict.PASSED]) is Verdict.PASSED
    assert rule_verdict([]) is Verdict.NOT_VERIFIED


def test_a_plain_assertion_fails_the_first_rule() -> None:
    assert failed_rule_of(AssertionError("x"), ["overpay.webhook", "overpay.completes"]) == "overpay.webhook"
    assert failed_rule_of(KeyError("x"), ["overpay.webhook"]) is None


def test_check_record_round_trips() -> None:
    record = CheckRecord("t::x", ["overpay.webhook"], Verdict.DEFERRED, "overpay.webhook", "m", 1.0, 2.0, {"a": 1})
    assert CheckRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_a_passed_check_does_not_pass_the_rules_it_saw_nothing_decisive_for() -> None:
    record = CheckRecord("suites/stateful/t.py::t", ["overpay.completes", "overpay.unknown-404"],
                         Verdict.PASSED, undecided=["overpay.completes"])
    assert record.verdict_for("overpay.completes") is Verdict.NOT_VERIFIED
    assert record.verdict_for("overpay.unknown-404") is Verdict.PASSED
    assert CheckRecord.from_dict(record.to_dict()).undecided == ["overpay.completes"]
    failed = CheckRecord("t", ["overpay.completes"], Verdict.FAILED, failed_rule="overpay.completes",
                         undecided=["overpay.completes"])
    assert failed.verdict_for("overpay.completes") is Verdict.FAILED
