"""The run plan: what a run against a real target will send and wait for, before it sends anything.

Printed at the start of every run against a target that is not the embedded mock; with
``--asyncpay-plan`` it is printed and the run ends there, nothing sent (not even the reachability
checks). The numbers are an **estimate**: the transactions each collected test created in a
measured run (``plan_reference.json``, a real-time mock, Hypothesis profile ``dev``), summed over
the collected tests; a test the measurement does not know counts one transaction. Waits and
deferrals follow from the profile's timing::

    asyncpay plan (an estimate: transactions per test as measured on a real-time mock)
      overpay  https://gateway.overpay.io   ~128 transactions: payments 77, authorizations 25, …
      opp      https://eu-test.oppwa.com    ~43 transactions: checkouts 21, payments DB 10, …
      longest wait  600 s (opp notification_timeout); waits overlap: a run takes about this
      deferred      overpay.retention-expiry: retention 86400 s > max_wait 120 s → ledger …

Measured again with ``python -m asyncpay.pytest.plan --measure reports/records.json`` after a run
of every suite against ``python -m asyncpay.mock --clock real`` (see ``tests/test_plan.py``).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from asyncpay.config import options
from asyncpay.config.profile import OppTarget, OverpayTarget, Profile
from asyncpay.reporting import ledger

__all__ = ["Plan", "PlanHooks", "measure", "plan_for", "sends"]

REFERENCE = Path(__file__).with_name("plan_reference.json")
#: Rules whose check waits out a window that may be longer than one run, and the timing key.
_WINDOWS = {"overpay.retention-expiry": ("overpay", "retention"),
            "opp.checkout-lifetime": ("opp", "checkout_lifetime")}
_OVERPAY_CREATE = re.compile(r"^(?:/async)?/transactions/(?P<op>[a-z_]+)$")
_OPP_PAYMENT = re.compile(r"^/v\d+/payments(?:/[^/]+)?$")
_OPP_CHECKOUT = re.compile(r"^/v\d+/checkouts$")


def sends(method: str, url: str, request_body: str = "") -> str | None:
    """``"overpay payments"``, ``"opp payments DB"``, ``"opp checkouts"``: the transaction a request
    creates, or None for a read, a query or a shopper's form post.

    >>> sends("POST", "https://gw.test/async/transactions/refunds")
    'overpay refunds'
    >>> sends("POST", "https://eu-test.oppwa.com/v1/payments", "entityId=8a82&paymentType=DB")
    'opp payments DB'
    """
    if method.upper() != "POST":
        return None
    path = urlsplit(url).path
    if found := _OVERPAY_CREATE.match(path):
        return f"overpay {found.group('op')}"
    if _OPP_PAYMENT.match(path):
        kind = (parse_qs(request_body).get("paymentType") or ["?"])[0]
        return f"opp payments {kind}"
    if _OPP_CHECKOUT.match(path):
        return "opp checkouts"
    return None


def _span(seconds: float) -> str:
    """``"90 s"``, ``"30 min"``, ``"24 h"``: a duration as a person reads it."""
    if seconds >= 7200:
        return f"{seconds / 3600:g} h"
    if seconds >= 120:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _key(nodeid: str) -> str:
    """A test's id from its ``suites/`` folder on: the same wherever the suites are run from."""
    at = nodeid.find("suites/")
    return nodeid[at:] if at >= 0 else nodeid


