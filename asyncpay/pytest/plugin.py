"""The asyncpay pytest plugin: options, fixtures, markers, verdicts and reports.

Loaded through the ``pytest11`` entry point. Every pytest process (each xdist worker) starts its
own embedded mock and notification receiver on ephemeral loopback ports: nothing is shared
between workers. Verdicts per documented rule go to ``reports/`` at the end of the run.
"""

from __future__ import annotations

import atexit
import functools
import gc
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asyncpay.config import options
from asyncpay.config.profile import Profile, embedded_profile, load_profile
from asyncpay.errors import ContractViolation, Deferred, HarnessError, NotVerified, ProfileError
from asyncpay.http.recording import Recording, activate
from asyncpay.http.redaction import Redactor
from asyncpay.pytest import progress_view
from asyncpay.rules import RULES
from asyncpay.verdicts import CheckRecord, Verdict, failed_rule_of

_PROFILE = pytest.StashKey[Profile]()
_MOCK_CONFIG = pytest.StashKey[Any]()  # the embedded mock's MockConfig
_REDACTOR = pytest.StashKey[Redactor]()
_RUN_ID = pytest.StashKey[str]()
_RECORDS = pytest.StashKey[list[CheckRecord]]()
_STARTED = pytest.StashKey[float]()
_ITEM_RECORDING = pytest.StashKey[Recording]()
_FROZEN = pytest.StashKey[bool]()
#: set on a test item that checked a ledger entry: the entry's id, so the ledger drops it
RESOLVES = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


#: Fixtures and markers that make a test an asyncpay check: collecting one puts the plugin to use.
SUITE_FIXTURES = frozenset({"overpay", "opp", "checkout", "asyncpay_runtime", "asyncpay_profile"})
SUITE_MARKERS = ("rule", "overpay", "opp")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the documented rules this test checks")
    config.addinivalue_line("markers", "overpay: needs an Overpay target")
    config.addinivalue_line("markers", "opp: needs an Open Payment Platform target")
    timeout = options.value(config, "request_timeout")
    if timeout is not None and not timeout > 0:
        raise pytest.UsageError(f"--asyncpay-request-timeout must be greater than 0, got {timeout:g}")
    # Registered before pytest's own plugins register theirs, so it runs after them (LIFO).
    config.add_cleanup(functools.partial(_thaw, config))
    workerinput = getattr(config, "workerinput", None)
    config.stash[_RUN_ID] = (workerinput or {}).get("asyncpay_run_id") or uuid.uuid4().hex[:10]
    config.stash[_STARTED] = time.time()
    # A run that names an option is an asyncpay run: a bad profile or a gateway that cannot be
    # reached stops it here, before any worker starts. Otherwise the plugin stays inert until a
    # suite is collected (see pytest_collection_modifyitems).
    if options.named(config):
        _activate(config)


def _activate(config: pytest.Config, *, check_reachable: bool = True) -> None:
    """Load the profile and get ready to record checks; once per process."""
    if _PROFILE in config.stash:
        return
    path = options.value(config, "profile")
    faults = list(options.value(config, "mock_fault"))
    variants = list(options.value(config, "mock_variant"))
    try:
        profile = load_profile(Path(path), faults, variants) if path else embedded_profile(faults, variants)
        if profile.mock_faults:
            from asyncpay.mock import FAULTS
            unknown = [f for f in profile.mock_faults if f not in FAULTS]
            if unknown:
                raise ProfileError(f"unknown mock fault(s) {', '.join(unknown)}; "
                                   f"list them with: python -m asyncpay.mock --list-faults")
        if profile.embedded:
            config.stash[_MOCK_CONFIG] = _embedded_mock_config(profile)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    timeout = options.value(config, "request_timeout")
    if timeout is not None:
        for target in (profile.overpay, profile.opp):
            if target is not None:
                target.timing.request_timeout = timeout
    worker = hasattr(config, "workerinput")
    if check_reachable and not worker:
        from asyncpay.config.reachability import check_reachable as check
        try:
            check(profile)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
    config.stash[_PROFILE] = profile
    from asyncpay.http import replay
    replay.use_profile(str(profile.path) if profile.path else None)  # named by failing requests' replay commands
    # At exit the interpreter's last garbage collection would walk the whole heap once more
    # (Hypothesis's example trees, thousands of recorded exchanges): about a second of a
    # real-time run, spent on a process that is ending. Frozen at exit, it is left to the OS.
    atexit.register(gc.freeze)
    redactor = Redactor(profile.secrets)
    config.stash[_REDACTOR] = redactor
    config.stash[_RECORDS] = []
    _redact_log_records(redactor)
    if not worker:  # a worker's terminal is not shown: the controller's board has nothing to show
        progress_view.install(config)


def in_use(config: pytest.Config) -> bool:
    """Whether this run uses asyncpay (a profile is loaded); an unrelated run never does."""
    return _PROFILE in config.stash


