"""The progress board: what waits is counted, shown in place on a terminal and as occasional lines
in CI logs; nothing happens without a board. Time here is a fake clock, never the wall."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from asyncpay.checks import opp as opp_checks
from asyncpay.checks import overpay as checks
from asyncpay.pytest.progress_view import TerminalView, describe
from asyncpay.waiting import progress
from asyncpay.waiting.clock import RealClock
from asyncpay.waiting.polling import await_delivery, poll


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Writer:
    def __init__(self) -> None:
        self._current_line = "suites/test_x.py .."
        self.fullwidth = 200


class Reporter:
    """The two TerminalReporter methods the view uses."""

    def __init__(self) -> None:
        self._tw = Writer()
        self.lines: list[str] = []
        self.rewrites: list[str] = []

    def write_line(self, line: str) -> None:
        self.lines.append(line)

    def rewrite(self, line: str, erase: bool = False) -> None:
        self.rewrites.append(line)
        self._tw._current_line = "\r" + line


class Recorder:
    def __init__(self) -> None:
        self.shown: list[list[progress.Wait]] = []
        self.idles = 0

    def show(self, waits: list[progress.Wait], now: float) -> None:
        self.shown.append(waits)

    def idle(self) -> None:
        self.idles += 1


@pytest.fixture
def board() -> Iterator[progress.Board]:
    installed = progress.install(progress.Board(Recorder(), clock=FakeClock()))
    yield installed
    progress.uninstall()


def test_without_a_board_waiting_does_nothing() -> None:
    assert progress.current() is None
    with progress.waiting("task 1", kind="task", deadline=0.0):
        progress.tick()


def test_waits_are_counted_once_and_idle_is_announced(board: progress.Board) -> None:
    view = board.view
    assert isinstance(view, Recorder)
    with progress.waiting("task a", kind="task", deadline=1060.0):
        with progress.waiting("inner pause", kind="expiry", deadline=1001.0):  # nested: not counted
            progress.tick()
    assert [w.what for w in view.shown[0]] == ["task a"]
    assert board.waits() == []
    assert view.idles == 1  # once, when "task a" ended


def test_waits_from_several_threads(board: progress.Board) -> None:
    entered, release = threading.Barrier(4), threading.Event()

    def wait(n: int) -> None:
        with progress.waiting(f"notification {n}", kind="notification", deadline=1000.0 + n):
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=wait, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    entered.wait()
    assert [w.what for w in board.waits()] == ["notification 0", "notification 1", "notification 2"]
    release.set()
    for thread in threads:
        thread.join()
    assert board.waits() == []


def test_the_line_says_how_many_and_the_nearest_deadline() -> None:
    waits = [progress.Wait("task 3f2a… to complete", "task", 1041.0, 990.0),
             progress.Wait("task 77b0… to complete", "task", 1100.0, 990.0),
             progress.Wait("the notification for payment 8a82…", "notification", 1500.0, 995.0),
             progress.Wait("retention of 3f2a… to end", "expiry", 2000.0, 999.0)]
    assert describe(waits, 1000.0) == ("asyncpay: waiting for 2 tasks, 1 notification, 1 expiry; "
                                       "nearest deadline in 41 s (task 3f2a… to complete)")
    assert "passed 5 s ago" in describe(waits[:1], 1046.0)


def _view_board(interactive: bool) -> tuple[progress.Board, Reporter, FakeClock]:
    reporter, clock = Reporter(), FakeClock()
    view = TerminalView(reporter, interactive=interactive)
    return progress.Board(view, clock=clock), reporter, clock


def test_in_place_on_a_terminal_and_the_line_put_back() -> None:
    board, reporter, clock = _view_board(interactive=True)
    with board.waiting("task a", kind="task", deadline=clock.now + 60):
        board.tick()  # not yet: a wait shorter than a second would only flicker
        clock.now += 2
        board.tick()
        clock.now += 1
        board.tick()
    assert reporter.rewrites[:2] == [
        "asyncpay: waiting for 1 task; nearest deadline in 58 s (task a)",
        "asyncpay: waiting for 1 task; nearest deadline in 57 s (task a)"]
    assert reporter.rewrites[-1] == "suites/test_x.py .."  # what pytest was writing, restored
    assert reporter._tw._current_line == "suites/test_x.py .."
    assert reporter.lines == []


def test_plain_lines_in_ci_at_most_every_ten_seconds() -> None:
    board, reporter, clock = _view_board(interactive=False)
    with board.waiting("the notification for payment 8a82…", kind="notification", deadline=clock.now + 600):
        for _ in range(60):  # a minute, ticked every second
            clock.now += 1
            board.tick()
    assert len(reporter.lines) == 6
    assert reporter.lines[0].startswith("asyncpay: waiting for 1 notification; nearest deadline in 590 s")
    assert reporter.rewrites == []


class VirtualClock:
    virtual = True

    def __init__(self, board: progress.Board) -> None:
        self.t = 0.0
        self.board = board
        self.seen: list[list[progress.Wait]] = []

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.seen.append(self.board.waits())
        self.t += seconds

    def can_wait(self, seconds: float) -> bool:
        return True


def test_polling_reports_its_task(board: progress.Board) -> None:
    clock = VirtualClock(board)
    answers = iter(["processing", "processing", "completed"])
    poll(lambda: next(answers), until=lambda a: a == "completed", clock=clock, timeout=60, interval=1,
         on_timeout=checks.completes, describe="task 3f2a… to complete")
    assert [[(w.kind, w.what) for w in seen] for seen in clock.seen] == [[("task", "task 3f2a… to complete")]] * 2


def test_waiting_for_a_notification_reports_it(board: progress.Board) -> None:
    seen: list[Any] = []

    def wait_for(seconds: float) -> str:
        seen.append([(w.kind, w.what) for w in board.waits()])
        if len(seen) < 3:
            raise TimeoutError
        return "GET /notify?id=8a82"

    got = await_delivery(wait_for, clock=RealClock(60), timeout=600, step=1, on_timeout=opp_checks.notification_arrives,
                         describe="the notification for payment 8a82…", seen=lambda: [])
    assert got == "GET /notify?id=8a82"
    assert seen == [[("notification", "the notification for payment 8a82…")]] * 3


def test_a_real_clock_wait_is_an_expiry_wait(board: progress.Board) -> None:
    view = board.view
    assert isinstance(view, Recorder)
    RealClock(60).advance(0.001)
    assert view.idles == 1
