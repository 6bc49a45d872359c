"""The progress board (``asyncpay.waiting.progress``) on pytest's terminal.

On an interactive terminal one status line is redrawn in place while something waits, and the
line pytest was writing is put back when the waiting ends. Elsewhere (CI logs) a plain line is
written at most every ``every`` seconds, and only once a wait has lasted that long, so a run
against the mock (whose waits take milliseconds) prints nothing extra.

    asyncpay: waiting for 3 tasks, 1 notification; nearest deadline in 41 s (task 3f2a… to complete)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest

from asyncpay.waiting import progress

__all__ = ["TerminalView", "describe", "install", "uninstall"]

_PLURAL = {"expiry": "expiry windows"}


def _count(kind: str, n: int) -> str:
    if n == 1:
        return f"1 {kind}"
    return f"{n} {_PLURAL.get(kind, kind + 's')}"


def describe(waits: list[progress.Wait], now: float) -> str:
    """One line: how many of each kind, the nearest deadline and what it is for."""
    kinds = Counter(w.kind for w in waits)
    counts = ", ".join(_count(kind, n) for kind, n in kinds.items())
    nearest = min(waits, key=lambda w: w.deadline)
    left = nearest.deadline - now
    when = f"in {left:.0f} s" if left >= 0 else f"passed {-left:.0f} s ago"
    return f"asyncpay: waiting for {counts}; nearest deadline {when} ({nearest.what})"


class TerminalView:
    """Draws a board through a terminal reporter; called by the board with its lock held."""

    def __init__(self, reporter: Any, *, interactive: bool,
                 unhidden: Callable[[], AbstractContextManager[object]] = nullcontext,
                 every: float = 10.0, after: float = 1.0) -> None:
        self.reporter = reporter
        self.interactive = interactive
        self.unhidden = unhidden  # lifts pytest's output capture while we write
        self.every = every  # plain lines: at most one per this many seconds
        self.after = after  # in place: only waits longer than this are drawn (no flicker)
        self._saved: str | None = None  # the line pytest was writing when we drew over it
        self._last: float | None = None

    def show(self, waits: list[progress.Wait], now: float) -> None:
        oldest = min(w.started for w in waits)
        line = describe(waits, now)
        width = int(getattr(self.reporter._tw, "fullwidth", 80))
        if self.interactive and len(line) >= width:
            line = line[:max(width - 2, 20)] + "…"  # a wrapped line could not be redrawn in place
        with self.unhidden():
            if self.interactive:
                if now - oldest < self.after:
                    return
                if self._saved is None:
                    self._saved = str(getattr(self.reporter._tw, "_current_line", ""))
                self.reporter.rewrite(line, erase=True)
                return
            if now - oldest < self.every or (self._last is not None and now - self._last < self.every):
                return
            self._last = now
            self.reporter.write_line(line)

    def idle(self) -> None:
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        with self.unhidden():
            self.reporter.rewrite(saved, erase=True)
            # rewrite() leaves its carriage return in the writer's idea of the line; pytest pads
            # its "[ 40%]" column from that.
            if hasattr(self.reporter._tw, "_current_line"):
                self.reporter._tw._current_line = saved


_VIEW = pytest.StashKey[progress.Board]()


def install(config: pytest.Config) -> None:
    """Show this process's waits on its terminal (not in xdist workers: theirs is not shown)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or _VIEW in config.stash:
        return
    capture = config.pluginmanager.get_plugin("capturemanager")
    unhidden = capture.global_and_fixture_disabled if capture is not None else nullcontext
    view = TerminalView(reporter, interactive=bool(getattr(reporter, "isatty", False)), unhidden=unhidden)
    config.stash[_VIEW] = progress.install(progress.Board(view, clock=time.monotonic))


def uninstall(config: pytest.Config) -> None:
    if config.stash.get(_VIEW, None) is not None and progress.current() is config.stash[_VIEW]:
        progress.uninstall()
