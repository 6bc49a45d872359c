"""The COPYandPAY suites against the mock in real time, pointed at by a profile like any gateway:
they pass in both notification styles; a lifetime longer than max_wait goes to the ledger and is
checked by a later run once it is due; a notification whose resourcePath leads to another host
fails the run on the resource-path rule while that host, listening, receives nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from asyncpay.mock.testing import MockServer
from asyncpay.mock.urls import OFF_ORIGIN_HOST
from asyncpay.testing.runs import profile_toml, run_suites
from asyncpay.waiting.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
LIFETIME = 2  # seconds: short, so one run sees a checkout expire
TIMING: dict[str, float | str] = {"clock": "real", "max_wait": 30, "notification_timeout": 10,
                                  "request_timeout": 5, "checkout_lifetime": LIFETIME}
SUITES = ["suites/scenarios/opp/test_checkout_answer.py", "suites/scenarios/opp/test_checkout_invalid.py",
          "suites/scenarios/opp/test_checkout_redirect.py", "suites/scenarios/opp/test_checkout_notification.py",
          "suites/scenarios/opp/test_checkout_fallback.py", "suites/scenarios/opp/test_checkout_status.py",
          "suites/scenarios/opp/test_checkout_status_auth.py", "suites/scenarios/opp/test_checkout_session_error.py",
          "suites/scenarios/opp/test_checkout_lifetime.py", "suites/scenarios/opp/test_checkout_throttle.py"]
#: What those suites check, besides the throttle (which a real-time run does not provoke).
CHECKED = {"opp.checkout-answer", "opp.validation-error", "opp.checkout-redirect", "opp.resource-path",
           "opp.checkout-notification", "opp.notification-get", "opp.shopper-result-fallback",
           "opp.checkout-status", "opp.result-code-documented", "opp.auth-required", "opp.checkout-session-error",
           "opp.checkout-lifetime"}
LIFETIME_SUITES = ["suites/scenarios/opp/test_checkout_lifetime.py",
                   "suites/scenarios/opp/test_checkout_lifetime_ledger.py"]


def profile(tmp_path: Path, url: str, **timing: float | str) -> Path:
    path = tmp_path / "checkout-mock.toml"
    path.write_text(profile_toml(opp=url, timing={**TIMING, **timing}, name="mock in real time"), encoding="utf-8")
    return path


@pytest.mark.parametrize("style", ["checkout", "payment"])
def test_the_checkout_suites_pass_on_the_mock_in_real_time(tmp_path: Path, style: str) -> None:
    with MockServer(clock="real", checkout_lifetime=LIFETIME, checkout_notification=style) as mock:
        run = run_suites(SUITES, profile=profile(tmp_path, mock.url), reports=tmp_path / "reports", cwd=ROOT,
                         timeout=180)

    assert run.returncode == 0, f"exit code {run.returncode}; output ends:\n{run.tail()}"
    rules = {rule: row["verdict"] for rule, row in run.summary()["rules"].items()}
    assert rules["opp.checkout-throttle"] == "not verified"  # not provoked in real time
    # The lifetime too is checked in this run: it is shorter than max_wait.
    assert {rule: rules[rule] for rule in CHECKED} == dict.fromkeys(CHECKED, "passed")


def test_a_lifetime_beyond_max_wait_is_deferred_to_the_ledger_then_checked(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with MockServer(clock="real", checkout_lifetime=LIFETIME) as mock:
        path = profile(tmp_path, mock.url, max_wait=0.5)
        first = run_suites(LIFETIME_SUITES, profile=path, reports=reports, cwd=ROOT)
        assert first.returncode == 0, first.tail()
        assert first.summary()["rules"]["opp.checkout-lifetime"]["verdict"] == "deferred"
        entries = json.loads((reports / "ledger.json").read_text())["entries"]
        assert [e["rule"] for e in entries] == ["opp.checkout-lifetime"]
        # The one real-time wait: until the entry falls due (a couple of seconds).
        time.sleep(max(0.0, entries[0]["due"] - time.time()))

        later = run_suites(LIFETIME_SUITES[1:], profile=path, reports=reports, cwd=ROOT)

    assert later.returncode == 0, later.tail()
    checks = {c["test"].split("::")[-1]: c for c in later.checks()}
    settled = checks[f"test_pending_checkout_expiry_from_an_earlier_run[{entries[0]['id']}]"]
    assert (settled["verdict"], settled["resolves"]) == ("passed", entries[0]["id"])
    assert not (reports / "ledger.json").exists()


@pytest.mark.parametrize("fault", ["checkout-resource-path-protocol-relative", "checkout-resource-path-absolute"])
def test_a_resource_path_to_another_host_fails_the_run_and_the_host_gets_nothing(tmp_path: Path, fault: str) -> None:
    with MockServer(clock="real", faults=[fault]) as mock, \
            Receiver(OFF_ORIGIN_HOST, httpx.URL(mock.url).port or 0) as canary:
        run = run_suites(["suites/scenarios/opp/test_checkout_notification.py"], profile=profile(tmp_path, mock.url),
                         reports=tmp_path / "reports", cwd=ROOT)
        arrived = canary.requests()

    assert run.returncode == 1, run.tail()
    assert run.failed_rules() == {"opp.resource-path"}
    assert "[opp.resource-path]" in run.output and OFF_ORIGIN_HOST in run.output
    assert arrived == [], [(r.method, r.path) for r in arrived]
