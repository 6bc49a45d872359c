"""The asyncpay pytest plugin: options, fixtures, markers, verdicts and reports.

Loaded through the ``pytest11`` entry point. Every pytest process (each xdist worker) starts its
own embedded mock and notification receiver on ephemeral loopback ports: nothing is shared
between workers. Verdicts per documented rule go to ``reports/`` at the end of the run.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asyncpay.errors import ContractViolation, Deferred, HarnessError, NotVerified, ProfileError
from asyncpay.profile import Profile, embedded_profile, load_profile
from asyncpay.recording import Recording, activate
from asyncpay.redaction import Redactor
from asyncpay.rules import RULES
from asyncpay.verdicts import CheckRecord, Verdict, failed_rule_of

_PROFILE = pytest.StashKey[Profile]()
_REDACTOR = pytest.StashKey[Redactor]()
_RUN_ID = pytest.StashKey[str]()
_RECORDS = pytest.StashKey[list[CheckRecord]]()
_STARTED = pytest.StashKey[float]()
_ITEM_RECORDING = pytest.StashKey[Recording]()
#: set on a test item that checked a ledger entry: the entry's id, so the ledger drops it
RESOLVES = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asyncpay", "asyncpay: contract harness for asynchronous payment gateways")
    group.addoption("--profile", metavar="FILE", default=os.environ.get("ASYNCPAY_PROFILE"),
                    help="target profile (TOML); default: the embedded mock gateway")
    group.addoption("--mock-fault", metavar="NAME", action="append", default=[],
                    help="start the embedded mock with this fault switch (repeatable)")
    group.addoption("--request-timeout", metavar="SECONDS", type=float, default=None,
                    help="override the profile's request_timeout for every target")
    group.addoption("--reports-dir", metavar="DIR", default="reports",
                    help="where run reports are written (default: reports)")
    group.addoption("--baseline", metavar="FILE", default=None,
                    help="an earlier run's summary.json to compare this run with (drift report)")
    group.addoption("--asyncpay-strict", action="store_true", default=False,
                    help="fail the run when a check is deferred or not verified")
    group.addoption("--no-reports", action="store_true", default=False,
                    help="write nothing to the reports directory")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the documented rules this test checks")
    config.addinivalue_line("markers", "overpay: needs an Overpay target")
    config.addinivalue_line("markers", "opp: needs an Open Payment Platform target")
    profile_path = config.getoption("--profile")
    faults = config.getoption("--mock-fault") or []
    try:
        if profile_path:
            profile = load_profile(Path(profile_path), faults)
        else:
            profile = embedded_profile(faults)
        if profile.mock_faults:
            from asyncpay.mock import FAULTS
            unknown = [f for f in profile.mock_faults if f not in FAULTS]
            if unknown:
                raise ProfileError(f"unknown mock fault(s) {', '.join(unknown)}; "
                                   f"list them with: python -m asyncpay.mock --list-faults")
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    timeout = config.getoption("--request-timeout")
    if timeout is not None:
        if timeout <= 0:
            raise pytest.UsageError(f"--request-timeout must be greater than 0, got {timeout}")
        for target in (profile.overpay, profile.opp):
            if target is not None:
                target.timing.request_timeout = timeout
    config.stash[_PROFILE] = profile
    redactor = Redactor(profile.secrets)
    config.stash[_REDACTOR] = redactor
    workerinput = getattr(config, "workerinput", None)
    config.stash[_RUN_ID] = (workerinput or {}).get("asyncpay_run_id") or uuid.uuid4().hex[:10]
    config.stash[_RECORDS] = []
    config.stash[_STARTED] = time.time()
    _redact_log_records(redactor)


def _redact_log_records(redactor: Redactor) -> None:
    """Redact every log record when it is made, whichever handler (pytest's capture too) gets it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "asyncpay", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            record.msg, record.args = redactor.text(record.getMessage()), None
        except Exception:  # a broken log call must not break the run
            pass
        return record

    factory.asyncpay = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def pytest_configure_node(node: Any) -> None:  # xdist: one run id for all workers
    node.workerinput["asyncpay_run_id"] = node.config.stash[_RUN_ID]


# --- fixtures ------------------------------------------------------------------------

class Runtime:
    """What one pytest process runs for the suites: mock (if embedded), receiver, clients."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.profile = config.stash[_PROFILE]
        self.redactor = config.stash[_REDACTOR]
        self.run_id = config.stash[_RUN_ID]
        self._closers: list[Any] = []
        self._mock: Any = None
        self._receiver: Any = None
        self._overpay: Any = None
        self._opp: Any = None
        self._clocks: dict[str, Any] = {}

    def mock_url(self) -> str:
        if self._mock is None:
            from asyncpay.mock import MockConfig, create_app
            from asyncpay.server import BackgroundServer
            p = self.profile
            cfg = MockConfig(faults=list(p.mock_faults))
            self._mock = BackgroundServer(create_app(cfg)).start()
            self._closers.append(self._mock.stop)
        return str(self._mock.url)

    def receiver(self) -> Any:
        if self._receiver is None:
            from asyncpay.receiver import Receiver
            rc = self.profile.receiver
            port = rc.listen_port
            worker = os.environ.get("PYTEST_XDIST_WORKER", "")
            if port and worker.startswith("gw"):
                port += int(worker[2:])  # one receiver per worker: consecutive ports
            self._receiver = Receiver(rc.listen_host, port, rc.public_url).start()
            self._closers.append(self._receiver.stop)
        return self._receiver

    def clock(self, timing: Any, base_url: str) -> Any:
        """One clock per target server: two gateways on one mock must share its virtual time."""
        from asyncpay.clock import RealClock, VirtualClock
        if timing.clock != "virtual":
            return RealClock(timing.max_wait)
        if base_url not in self._clocks:
            clock = self._clocks[base_url] = VirtualClock(base_url)
            self._closers.append(clock.close)
        return self._clocks[base_url]

    def overpay(self) -> Any:
        if self.profile.overpay is None:
            raise NotVerified("overpay.task-answer", "the profile has no [overpay] target")
        if self._overpay is None:
            from asyncpay.overpay import OverpayGateway, make_client
            target = self.profile.overpay
            if target.embedded:
                target.base_url = self.mock_url()
            client = make_client(target, self.redactor)
            self._closers.append(client.close)
            self._overpay = OverpayGateway(target, client, self.clock(target.timing, target.base_url),
                                           self.run_id)
        return self._overpay

    def opp(self) -> Any:
        if self.profile.opp is None:
            raise NotVerified("opp.payment-answer", "the profile has no [opp] target")
        if self._opp is None:
            from asyncpay.opp import OppMerchant, make_client
            target = self.profile.opp
            if target.embedded:
                target.base_url = self.mock_url()
            client = make_client(target, self.redactor)
            self._closers.append(client.close)
            self._opp = OppMerchant(target, client, self.clock(target.timing, target.base_url),
                                    self.receiver(), self.run_id)
        return self._opp

    def clients(self) -> list[Any]:
        return [g.client for g in (self._overpay, self._opp) if g is not None]

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:  # closing must not hide the run's real outcome
                pass


@pytest.fixture(scope="session")
def asyncpay_runtime(pytestconfig: pytest.Config) -> Iterator[Runtime]:
    runtime = Runtime(pytestconfig)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def asyncpay_profile(pytestconfig: pytest.Config) -> Profile:
    return pytestconfig.stash[_PROFILE]


@pytest.fixture(scope="session")
def redactor(pytestconfig: pytest.Config) -> Redactor:
    return pytestconfig.stash[_REDACTOR]


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> Recording:
    rec = request.node.stash.get(_ITEM_RECORDING, None)
    if rec is None:
        rec = request.node.stash[_ITEM_RECORDING] = Recording()
    activate(rec)
    return rec


@pytest.fixture
def overpay(asyncpay_runtime: Runtime, recording: Recording) -> Any:
    """The Overpay gateway under test, with this test's recording attached."""
    gateway = asyncpay_runtime.overpay()
    gateway.client.recording = recording
    gateway.models.clear()
    return gateway


@pytest.fixture
def opp(asyncpay_runtime: Runtime, recording: Recording) -> Any:
    """The Open Payment Platform under test (we play the merchant), with this test's recording."""
    merchant = asyncpay_runtime.opp()
    merchant.client.recording = recording
    return merchant


@pytest.fixture
def checkout(opp: Any) -> Any:
    """COPYandPAY on the Open Payment Platform under test: we play the shop and its shopper."""
    from asyncpay.checkout import CheckoutMerchant
    return CheckoutMerchant(opp)


@pytest.fixture
def receiver(asyncpay_runtime: Runtime) -> Any:
    return asyncpay_runtime.receiver()


# --- verdicts -----------------------------------------------------------------------

def _rules_of(item: pytest.Item) -> list[str]:
    rules: list[str] = []
    for mark in item.iter_markers("rule"):
        rules.extend(mark.args)
    return rules


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for rule_id in _rules_of(item):
            if rule_id not in RULES:
                raise pytest.UsageError(f"{item.nodeid}: unknown rule {rule_id!r}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    redactor = item.config.stash[_REDACTOR]
    if isinstance(exc, (NotVerified, Deferred)):
        verdict = Verdict.from_outcome(exc)
        report.outcome = "skipped"
        path, lineno, _ = item.reportinfo()
        report.longrepr = (str(path), (lineno or 0) + 1, redactor.text(f"{verdict.value}: {exc.reason}"))
    elif report.failed and report.longrepr is not None:
        # Failure text may quote gateway answers: redact before pytest prints or stores it.
        report.longrepr = redactor.text(str(report.longrepr))
    if call.when == "call" or (call.when == "setup" and not report.passed):
        _record(item, report, exc)
    return report


#: Every exchange is held to these by the client, so any check that talked to a gateway checks them.
TRANSPORT_RULES = ("transport.answers", "transport.json-content-type", "transport.no-redirect")


def _record(item: pytest.Item, report: pytest.TestReport, exc: BaseException | None) -> None:
    rules = _rules_of(item)
    if not rules:
        return
    rec = item.stash.get(_ITEM_RECORDING, None)
    if rec is not None and rec.exchanges:
        rules = rules + [r for r in TRANSPORT_RULES if r not in rules]
    verdict = Verdict.from_outcome(exc, passed=report.passed)
    if verdict is Verdict.NOT_VERIFIED and exc is None:
        message = str(report.longrepr)  # skipped by pytest itself (a skip mark, a missing fixture)
    elif isinstance(exc, (NotVerified, Deferred)):
        message = exc.reason
    elif isinstance(exc, ContractViolation):
        message = str(exc)
    elif exc is not None:
        message = str(report.longrepr) if verdict is Verdict.FAILED else \
            "".join(traceback.format_exception_only(type(exc), exc))
    else:
        message = ""
    redactor = item.config.stash[_REDACTOR]
    item.config.stash[_RECORDS].append(CheckRecord(
        test=item.nodeid,
        rules=rules,
        verdict=verdict,
        failed_rule=failed_rule_of(exc, rules) if verdict is not Verdict.PASSED else None,
        message=redactor.text(message),
        duration=report.duration,
        due=getattr(exc, "due", None),
        ledger=getattr(exc, "data", None) or None,
        resolves=item.stash.get(RESOLVES, None),
        recording=rec.to_dict() if rec is not None else None,
    ))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if config.getoption("--no-reports"):
        return
    records = config.stash.get(_RECORDS, [])
    out = Path(config.getoption("--reports-dir"))
    run_id = config.stash[_RUN_ID]
    evidence = out / ".evidence" / run_id
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        if records:
            evidence.mkdir(parents=True, exist_ok=True)
            (evidence / f"{workerinput['workerid']}.json").write_text(json.dumps([r.to_dict() for r in records]))
        return
    if records:
        evidence.mkdir(parents=True, exist_ok=True)
        (evidence / "main.json").write_text(json.dumps([r.to_dict() for r in records]))
    if not evidence.is_dir():
        return
    from asyncpay.report import write_reports
    try:
        summary = write_reports(evidence, out, _meta(config), redactor=config.stash[_REDACTOR])
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_SUMMARY] = summary
    if config.getoption("--asyncpay-strict") and summary.get("unsettled", 0) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_SUMMARY = pytest.StashKey[dict[str, Any]]()


def _meta(config: pytest.Config) -> dict[str, Any]:
    profile = config.stash[_PROFILE]
    return {
        "run_id": config.stash[_RUN_ID],
        "profile": profile.name,
        "profile_path": str(profile.path) if profile.path else None,
        "targets": {
            name: (target.base_url if not target.embedded else "embedded mock")
            for name, target in (("overpay", profile.overpay), ("opp", profile.opp)) if target
        },
        "mock_faults": profile.mock_faults,
        "started": config.stash[_STARTED],
        "finished": time.time(),
        "baseline": config.getoption("--baseline"),
        "strict": config.getoption("--asyncpay-strict"),
    }


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    summary = config.stash.get(_SUMMARY, None)
    if not summary:
        return
    tr = terminalreporter
    tr.section("asyncpay: documented rules")
    for rule_id, row in summary.get("rules", {}).items():
        tr.write_line(f"  {row['verdict']:<13} {rule_id}")
    for path in summary.get("files", []):
        tr.write_line(f"  report: {path}")
