"""The run plan: printed before a run against a real target, and alone with --asyncpay-plan."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

from asyncpay.config.profile import Timing, embedded_profile
from asyncpay.pytest.plan import measure, plan_for, sends
from asyncpay.reporting import ledger
from asyncpay.testing.runs import FAST_TIMING, profile_toml, run_suites

ROOT = Path(__file__).resolve().parent.parent
RETENTION = "suites/scenarios/overpay/test_retention.py::test_result_kept_for_retention_then_unknown_on_both_urls"
LIFETIME = "suites/scenarios/opp/test_checkout_lifetime.py::test_checkout_is_gone_30_minutes_after_its_creation"


def _sandbox(timing: Timing):
    profile = embedded_profile()
    profile.overpay = dataclasses.replace(profile.overpay, base_url="https://gateway.overpay.test",
                                          embedded=False, timing=timing)
    profile.opp = dataclasses.replace(profile.opp, base_url="https://eu-test.oppwa.test", embedded=False,
                                      timing=dataclasses.replace(timing, notification_timeout=600))
    return profile


def test_sends_names_the_transaction_a_request_creates() -> None:
    assert sends("POST", "https://gw.test/transactions/captures") == "overpay captures"
    assert sends("POST", "https://gw.test/v1/payments/8ac7a4a1", "paymentType=RF&amount=1.00") == "opp payments RF"
    assert sends("POST", "https://gw.test/v1/checkouts") == "opp checkouts"
    assert sends("GET", "https://gw.test/async/status/1") is None
    assert sends("POST", "https://gw.test/v1/checkouts/ABC/payment") is None  # the shopper's form


def test_measure_counts_creations_per_test() -> None:
    records = [{"test": "../x/suites/a.py::t[1]", "rules": ["overpay.completes"], "recording": {"exchanges": [
        {"method": "POST", "url": "https://gw/async/transactions/payments"},
        {"method": "GET", "url": "https://gw/async/status/1"},
        {"method": "POST", "url": "https://gw/async/transactions/payments"}]}}]
    assert measure(records)["tests"] == {"suites/a.py::t[1]": {"rules": ["overpay.completes"],
                                                              "sends": {"overpay payments": 2}}}


def test_a_window_longer_than_max_wait_is_deferred_and_a_shorter_one_is_the_longest_wait(tmp_path) -> None:
    ledger_path = tmp_path / "ledger.json"
    plan = plan_for([RETENTION, LIFETIME], _sandbox(Timing()), ledger_path)
    assert [line.split(":")[0] for line in plan.deferred] == ["overpay.retention-expiry", "opp.checkout-lifetime"]
    assert all(str(ledger_path) in line for line in plan.deferred)
    assert (plan.longest_wait, plan.longest_wait_why) == (600, "opp notification_timeout")
    assert plan.transactions["overpay"]["payments"] >= 1 and plan.transactions["opp"]["checkouts"] >= 1

    short = plan_for([RETENTION], _sandbox(Timing(retention=90, notification_timeout=30)), ledger_path)
    assert not short.deferred
    assert short.longest_wait == 600  # OPP's notification_timeout still


def test_the_plan_counts_ledger_entries_due_and_unmeasured_tests(tmp_path) -> None:
    path = tmp_path / "ledger.json"
    ledger.save(path, [ledger.LedgerEntry("a", "overpay.retention-expiry", RETENTION, due=100.0),
                       ledger.LedgerEntry("b", "overpay.retention-expiry", RETENTION, due=10_000.0)])
    plan = plan_for(["suites/scenarios/overpay/test_new.py::test_x"], _sandbox(Timing()), path, now=200.0)
    assert (plan.ledger_due, plan.ledger_waiting, plan.unmeasured) == (1, 1, 1)
    assert any("1 deferred checks of earlier runs are due" in line for line in plan.lines(_sandbox(Timing())))


def test_asyncpay_plan_prints_the_plan_and_sends_nothing(tmp_path: Path) -> None:
    # A target where nothing listens: the reachability check would stop the run, a test would
    # fail on transport.answers. The plan needs neither.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{sock.getsockname()[1]}"
    profile = tmp_path / "sandbox.toml"
    profile.write_text(profile_toml(overpay=nowhere, opp=nowhere, timing=FAST_TIMING))
    run = run_suites(["suites"], profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=300,
                     args=["--asyncpay-plan", "-n", "2"])
    assert run.returncode == 0, run.tail()
    assert "asyncpay plan for 'test target'" in run.output, run.tail()
    assert "nothing sent (--asyncpay-plan)" in run.output
    assert "no tests ran" in run.output
    assert not (tmp_path / "reports" / "summary.json").exists()