def _is_suite_item(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(name) is not None for name in SUITE_MARKERS):
        return True
    return not SUITE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def pytest_unconfigure(config: pytest.Config) -> None:
    progress_view.uninstall(config)
    if config.stash.get(_FROZEN, False):
        # pytest ends with full garbage collections of its own (unraisable-exception checks, in
        # its unconfigure and in its cleanup): the run's whole heap again, about 0.4 s. What is
        # alive now joins the frozen heap, and is thawed after them (_thaw, the last cleanup).
        gc.freeze()


def _thaw(config: pytest.Config) -> None:
    if config.stash.get(_FROZEN, False):
        config.stash[_FROZEN] = False
        gc.unfreeze()


def _embedded_mock_config(profile: Profile) -> Any:
    """The embedded mock's settings; the profile adopts its effective timing (a variant may
    shorten the retention or throttle status reads), so the harness is told the truth."""
    from asyncpay.mock import MockConfig
    try:
        mock_config = MockConfig(faults=list(profile.mock_faults),
                                 variants=list(profile.mock_variants))
    except ValueError as exc:
        raise ProfileError(f"{exc}; list them with: python -m asyncpay.mock --list-variants") from None
    profile.mock_variants = list(mock_config.variants)  # "all" spelt out, for the report
    profile.adopt_mock_settings(mock_config.effective())
    return mock_config


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
    """What one pytest process runs for the suites: mock (if embedded), receiver, clients.

    Each is made once, on first use; overlapped test bodies (asyncpay.realtime.early) may ask for
    them from many threads at once, so making them is serialised.
    """

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
        self._making = threading.RLock()

    def mock_url(self) -> str:
        with self._making:
            return self._mock_url()

    def _mock_url(self) -> str:
        if self._mock is None:
            from asyncpay.mock import create_app
            from asyncpay.wire.server import BackgroundServer
            self._mock = BackgroundServer(create_app(self.config.stash[_MOCK_CONFIG])).start()
            self._closers.append(self._mock.stop)
        return str(self._mock.url)

    def receiver(self) -> Any:
        with self._making:
            return self._make_receiver()

    def _make_receiver(self) -> Any:
        if self._receiver is None:
            from asyncpay.waiting.receiver import Receiver
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
        from asyncpay.waiting.clock import RealClock, VirtualClock
        if timing.clock != "virtual":
            return RealClock(timing.max_wait)
        if base_url not in self._clocks:
            clock = self._clocks[base_url] = VirtualClock(base_url)
            self._closers.append(clock.close)
        return self._clocks[base_url]

    def overpay(self) -> Any:
        with self._making:
            return self._make_overpay()

    def _make_overpay(self) -> Any:
        if self.profile.overpay is None:
            raise NotVerified("overpay.task-answer", "the profile has no [overpay] target")
        if self._overpay is None:
            from asyncpay.gateways.overpay.merchant import OverpayMerchant, make_client
            target = self.profile.overpay
            if target.embedded:
                target.base_url = self.mock_url()
            client = make_client(target, self.redactor)
            self._closers.append(client.close)
            self._overpay = OverpayMerchant(target, client, self.clock(target.timing, target.base_url),
                                           self.run_id)
        return self._overpay

    def opp(self) -> Any:
        with self._making:
            return self._make_opp()

    def _make_opp(self) -> Any:
        if self.profile.opp is None:
            raise NotVerified("opp.payment-answer", "the profile has no [opp] target")
        if self._opp is None:
            from asyncpay.gateways.opp.merchant import OppMerchant, make_client
            target = self.profile.opp
            if target.embedded:
                target.base_url = self.mock_url()
            client = make_client(target, self.redactor)
            self._closers.append(client.close)
            self._opp = OppMerchant(target, client, self.clock(target.timing, target.base_url),
                                    self.receiver(), self.run_id)
        return self._opp

    def checkout(self) -> Any:
        """A COPYandPAY shop and shopper on the OPP target (one per test: it tracks its checkouts)."""
        from asyncpay.gateways.opp.checkout import CheckoutMerchant
        return CheckoutMerchant(self.opp())

    def fixture(self, name: str) -> Any:
        """A session-level fixture by name."""
        return self.receiver() if name == "receiver" else getattr(self, name)()

    def clients(self) -> list[Any]:
        return [g.client for g in (self._overpay, self._opp) if g is not None]

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:  # closing must not hide the run's real outcome
                pass


