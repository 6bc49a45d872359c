"""Hostile gateways: the suites, run as a user runs them, end on their own, fail naming the rule
the gateway broke, and send nothing — let alone a credential — to any other origin.

Each case serves the mock with one attack switched on (``asyncpay.testing.hostile``) next to an
"evil" origin (a receiver on another port, where the attack points the client), runs the
scenarios that meet the attack in a fresh ``pytest`` process, and checks the run from outside.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pytest

from asyncpay.config.profile import MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN
from asyncpay.testing.hostile import NOTIFICATION_FLOOD, HostileGateway
from asyncpay.testing.runs import FAST_TIMING, SuiteRun, profile_toml, run_suites
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

ROOT = Path(__file__).resolve().parent.parent
# A guard against a hang, never a measured property: a run still going then has hung (the runs
# take seconds; how fast a suite run is belongs to benchmarks/, not to this test).
HARD_TIMEOUT = 120.0
MAX_RSS = 256 << 20  # the runner's peak memory; ~100 MiB is usual, a swallowed flood is far more
MAX_REPORTS = 4 << 20  # every exchange is recorded, bodies capped: reports stay small

TASK_ANSWER = "suites/scenarios/overpay/test_task_answer.py"
TASK_ANSWER_ONE = TASK_ANSWER + "::test_async_post_answers_with_a_processing_task[payments]"
COMPLETION = "suites/scenarios/overpay/test_completion.py"
OPP_FLOW = "suites/scenarios/opp/test_notification_flow.py"
OPP_FLOW_MAIN = OPP_FLOW + "::test_notification_leads_to_the_final_status"
READS = ("overpay-status", "overpay-result", "opp-status")
SECRETS = {
    "secret key": MOCK_SECRET_KEY,
    "OPP token": MOCK_TOKEN,
    "Basic credential": base64.b64encode(f"{MOCK_SHOP_ID}:{MOCK_SECRET_KEY}".encode()).decode(),
}


@dataclass(frozen=True)
class Case:
    mode: str
    suites: tuple[str, ...]
    rules: tuple[str, ...]  # every failure names one of these, and each is named; () = clean pass
    routes: tuple[str, ...] | None = None  # None: the mode's default routes

    def __str__(self) -> str:
        return self.mode


CASES = [
    # The slow ones first, so the two workers finish together.
    Case("hang", (TASK_ANSWER_ONE, OPP_FLOW_MAIN), ("transport.answers",), READS),
    Case("drip", (TASK_ANSWER_ONE,), ("transport.answers",), ("overpay-create",)),
    Case("redirect", (TASK_ANSWER, COMPLETION, OPP_FLOW), ("transport.no-redirect",)),
    # The APIs speak application/json: JSON labelled text/html breaks that rule, and only that one.
    Case("wrong-content-type", (TASK_ANSWER, COMPLETION, OPP_FLOW_MAIN), ("transport.json-content-type",)),
    Case("reset", (TASK_ANSWER, COMPLETION), ("transport.answers",)),
    Case("flood", (TASK_ANSWER, COMPLETION), ("transport.answers",), READS),
    Case("gzip-bomb", (TASK_ANSWER, COMPLETION), ("transport.answers",), READS),
    Case("leak-urls", (TASK_ANSWER, COMPLETION), ("overpay.urls-on-gateway",)),
    Case("garbage", (TASK_ANSWER, OPP_FLOW_MAIN), ("overpay.task-answer", "opp.payment-answer"),
         ("overpay-create", "opp-pay")),
    Case("bad-encoding", (TASK_ANSWER,), ("transport.answers",), ("overpay-create",)),
    Case("deep-json", (TASK_ANSWER,), ("overpay.task-answer",), ("overpay-create",)),
    Case("slow-headers", (TASK_ANSWER,), ("transport.answers",)),
]


def _attacked(case: Case, tmp_path: Path) -> tuple[SuiteRun, HostileGateway, list[ReceivedRequest]]:
    """Run ``case``; the run, the (stopped) gateway and what reached the evil origin."""
    with Receiver() as evil, \
            HostileGateway(case.mode, evil_url=evil.url, routes=case.routes) as gateway:
        profile = tmp_path / "hostile.toml"
        profile.write_text(profile_toml(overpay=gateway.url, opp=gateway.url, timing=FAST_TIMING,
                                        name=f"hostile gateway: {case.mode}"), encoding="utf-8")
        run = run_suites(case.suites, profile=profile, reports=tmp_path / "reports", cwd=ROOT,
                         timeout=HARD_TIMEOUT)
        return run, gateway, evil.requests()


def _assert_survived(case: Case, run: SuiteRun, gateway: HostileGateway,
                          requests_at_evil: list[ReceivedRequest]) -> None:
    assert not run.hung, f"the run hung: killed after {HARD_TIMEOUT:g} s; output ends:\n{run.tail()}"
    # 0 all passed, 1 checks failed; 2-4 would mean the run itself broke (interrupted, internal
    # error, usage error), anything else a crash.
    assert run.returncode == (1 if case.rules else 0), \
        f"exit code {run.returncode}; output ends:\n{run.tail()}"
    # An uncaught exception also exits with 1: the reports tell a finished run from a crash.
    assert (run.reports / "summary.json").is_file(), f"the run crashed; output ends:\n{run.tail()}"
    assert "INTERNALERROR" not in run.output, run.tail()
    assert sum(gateway.hits.values()) > 0, "the attack was never made: the run proves nothing"

    with_credentials = [r for r in requests_at_evil if "authorization" in r.headers]
    assert not with_credentials, f"credentials were sent to another origin: {with_credentials}"
    assert requests_at_evil == [], f"the client called another origin: {requests_at_evil}"

    checks = run.checks()
    assert checks, f"the run recorded no check; output ends:\n{run.tail()}"
    unnamed = [c for c in checks if c["verdict"] not in ("passed", "not verified")
               and (c["verdict"] != "failed" or c["failed_rule"] not in case.rules)]
    assert not unnamed, "a check did not fail on the attacked rule: " + "; ".join(
        f"{c['test']}: {c['verdict']} {c['failed_rule']}: {c['message'][:300]}" for c in unnamed)
    for rule in case.rules:
        assert f"[{rule}]" in run.output, f"no failure message names {rule}; output ends:\n{run.tail()}"

    assert run.max_rss < MAX_RSS, f"the run peaked at {run.max_rss >> 20} MiB"
    assert run.reports_size() < MAX_REPORTS, f"the reports take {run.reports_size() >> 10} KiB"
    written = [run.output] + [p.read_text(errors="replace") for p in run.reports.rglob("*") if p.is_file()]
    leaked = [name for name, secret in SECRETS.items() if any(secret in text for text in written)]
    assert not leaked, f"printed or written in the clear: {leaked}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_hostile_gateway_fails_the_run_safely(case: Case, tmp_path: Path) -> None:
    _assert_survived(case, *_attacked(case, tmp_path))


def test_leaked_resource_paths_are_refused_in_both_forms(tmp_path: Path) -> None:
    # The gateway alternates //host:port/... and http://host:port/...: one per payment.
    case = Case("leak-resource-path", (OPP_FLOW,), ("opp.resource-path",))
    run, gateway, requests_at_evil = _attacked(case, tmp_path)

    _assert_survived(case, run, gateway, requests_at_evil)
    sent = gateway.notifications
    assert sorted(path.split("/")[0] for path in sent) == ["", "http:"], sent  # //host… and http://…
    for path in sent:
        assert path in run.output, f"no failure quotes the resourcePath {path}"


def test_a_notification_flood_is_absorbed(tmp_path: Path) -> None:
    # Duplicates are not forbidden (the docs are silent): a flood of them must change nothing.
    case = Case("notification-flood", (OPP_FLOW,), ())
    run, gateway, requests_at_evil = _attacked(case, tmp_path)

    _assert_survived(case, run, gateway, requests_at_evil)
    assert len(gateway.notifications) > NOTIFICATION_FLOOD  # the last flood may outlast the run
    assert {c["verdict"] for c in run.checks()} == {"passed"}
