"""The asyncpay pytest plugin's hooks: options, markers, verdicts and reports.

Loaded through the ``pytest11`` entry point. Every pytest process (each xdist worker) starts its
own embedded mock and notification receiver on ephemeral loopback ports: nothing is shared
between workers. Verdicts per documented rule go to ``reports/`` at the end of the run.

The session state is :mod:`asyncpay.pytest.session`, the fixtures :mod:`asyncpay.pytest.fixtures`,
the gateways a test can ask for :mod:`asyncpay.pytest.registry`.
"""

from __future__ import annotations

import functools
import gc
import json
from pathlib import Path
from typing import Any

import pytest

from asyncpay.config import options
from asyncpay.config.profile import Profile
from asyncpay.errors import HarnessError
from asyncpay.pytest import failure_view, progress_view, registry
from asyncpay.pytest.outcomes import RESOLVES, ledger_named, record, rules_of, undecided
from asyncpay.pytest.session import activate, in_use, run_meta, session_of, stamp
from asyncpay.rules import RULES
from asyncpay.verdicts import UNSETTLED_OUTCOMES, Verdict

pytest_plugins = ("asyncpay.pytest.fixtures",)

__all__ = ["RESOLVES", "in_use", "undecided"]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    options.add_options(parser)
    if not pluginmanager.has_plugin("asyncpay-plan"):
        from asyncpay.pytest.plan import PlanHooks
        pluginmanager.register(PlanHooks(), "asyncpay-plan")


#: Fixtures and markers that make a test an asyncpay check: collecting one puts the plugin to use.
SUITE_FIXTURES = frozenset({role.fixture for role in registry.GATEWAYS} | {"asyncpay_runtime", "asyncpay_profile"})
SUITE_MARKERS = ("rule", *registry.markers())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*ids): the documented rules this test checks")
    for role in registry.GATEWAYS:
        if role.marker:
            config.addinivalue_line("markers", role.marker)
    timeout = options.value(config, "request_timeout")
    if timeout is not None and not timeout > 0:
        raise pytest.UsageError(f"--asyncpay-request-timeout must be greater than 0, got {timeout:g}")
    # Registered before pytest's own plugins register theirs, so it runs after them (LIFO).
    config.add_cleanup(functools.partial(_thaw, config))
    stamp(config)
    hypothesis_seed = config.getoption("hypothesis_seed", None)
    if hypothesis_seed is not None:
        # A run that repeats its generated cases repeats the merchant's amounts and ids too.
        from asyncpay.gateways import randomness
        randomness.seed(hypothesis_seed)
    # A run that names an option is an asyncpay run: a bad profile or a gateway that cannot be
    # reached stops it here, before any worker starts. Otherwise the plugin stays inert until a
    # suite is collected (see pytest_collection_modifyitems).
    if options.named(config):
        activate(config)


def _is_suite_item(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(name) is not None for name in SUITE_MARKERS):
        return True
    return not SUITE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def is_suite_item(item: pytest.Item) -> bool:
    """Whether ``item`` is an asyncpay check (a rule or gateway marker, or a suite fixture)."""
    return _is_suite_item(item)


def profile_of(config: pytest.Config) -> Profile | None:
    """The run's effective profile, once loaded (None while the plugin is inert)."""
    return session_of(config).profile if in_use(config) else None


def _other_counts(row: dict[str, Any]) -> str:
    """`` (1 deferred)`` for a rule whose reading is "passed, 1 deferred"; empty otherwise."""
    _, _, others = str(row.get("reading") or "").partition(", ")
    return f" ({others})" if others else ""


def _frozen(config: pytest.Config) -> bool:
    return in_use(config) and session_of(config).frozen


def pytest_unconfigure(config: pytest.Config) -> None:
    progress_view.uninstall(config)
    if _frozen(config):
        # pytest ends with full garbage collections of its own (unraisable-exception checks, in
        # its unconfigure and in its cleanup): the run's whole heap again, about 0.4 s. What is
        # alive now joins the frozen heap, and is thawed after them (_thaw, the last cleanup).
        gc.freeze()