@pytest.fixture(scope="session")
def asyncpay_runtime(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Runtime]:
    _activate(pytestconfig)
    runtime = Runtime(pytestconfig)
    # Everything alive now (imported modules, schemas, Hypothesis strategies) lives for the run:
    # frozen, the garbage collector stops walking it on every full collection (half its work,
    # about 0.7 s of CPU in a real-time run). Thawed when pytest is done (pytest_unconfigure).
    gc.freeze()
    pytestconfig.stash[_FROZEN] = True
    if pytestconfig.pluginmanager.has_plugin(OVERLAP):
        # The generated cases are drawn in a child process on the other core: forked first,
        # while this process runs no thread of its own making (asyncpay.realtime.prefetch).
        from asyncpay.realtime import prefetch
        from asyncpay.realtime.early import eligible, prepare
        from asyncpay.schemas.generation import draw_batches, suite_cases
        ahead = prefetch.start(suite_cases([item for item in request.session.items if eligible(item)]),
                               draw_batches)
        if ahead is not None:
            request.addfinalizer(functools.partial(prefetch.stop, ahead))
        prepare(request.session.items, runtime.fixture)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def asyncpay_profile(pytestconfig: pytest.Config) -> Profile:
    _activate(pytestconfig)
    return pytestconfig.stash[_PROFILE]


@pytest.fixture(scope="session")
def redactor(pytestconfig: pytest.Config) -> Redactor:
    _activate(pytestconfig)
    return pytestconfig.stash[_REDACTOR]


def _recording_of(item: pytest.Item) -> Recording:
    rec = item.stash.get(_ITEM_RECORDING, None)
    if rec is None:
        rec = item.stash[_ITEM_RECORDING] = Recording()
    return rec


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> Recording:
    rec = _recording_of(request.node)
    activate(rec)
    return rec


def _join_timeout(profile: Profile) -> float:
    """The longest an early body may take: every timing bound of the profile, with room to spare."""
    bounds = [t.timing for t in (profile.overpay, profile.opp) if t is not None]
    return 120.0 + 3 * sum(b.processing_timeout + b.notification_timeout + b.max_wait + b.request_timeout
                           for b in bounds)


@pytest.fixture
def overpay(asyncpay_runtime: Runtime, recording: Recording) -> Any:
    """The Overpay gateway under test, with this test's recording attached."""
    gateway = asyncpay_runtime.overpay()
    gateway.client.recording = recording
    return gateway


@pytest.fixture
def opp(asyncpay_runtime: Runtime, recording: Recording) -> Any:
    """The Open Payment Platform under test (we play the merchant), with this test's recording."""
    merchant = asyncpay_runtime.opp()
    merchant.client.recording = recording
    return merchant


@pytest.fixture
def checkout(asyncpay_runtime: Runtime, opp: Any) -> Any:
    """COPYandPAY on the Open Payment Platform under test: we play the shop and its shopper."""
    return asyncpay_runtime.checkout()


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
    if any(_is_suite_item(item) for item in items):
        _activate(config)
        _overlap(config)


#: The name the real-time overlap of test bodies is registered under (asyncpay.realtime.early).
OVERLAP = "asyncpay-overlap"


def _overlap(config: pytest.Config) -> None:
    """Against real-time gateways only, in one process: every wait of the run at once."""
    from asyncpay.realtime.early import OverlappedBodies, in_place
    profile = config.stash[_PROFILE]
    targets = [t for t in (profile.overpay, profile.opp) if t is not None]
    real_time = bool(targets) and all(t.timing.clock != "virtual" for t in targets)  # waiting costs wall time
    if (not real_time or options.value(config, "sequential") or hasattr(config, "workerinput")
            or in_place(config) or config.pluginmanager.has_plugin(OVERLAP)):
        return
    stop_early = bool(config.getoption("maxfail", 0))  # -x, --maxfail N
    config.pluginmanager.register(OverlappedBodies(timeout=_join_timeout(profile), stop_early=stop_early), OVERLAP)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not in_use(item.config):
        return report
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
    if options.value(config, "no_reports"):
        return
    records = config.stash.get(_RECORDS, [])
    out = Path(options.value(config, "reports_dir"))
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
        return  # no check ran here or in a worker: nothing to report
    _activate(config, check_reachable=False)  # the xdist controller: its workers ran the checks
    from asyncpay.reporting.merge import save_records
    from asyncpay.reporting.report import redacted_records, write_reports
    redactor = config.stash[_REDACTOR]
    try:
        checked = redacted_records(evidence, redactor)
        save_records(evidence, out, _meta(config), redactor=redactor, records=checked)
        summary = write_reports(evidence, out, _meta(config), redactor=redactor, records=checked)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_SUMMARY] = summary
    if options.value(config, "strict") and summary.get("unsettled", 0) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_SUMMARY = pytest.StashKey[dict[str, Any]]()


def _meta(config: pytest.Config) -> dict[str, Any]:
    profile = config.stash[_PROFILE]
    baseline = options.value(config, "baseline")
    return {
        "run_id": config.stash[_RUN_ID],
        "profile": profile.name,
        "profile_path": str(profile.path) if profile.path else None,
        "targets": {
            name: (target.base_url if not target.embedded else "embedded mock")
            for name, target in (("overpay", profile.overpay), ("opp", profile.opp)) if target
        },
        "mock_faults": profile.mock_faults,
        "mock_variants": profile.mock_variants,
        "started": config.stash[_STARTED],
        "finished": time.time(),
        "baseline": str(baseline) if baseline else None,
        "strict": options.value(config, "strict"),
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
