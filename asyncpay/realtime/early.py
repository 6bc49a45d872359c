"""Overlapped bodies: against a gateway in real time, a suite test's body runs on while the next tests start.

A real gateway makes a run wait — for tasks to complete, results to expire, notifications to
come. Run one test after another and the run costs the *sum* of those waits; let them overlap and
it costs about the *longest* one. So, on a real clock, each eligible test goes through pytest's
own protocol in order — ``pytest_runtest_logstart``, the setup phase (skip and ``skipif`` marks,
``xfail(run=False)``, every ``pytest_runtest_setup`` hook, fixtures), the teardown phase — except
that its body (``item.runtest()``) is started in a thread of its own once its setup has passed,
and its call report is made when that body has ended, with the body's exception, duration and
recording, exactly as if it had run in place. What pytest promises still holds:

* a test that is skipped (by a mark, by a hook, by its fixtures) or deselected starts no body and
  sends nothing: only a test whose setup phase has passed starts one;
* setup hooks and fixtures run before the body, in the main thread, as usual;
* a failure stops new work under ``-x`` / ``--maxfail``: there each body starts as soon as its
  test is set up, and finished bodies are reported before each next test starts, so once the
  limit is reached no further test is set up (bodies already running end and are reported).
  Without them, bodies start together once pytest has set up every test it can overlap (up to
  one it must run in place), so that no body holds the interpreter lock while pytest sets up the
  next tests;
* ``--asyncpay-sequential``, ``--pdb``, ``--trace`` and ``--setup-only/-plan/-show`` run every test
  in place (the plugin does not register this class then).

A test is eligible when it is an asyncpay check (``rule`` mark) whose fixtures are all the
harness's (:data:`HARNESS_FIXTURES`, none of which has a function-scoped teardown) or its
parameters: then tearing the test down while its body runs releases nothing the body uses. A
test with any other fixture (a user's autouse fixture, ``tmp_path``) runs in place, in order,
with its fixtures set up before and torn down after its body. The last test of the run is torn
down (and with it the session's fixtures: the gateways, the receiver) only after every body has
ended and been reported. On the mock's virtual clock waiting is free, so nothing overlaps; under
pytest-xdist each worker runs its tests in order.

Usage (the plugin registers it for a real-time run)::

    config.pluginmanager.register(OverlappedBodies(timeout=600), "asyncpay-overlap")

Source: pytest's run protocol, https://docs.pytest.org/en/stable/reference/reference.html#test-running-runtest-hooks
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pytest

from asyncpay.errors import HarnessError

#: The session-level gateway fixtures (and the receiver) a suite test asks for.
SHARED_FIXTURES = frozenset({"overpay", "opp", "checkout", "receiver"})
#: Every fixture an overlapped test may have in its closure: the harness's own, none of which
#: releases anything when a test is torn down (pytest's ``request`` and ``pytestconfig`` neither).
HARNESS_FIXTURES = SHARED_FIXTURES | {"asyncpay_runtime", "asyncpay_profile", "redactor", "recording",
                                      "request", "pytestconfig"}
#: pytest options under which every test runs in place (debugging, fixture plans).
IN_PLACE_OPTIONS = ("usepdb", "trace", "setuponly", "setupplan", "setupshow")


def eligible(item: pytest.Item) -> bool:
    """Whether ``item``'s body may overlap: an asyncpay check asking only for harness fixtures and parameters."""
    if not isinstance(item, pytest.Function) or not any(item.iter_markers("rule")):
        return False
    params = set(getattr(getattr(item, "callspec", None), "params", {}) or {})
    wanted = set(item.fixturenames)
    return bool(wanted & SHARED_FIXTURES) and wanted <= HARNESS_FIXTURES | params


