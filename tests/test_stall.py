"""The stall monitor sees time this process could not run, and deadlines give that time back."""

from __future__ import annotations

import sys
import time

from asyncpay.waiting.deadline import Deadline
from asyncpay.waiting.stall import StallMonitor


def _hold_the_interpreter(seconds: float) -> None:
    """Run pure Python without letting another thread in (a switch interval longer than the run)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(seconds * 4)
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
    finally:
        sys.setswitchinterval(interval)


def test_a_held_interpreter_is_seen_as_a_stall() -> None:
    monitor = StallMonitor(tick=0.01).start()
    time.sleep(0.05)  # the monitor is ticking
    since = time.monotonic()
    _hold_the_interpreter(0.4)
    time.sleep(0.05)  # the late tick is recorded once the monitor runs again

    assert monitor.stalled(since) >= 0.2


def test_a_deadline_is_extended_by_the_stall_it_saw() -> None:
    t, stall = [0.0], [0.0]
    deadline = Deadline(5.0, now=lambda: t[0], stalls=lambda since: stall[0])

    t[0] = 5.5
    assert deadline.remaining() < 0 and not deadline.stall_bound()  # no stall: the other side was late
    stall[0] = 1.0
    assert deadline.remaining() == 0.5  # one stalled second given back
