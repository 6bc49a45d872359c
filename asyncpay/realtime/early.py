"""Early starts: against a gateway in real time, every suite test starts at once and waits in parallel.

A real gateway makes a run wait — for tasks to complete, results to expire, notifications to
come. Run one test after another and the run costs the *sum* of those waits; start them all
together and it costs about the *longest* one. So, on a real clock, the plugin starts the body
of every eligible test in a background thread as soon as the first asyncpay test runs; when
pytest reaches a test it only waits for that body to finish and reports its outcome, exactly as
if it had run there (the same exception, the same rule, the same recording).

A test is eligible when it asks for nothing but the session's gateways (``overpay``, ``opp``,
``checkout``, ``receiver``) and its parameters: each body then gets its own recording (a context
variable the clients record into), and shares no state with the others but the gateways, which
are safe to share. Anything else runs in order, as usual. On the mock's virtual clock waiting is
free, so nothing starts early; under pytest-xdist each worker runs its tests in order.

Usage (in the plugin's hooks)::

    early = EarlyStarts(provide=lambda name: runtime.fixture(name), limit=128)
    early.start(session.items)          # at the first asyncpay test
    early.join(item, timeout=600)       # in pytest_pyfunc_call: raises what the body raised
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

import pytest

from asyncpay.errors import HarnessError
from asyncpay.http.recording import Recording, activate

#: The session-level fixtures an early body may ask for.
SHARED_FIXTURES = frozenset({"overpay", "opp", "checkout", "receiver"})


def eligible(item: pytest.Item) -> bool:
    """Whether ``item`` can run early: a test function asking only for shared fixtures and parameters."""
    if not isinstance(item, pytest.Function) or not any(item.iter_markers("rule")):
        return False
    params = set(getattr(getattr(item, "callspec", None), "params", {}) or {})
    wanted = set(item._fixtureinfo.argnames)
    return bool(wanted & SHARED_FIXTURES) and wanted <= SHARED_FIXTURES | params


class EarlyStarts:
    """Background runs of eligible test bodies, one daemon thread each, at most ``limit`` at once.

    ``provide(name)`` returns the session fixture ``name`` (a gateway or the receiver);
    ``recording_for(item)`` the recording the item's exchanges belong to.
    """

    def __init__(self, provide: Callable[[str], Any], recording_for: Callable[[pytest.Item], Recording],
                 limit: int = 128) -> None:
        self._provide = provide
        self._recording_for = recording_for
        self._slots = threading.BoundedSemaphore(limit)
        self._runs: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        # Bodies wait for every thread to have started: a body already drawing cases would hold
        # the interpreter lock while the next thread starts, and the last would start seconds late.
        self._go = threading.Event()

    def start(self, items: Iterable[pytest.Item]) -> int:
        """Start every eligible item not started yet; return how many started."""
        items = list(items)
        # Make each shared fixture once here first: its modules are imported (and rewritten by
        # pytest, with ``ast``, which is not safe beside Hypothesis in another thread on CPython
        # 3.11) and its servers started before any body runs. A fixture that cannot be made
        # (no such target) raises again in each body that asks for it.
        wanted = {name for item in items if isinstance(item, pytest.Function) and eligible(item)
                  for name in item._fixtureinfo.argnames}
        for name in sorted(wanted & SHARED_FIXTURES):
            try:
                self._provide(name)
            except Exception:  # noqa: BLE001 - reported by the bodies themselves
                pass
        started = 0
        for item in items:
            if not eligible(item) or item.nodeid in self._runs:
                continue
            assert isinstance(item, pytest.Function)
            future: Future[None] = Future()
            with self._lock:
                self._runs[item.nodeid] = future
            context = contextvars.copy_context()
            thread = threading.Thread(target=context.run, args=(self._run, item, future), daemon=True,
                                      name=f"asyncpay-early-{started}")
            thread.start()
            started += 1
        self._go.set()
        return started

    def _run(self, item: pytest.Function, future: Future[None]) -> None:
        self._go.wait()
        with self._slots:
            if not future.set_running_or_notify_cancel():
                return
            activate(self._recording_for(item))
            try:
                kwargs = {name: self._provide(name) for name in item._fixtureinfo.argnames
                          if name in SHARED_FIXTURES}
                callspec = getattr(item, "callspec", None)
                params = callspec.params if callspec is not None else {}
                kwargs.update({name: value for name, value in params.items() if name in item._fixtureinfo.argnames})
                item.obj(**kwargs)
            except BaseException as exc:  # handed to pytest when it reaches the test
                future.set_exception(exc)
            else:
                future.set_result(None)

    def started(self, item: pytest.Item) -> bool:
        return item.nodeid in self._runs

    def pending(self) -> int:
        """How many early bodies are still running or waiting for a slot."""
        with self._lock:
            return sum(not future.done() for future in self._runs.values())

    def join(self, item: pytest.Item, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the item's body; raise what it raised."""
        with self._lock:
            future = self._runs.pop(item.nodeid)
        try:
            future.result(timeout=timeout)
        except TimeoutError:
            raise HarnessError(f"{item.nodeid} was still running after {timeout:g} s, beyond every timing "
                               "bound of the profile; rerun with --asyncpay-sequential to see where it waits") from None
