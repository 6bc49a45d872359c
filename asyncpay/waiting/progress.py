"""What a run is waiting for: tasks, notifications, expiry windows — shown while it waits.

Against a real gateway a check can wait minutes. Code that waits says so, and the plugin shows
the board through pytest's terminal reporter (in place on a terminal, an occasional plain line in
CI logs)::

    from asyncpay.waiting import progress

    with progress.waiting("task 3f2a… to complete", kind="task", deadline=time.monotonic() + 60):
        while not done():
            progress.pause(1.0)          # sleeps, keeping the display current

``kind`` groups the waits in the display ("task", "notification", "expiry", or any word);
``deadline`` is a ``time.monotonic()`` instant. Code that blocks on its own (a queue, a socket)
calls ``progress.tick()`` at least once a second instead of ``pause``. Everything here is a no-op
when no board is installed (outside a pytest run, in an xdist worker), and safe from any thread.
A ``waiting`` inside another on the same thread is not counted twice.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Board", "View", "Wait", "current", "install", "pause", "tick", "uninstall", "waiting"]

_SLICE = 1.0  # seconds: the longest pause between two ticks


@dataclass(frozen=True)
class Wait:
    what: str
    kind: str
    deadline: float  # time.monotonic()
    started: float  # time.monotonic()


class View(Protocol):
    """Where a board shows itself; called with the board's lock held."""

    def show(self, waits: list[Wait], now: float) -> None: ...

    def idle(self) -> None: ...


class Board:
    """The waits under way in this process."""

    def __init__(self, view: View | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.view = view
        self.clock = clock
        self._lock = threading.RLock()
        self._waits: dict[int, Wait] = {}
        self._ids = itertools.count()
        self._local = threading.local()

    def waits(self) -> list[Wait]:
        with self._lock:
            return sorted(self._waits.values(), key=lambda w: w.deadline)

    @contextmanager
    def waiting(self, what: str, *, kind: str, deadline: float) -> Iterator[None]:
        if getattr(self._local, "depth", 0):
            self._local.depth += 1  # already counted: the outer wait says what this is for
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._lock:
            key = next(self._ids)
            self._waits[key] = Wait(what, kind, deadline, self.clock())
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._lock:
                del self._waits[key]
                if not self._waits and self.view is not None:
                    self.view.idle()

    def tick(self) -> None:
        with self._lock:
            if self._waits and self.view is not None:
                self.view.show(sorted(self._waits.values(), key=lambda w: w.deadline), self.clock())


_installed: list[Board] = []  # at most one; a list so installing needs no global statement


def install(board: Board) -> Board:
    """Make ``board`` the one waits report to (the plugin does this for a run)."""
    _installed[:] = [board]
    return board


def uninstall() -> None:
    _installed.clear()


def current() -> Board | None:
    return _installed[0] if _installed else None


@contextmanager
def waiting(what: str, *, kind: str, deadline: float) -> Iterator[None]:
    """Report a wait for ``what`` (a ``kind``) until ``deadline`` (``time.monotonic()``) on the board."""
    board = current()
    if board is None:
        yield
        return
    with board.waiting(what, kind=kind, deadline=deadline):
        yield


def tick() -> None:
    """Refresh the display; blocking code calls this at least once a second."""
    board = current()
    if board is not None:
        board.tick()


def pause(seconds: float) -> None:
    """Sleep ``seconds`` of real time, ticking the board at least once a second."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, _SLICE))
        tick()
