"""From a finished test to a check record: which rules it checked, its verdict, its evidence.

A test names its rules with ``@pytest.mark.rule(...)``; any test that talked to a gateway also
checked the transport rules. The record carries the redacted message and the test's recording.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest

from asyncpay.config import options
from asyncpay.errors import ContractViolation
from asyncpay.http.recording import SHOP_SIDE, Recording
from asyncpay.pytest.session import session_of
from asyncpay.verdicts import UNSETTLED_OUTCOMES, CheckRecord, Verdict, failed_rule_of

#: set on a test item that checked a ledger entry: the entry's id, so the ledger drops it
RESOLVES = pytest.StashKey[str]()
#: rules a test item observed nothing decisive for (rule → why): not verified even if it passes
UNDECIDED = pytest.StashKey[dict[str, str]]()
#: the exchanges of one test item
ITEM_RECORDING = pytest.StashKey[Recording]()

#: Every exchange is held to these (the gateways hand them to each client), so any check that
#: talked to a gateway checks them (a shop's exchanges with the platform asyncpay plays: not).
TRANSPORT_RULES = ("transport.answers", "transport.json-content-type", "transport.no-redirect")


def undecided(item: pytest.Item, rule: str, reason: str) -> None:
    """Mark ``rule`` of a (passing) test as *not verified*: it observed nothing decisive for it.
    ``item`` is the test's ``request.node``."""
    item.stash.setdefault(UNDECIDED, {})[rule] = reason


def recording_of(item: pytest.Item) -> Recording:
    """The recording of ``item``'s exchanges, made on first use."""
    rec = item.stash.get(ITEM_RECORDING, None)
    if rec is None:
        rec = item.stash[ITEM_RECORDING] = Recording()
    return rec


def rules_of(item: pytest.Item) -> list[str]:
    """The rule ids of ``item``'s ``rule`` markers, in order."""
    rules: list[str] = []
    for mark in item.iter_markers("rule"):
        rules.extend(mark.args)
    return rules


#: Where the suites say a deferred check is kept; a run with ``--asyncpay-reports-dir`` keeps it elsewhere.
DEFAULT_LEDGER = "reports/ledger.json"


def ledger_named(config: pytest.Config, reason: str) -> str:
    """``reason`` naming the run's real ledger (``<reports dir>/ledger.json``)."""
    real = str(Path(options.value(config, "reports_dir")) / "ledger.json")
    return reason.replace(DEFAULT_LEDGER, real) if real != DEFAULT_LEDGER else reason


def _skip_reason(report: pytest.TestReport) -> str:
    """Why pytest skipped a test: the reason of a skip mark or a ``pytest.skip`` call."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def record(item: pytest.Item, report: pytest.TestReport, exc: BaseException | None) -> None:
    """Append ``item``'s check record to the session (nothing for a test that names no rule)."""
    rules = rules_of(item)
    if not rules:
        return
    rec = item.stash.get(ITEM_RECORDING, None)
    if rec is not None and any(not e.label.startswith(SHOP_SIDE) for e in rec.exchanges):
        rules = rules + [r for r in TRANSPORT_RULES if r not in rules]
    if report.skipped and not isinstance(exc, UNSETTLED_OUTCOMES):
        exc = None  # skipped by pytest itself (a skip mark, pytest.skip in a fixture): not verified
    verdict = Verdict.from_outcome(exc, passed=report.passed)
    if verdict is Verdict.NOT_VERIFIED and exc is None:
        message = _skip_reason(report)
    elif isinstance(exc, UNSETTLED_OUTCOMES):
        message = ledger_named(item.config, exc.reason)
    elif isinstance(exc, ContractViolation):
        message = str(exc)
    elif exc is not None:
        message = str(report.longrepr) if verdict is Verdict.FAILED else \
            "".join(traceback.format_exception_only(type(exc), exc))
    else:
        message = ""
    undecided_rules = item.stash.get(UNDECIDED, {}) if verdict is Verdict.PASSED else {}
    if undecided_rules:
        message = "; ".join(f"[{rule}] not verified: {why}" for rule, why in undecided_rules.items())
    state = session_of(item.config)
    # A failure's longrepr was redacted when its report was made (pytest_runtest_makereport):
    # every other message is redacted here, each once.
    from_failed_report = exc is not None and verdict is Verdict.FAILED and not isinstance(exc, ContractViolation)
    state.records.append(CheckRecord(
        test=item.nodeid,
        rules=rules,
        verdict=verdict,
        failed_rule=failed_rule_of(exc, rules) if verdict is not Verdict.PASSED else None,
        message=message if from_failed_report else state.redactor.text(message),
        duration=report.duration,
        due=getattr(exc, "due", None),
        ledger=getattr(exc, "data", None) or None,
        resolves=item.stash.get(RESOLVES, None),
        recording=rec.to_dict() if rec is not None else None,
        undecided=list(undecided_rules),
    ))