def prepare(items: Iterable[pytest.Item], provide: Callable[[str], Any]) -> None:
    """Make each shared fixture the eligible ``items`` ask for once, before any body runs.

    Its modules are then imported (and rewritten by pytest, with ``ast``, which is not safe beside
    Hypothesis in another thread on CPython 3.11) and its servers started while no body runs. A
    fixture that cannot be made (no such target) raises again in the setup of each test asking for it.
    """
    wanted = {name for item in items if eligible(item) for name in getattr(item, "fixturenames", ())}
    for name in sorted(wanted & SHARED_FIXTURES):
        try:
            provide(name)
        except Exception:  # noqa: BLE001 - reported by the tests themselves
            pass


def in_place(config: pytest.Config) -> bool:
    """Whether pytest's options ask for every test to run in place (a debugger, a fixture plan)."""
    return any(config.getoption(name, False) for name in IN_PLACE_OPTIONS)


@dataclass
class _Body:
    item: pytest.Function
    future: Future[None] = field(default_factory=Future)
    start: float = 0.0  # epoch seconds
    stop: float = 0.0
    duration: float = 0.0  # seconds, monotonic
    teardown: tuple[pytest.CallInfo[None], pytest.TestReport] | None = None


class OverlappedBodies:
    """pytest hooks running eligible tests' bodies in threads (at most ``limit`` at once).

    ``timeout`` (seconds) bounds the wait for one body once it is reported: a body still running
    then fails its test with a :class:`~asyncpay.errors.HarnessError`.
    """

    def __init__(self, timeout: float, limit: int = 128, *, stop_early: bool = False) -> None:
        self._timeout = timeout
        # Bodies wait until pytest has set up every test it can overlap (up to one it must run in
        # place, or the last): a body running beside the setups would hold the interpreter lock
        # and the last bodies would start seconds late. Under -x / --maxfail (``stop_early``)
        # they start at once instead, so a failure is known, and stops new work, as early as it can.
        self._go = threading.Event()
        if stop_early:
            self._go.set()
        self._slots = threading.BoundedSemaphore(limit)
        self._bodies: dict[str, _Body] = {}  # started and not reported yet, in start order
        self._starting: pytest.Item | None = None  # the test whose call phase is running in place

    # --- pytest hooks -------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        self.report_finished(wait=False)
        if item.session.shouldfail or item.session.shouldstop:
            return True  # a failure just reported reached -x / --maxfail: this test does not start
        overlap = eligible(item)
        if nextitem is None or not overlap:
            self._go.set()
        if nextitem is not None and not overlap:
            return None  # pytest runs it in place
        # An overlapped test, or the last test: its teardown ends the session's fixtures, so it
        # comes after every body has ended.
        self._run(item, nextitem, overlap=overlap)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """In an overlapped test's call phase, start its body in a thread; pytest calls the test there."""
        if self._starting is not pyfuncitem:
            return None
        self._starting = None
        body = self._bodies[pyfuncitem.nodeid] = _Body(pyfuncitem)
        # The body sees the context its setup left (the test's recording, activated by its fixture).
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(self._body, body), daemon=True,
                         name=f"asyncpay-body-{len(self._bodies)}").start()
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # After -x / --maxfail stopped the loop: the bodies still running end and are reported
        # before the session's fixtures are torn down. Interrupted, the run does not wait for them.
        if exitstatus != pytest.ExitCode.INTERRUPTED:
            self.report_finished(wait=True)

    # --- the protocol ----------------------------------------------------------------------

    def _run(self, item: pytest.Item, nextitem: pytest.Item | None, *, overlap: bool) -> None:
        ihook = item.ihook
        ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        body = None
        if self._phase(item, "setup", lambda: ihook.pytest_runtest_setup(item=item)).passed:
            if overlap:
                # The call phase runs in place, with every plugin's wrappers; the body it starts
                # is reported when it has ended (report_finished). A wrapper that stops the call
                # before the body starts is reported as it is.
                self._starting = item
                call = pytest.CallInfo.from_call(lambda: ihook.pytest_runtest_call(item=item), when="call",
                                                 reraise=_reraise(item.config))
                self._starting = None
                body = self._bodies.get(item.nodeid)
                if body is None:
                    self._report(item, call)
            else:
                self._phase(item, "call", lambda: ihook.pytest_runtest_call(item=item))
        if item.session.shouldfail or item.session.shouldstop:
            nextitem = None  # as pytest does: a run about to stop tears everything down
        if body is not None and nextitem is not None:
            teardown = pytest.CallInfo.from_call(
                lambda: ihook.pytest_runtest_teardown(item=item, nextitem=nextitem), when="teardown",
                reraise=_reraise(item.config))
            body.teardown = (teardown, ihook.pytest_runtest_makereport(item=item, call=teardown))
            return
        if nextitem is None:
            # Every body ends (this one last, torn down then: see _finish) before the session's fixtures.
            self.report_finished(wait=True)
            if body is not None:
                return
        self._phase(item, "teardown", lambda: ihook.pytest_runtest_teardown(item=item, nextitem=nextitem))
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)

    def _phase(self, item: pytest.Item, when: str, run: Callable[[], None]) -> pytest.TestReport:
        call = pytest.CallInfo.from_call(run, when=when, reraise=_reraise(item.config))  # type: ignore[arg-type]
        return self._report(item, call)

    def _report(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
        report: pytest.TestReport = item.ihook.pytest_runtest_makereport(item=item, call=call)
        item.ihook.pytest_runtest_logreport(report=report)
        if _interactive(call, report):
            item.ihook.pytest_exception_interact(node=item, call=call, report=report)
        return report

    def _body(self, body: _Body) -> None:
        self._go.wait()
        with self._slots:
            body.start, began = time.time(), time.perf_counter()
            try:
                body.item.runtest()
            except BaseException as exc:  # handed to pytest in the test's call phase
                error: BaseException | None = exc
            else:
                error = None
            body.stop, body.duration = time.time(), time.perf_counter() - began
            if error is None:
                body.future.set_result(None)
            else:
                body.future.set_exception(error)

    def report_finished(self, *, wait: bool) -> None:
        """Report every body that has ended (``wait``: every body, waiting for each), in start order."""
        if wait:
            self._go.set()
        for nodeid, body in list(self._bodies.items()):
            if wait or body.future.done():
                self._finish(body)
                del self._bodies[nodeid]

    def _outcome(self, body: _Body) -> None:
        """Wait (at most the timeout) for the body; raise what it raised."""
        try:
            body.future.result(timeout=self._timeout)
        except TimeoutError:
            raise HarnessError(f"{body.item.nodeid} was still running after {self._timeout:g} s, beyond every "
                               "timing bound of the profile; rerun with --asyncpay-sequential to see where it "
                               "waits") from None

    def _finish(self, body: _Body) -> None:
        item = body.item
        call = pytest.CallInfo.from_call(lambda: self._outcome(body), when="call", reraise=_reraise(item.config))
        if body.future.done():
            call.start, call.stop, call.duration = body.start, body.stop, body.duration  # the body's own times
        self._report(item, call)
        if body.teardown is None:  # the run's last test: torn down now, after every other body
            self._phase(item, "teardown", lambda: item.ihook.pytest_runtest_teardown(item=item, nextitem=None))
        else:
            teardown, report = body.teardown
            item.ihook.pytest_runtest_logreport(report=report)
            if _interactive(teardown, report):
                item.ihook.pytest_exception_interact(node=item, call=teardown, report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


def _reraise(config: pytest.Config) -> tuple[type[BaseException], ...]:
    """What pytest lets through a phase: ``pytest.exit``, and Ctrl-C unless a debugger takes it."""
    if config.getoption("usepdb", False):
        return (pytest.exit.Exception,)
    return (pytest.exit.Exception, KeyboardInterrupt)


def _interactive(call: pytest.CallInfo[None], report: pytest.TestReport) -> bool:
    """Whether pytest would offer this phase's exception to ``pytest_exception_interact``."""
    if call.excinfo is None or hasattr(report, "wasxfail"):
        return False
    return not isinstance(call.excinfo.value, pytest.skip.Exception)