def measure(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The reference: per test, its rules and the transactions its recorded exchanges created."""
    tests: dict[str, Any] = {}
    for rec in records:
        made = Counter(kind for ex in (rec.get("recording") or {}).get("exchanges") or []
                       if (kind := sends(ex.get("method") or "", ex.get("url") or "",
                                         ex.get("request_body") or "")))
        tests[_key(rec["test"])] = {"rules": list(rec.get("rules") or []), "sends": dict(sorted(made.items()))}
    return {"measured": "every suite against python -m asyncpay.mock --clock real, Hypothesis profile dev",
            "tests": dict(sorted(tests.items()))}


@cache
def _reference() -> dict[str, Any]:
    try:
        return dict(json.loads(REFERENCE.read_text(encoding="utf-8")).get("tests") or {})
    except (OSError, ValueError):
        return {}


def _by_function() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for key, entry in _reference().items():
        out.setdefault(key.split("[", 1)[0], []).append(entry)
    return out


@dataclass
class Plan:
    """What a run will cost: transactions per gateway and operation, waits, deferrals."""

    transactions: dict[str, Counter[str]] = field(default_factory=dict)  # gateway → operation → n
    unmeasured: int = 0  # collected tests the reference does not know (one transaction each)
    longest_wait: float = 0.0  # seconds
    longest_wait_why: str = ""
    deferred: list[str] = field(default_factory=list)
    ledger_due: int = 0
    ledger_waiting: int = 0
    tests: int = 0

    def lines(self, profile: Profile) -> list[str]:
        """The plan as terminal lines (the first one a heading)."""
        out = [f"asyncpay plan for {profile.name!r}, {self.tests} tests collected "
               "(an estimate: transactions per test as measured on a real-time mock)"]
        for gateway, target in (("overpay", profile.overpay), ("opp", profile.opp)):
            if target is None:
                continue
            ops = self.transactions.get(gateway, Counter())
            detail = ", ".join(f"{op} {n}" for op, n in ops.most_common())
            where = "embedded mock" if target.embedded else target.base_url
            out.append(f"  {gateway:<8} {where}  ~{sum(ops.values())} transactions"
                       + (f": {detail}" if detail else ""))
        if self.unmeasured:
            out.append(f"  {self.unmeasured} tests not in the measurement, counted as one transaction each")
        out.append(f"  longest wait  {_span(self.longest_wait)} ({self.longest_wait_why}); the waits overlap, "
                   "so a run takes about this plus start-up")
        for line in self.deferred or ["nothing: every window fits in max_wait"]:
            out.append(f"  deferred      {line}")
        if self.ledger_due or self.ledger_waiting:
            out.append(f"  ledger        {self.ledger_due} deferred checks of earlier runs are due and will be "
                       f"made; {self.ledger_waiting} not yet due")
        return out


def _targets(profile: Profile) -> dict[str, OverpayTarget | OppTarget]:
    return {name: target for name, target in (("overpay", profile.overpay), ("opp", profile.opp))
            if target is not None}


def plan_for(nodeids: Iterable[str], profile: Profile, ledger_path: Path,
             now: float | None = None) -> Plan:
    """The plan for running the tests ``nodeids`` against ``profile``'s targets."""
    targets = _targets(profile)
    plan = Plan(transactions={name: Counter() for name in targets})
    reference, functions = _reference(), _by_function()
    rules: set[str] = set()
    for nodeid in nodeids:
        key = _key(nodeid)
        entry = reference.get(key)
        if entry is None and (similar := functions.get(key.split("[", 1)[0])):
            entry = similar[0]  # another parametrisation of the same test
        gateway = next((g for g in targets if f"/{g}/" in key or f"_{g}_" in key), None)
        if entry is None:
            if gateway is not None:
                plan.unmeasured += 1
                plan.transactions[gateway][f"{'payments' if gateway == 'overpay' else 'payments DB'}"] += 1
            plan.tests += 1
            continue
        plan.tests += 1
        rules.update(entry.get("rules") or [])
        for kind, count in (entry.get("sends") or {}).items():
            name, _, op = kind.partition(" ")
            if name in targets:
                plan.transactions[name][op] += int(count)
    waits: list[tuple[float, str]] = []
    for name, target in targets.items():
        timing = target.timing
        if timing.clock == "virtual":
            continue  # the suites move a virtual clock themselves: no real wait
        waits += [(timing.processing_timeout, f"{name} processing_timeout"),
                  (timing.notification_timeout, f"{name} notification_timeout")]
    for rule, (name, key) in _WINDOWS.items():
        waiting = targets.get(name)
        if waiting is None or rule not in rules or waiting.timing.clock == "virtual":
            continue
        window = float(getattr(waiting.timing, key))
        if window > waiting.timing.max_wait:
            plan.deferred.append(f"{rule}: {key} {_span(window)} > max_wait {_span(waiting.timing.max_wait)}; "
                                 f"{ledger_path} keeps it, a run {_span(window)} or more later makes it")
        else:
            waits.append((window, f"{name} {key}"))
    if waits:
        plan.longest_wait, plan.longest_wait_why = max(waits)
    else:
        plan.longest_wait_why = "virtual clock: the suites move time themselves"
    moment = time.time() if now is None else now
    try:
        entries = ledger.load(ledger_path)
    except Exception:  # an unreadable ledger is reported by the run itself
        entries = []
    plan.ledger_due = sum(1 for entry in entries if entry.is_due(moment))
    plan.ledger_waiting = len(entries) - plan.ledger_due
    return plan


class PlanHooks:
    """Prints the plan at the start of a run against a real target; ``--asyncpay-plan`` ends the
    run there. Registered by the plugin."""

    def __init__(self) -> None:
        self._printed = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> None:
        if options.value(config, "plan") and hasattr(config.option, "numprocesses"):
            # Workers would collect in their own processes; the plan is the controller's to print.
            config.option.numprocesses = 0
            config.option.dist = "no"

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not hasattr(session.config, "workerinput") and session.items:
            from asyncpay.pytest.plugin import is_suite_item
            self._print(session.config, [item.nodeid for item in session.items if is_suite_item(item)])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._print(node.config, ids)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        return True if options.value(session.config, "plan") else None

    def _print(self, config: pytest.Config, nodeids: list[str]) -> None:
        from asyncpay.pytest.plugin import profile_of
        profile = profile_of(config)
        wanted = options.value(config, "plan")
        if self._printed or profile is None or not nodeids or (profile.embedded and not wanted):
            return
        self._printed = True
        path = Path(options.value(config, "reports_dir")) / "ledger.json"
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        for line in plan_for(nodeids, profile, path).lines(profile):
            if reporter is not None:
                reporter.write_line(line)
        if wanted and reporter is not None:
            reporter.write_line("  nothing sent (--asyncpay-plan)")


def main(argv: list[str] | None = None) -> int:
    """``python -m asyncpay.pytest.plan --measure reports/records.json``: rewrite the reference."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "--measure":
        print("usage: python -m asyncpay.pytest.plan --measure REPORTS/records.json", file=sys.stderr)
        return 2
    document = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    REFERENCE.write_text(json.dumps(measure(document["records"]), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {REFERENCE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