def _thaw(config: pytest.Config) -> None:
    if _frozen(config):
        session_of(config).frozen = False
        gc.unfreeze()


def pytest_configure_node(node: Any) -> None:  # xdist: one run id for all workers
    node.workerinput["asyncpay_run_id"] = stamp(node.config).run_id


def _join_timeout(profile: Profile) -> float:
    """The longest an early body may take: every timing bound of the profile, with room to spare."""
    bounds = [t.timing for t in (profile.overpay, profile.opp) if t is not None]
    return 120.0 + 3 * sum(b.processing_timeout + b.notification_timeout + b.max_wait + b.request_timeout
                           for b in bounds)


# --- verdicts -----------------------------------------------------------------------

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for rule_id in rules_of(item):
            if rule_id not in RULES:
                raise pytest.UsageError(f"{item.nodeid}: unknown rule {rule_id!r}")
    if any(_is_suite_item(item) for item in items):
        activate(config)
        _overlap(config)


#: The name the real-time overlap of test bodies is registered under (asyncpay.realtime.early).
OVERLAP = "asyncpay-overlap"


def _overlap(config: pytest.Config) -> None:
    """Against real-time gateways only, in one process: every wait of the run at once."""
    from asyncpay.realtime.early import OverlappedBodies, in_place
    profile = session_of(config).profile
    targets = [t for t in (profile.overpay, profile.opp) if t is not None]
    real_time = bool(targets) and all(t.timing.clock != "virtual" for t in targets)
    if (not real_time or options.value(config, "sequential") or hasattr(config, "workerinput")
            or in_place(config) or config.pluginmanager.has_plugin(OVERLAP)):
        return
    config.pluginmanager.register(OverlappedBodies(timeout=_join_timeout(profile)), OVERLAP)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not in_use(item.config):
        return report
    exc = call.excinfo.value if call.excinfo is not None else None
    redactor = session_of(item.config).redactor
    if isinstance(exc, UNSETTLED_OUTCOMES):
        verdict = Verdict.from_outcome(exc)
        report.outcome = "skipped"
        path, lineno, _ = item.reportinfo()
        report.longrepr = (str(path), (lineno or 0) + 1,
                           redactor.text(f"{verdict.value}: {ledger_named(item.config, exc.reason)}"))
    elif report.failed and report.longrepr is not None:
        # Failure text may quote gateway answers: redact before pytest prints or stores it.
        if call.excinfo is not None and failure_view.wanted(item.config, exc):
            page = Path(options.value(item.config, "reports_dir")) / "report.html"
            report.longrepr = redactor.text(failure_view.compact(item.config, call.excinfo, page))
        else:
            report.longrepr = redactor.text(str(report.longrepr))
    if call.when == "call" or (call.when == "setup" and not report.passed):
        record(item, report, exc)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if options.value(config, "no_reports"):
        return
    records = session_of(config).records if in_use(config) else []
    out = Path(options.value(config, "reports_dir"))
    run_id = stamp(config).run_id
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
    state = activate(config, check_reachable=False)  # the xdist controller: its workers ran the checks
    from asyncpay.reporting.merge import save_records
    from asyncpay.reporting.report import redacted_records, write_reports
    try:
        checked = redacted_records(evidence, state.redactor)
        save_records(evidence, out, run_meta(config), redactor=state.redactor, records=checked)
        summary = write_reports(evidence, out, run_meta(config), redactor=state.redactor, records=checked)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    state.summary = summary
    if options.value(config, "strict") and summary.get("unsettled", 0) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    summary = session_of(config).summary if in_use(config) else None
    if not summary:
        return
    tr = terminalreporter
    tr.section("asyncpay: documented rules")
    for rule_id, row in summary.get("rules", {}).items():
        tr.write_line(f"  {row['verdict']:<13} {rule_id}{_other_counts(row)}")
    for path in summary.get("files", []):
        tr.write_line(f"  report: {path}")
