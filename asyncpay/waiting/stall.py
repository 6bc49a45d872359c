"""The harness's own stalls: moments this process could not run, never blamed on a gateway.

A deadline read off the wall clock counts every moment the harness itself was held up — its
threads waiting for the interpreter lock behind Hypothesis drawing cases, the process descheduled
on a busy machine, suspended by a profiler — as the gateway's delay. A complete answer that sat
in the socket buffer while the harness could not read it would then fail ``transport.answers``:
a false alarm. So one daemon thread per process sleeps in short ticks and records how late each
wake-up is. A late wake-up is time the harness could not run; :func:`stalled` sums it over an
interval, and deadlines (the request watchdog, the wait for a notification) are extended by it.
An extension is bounded by the caller, so a harness that never gets to run still ends its waits.

>>> monitor = StallMonitor(tick=0.05)
>>> monitor.record(wake=10.0, late=0.5)            # a wake-up 0.5 s late, at 10.0 s
>>> monitor.stalled(since=9.0, until=11.0)         # seconds of stall inside the interval
0.5
>>> monitor.stalled(since=9.8, until=11.0)         # only the part after ``since`` counts
0.2
>>> monitor.stalled(since=10.5, until=11.0)
0.0
"""

from __future__ import annotations

import threading
import time
from collections import deque

#: Seconds between the monitor's wake-ups.
TICK = 0.05
#: A wake-up later than this (seconds) counts as a stall; below it is ordinary scheduling noise.
TOLERANCE = 0.01


class StallMonitor:
    """Late wake-ups of a ticking thread: ``(wake time, seconds late)`` on the monotonic clock.

    Keeps the last ``keep`` stalls (enough for the longest deadline of any profile at one stall
    a tick). Thread-safe; :meth:`start` starts the ticking thread once.
    """

    def __init__(self, tick: float = TICK, tolerance: float = TOLERANCE, keep: int = 50_000) -> None:
        self.tick = tick
        self.tolerance = tolerance
        self._stalls: deque[tuple[float, float]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> StallMonitor:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="asyncpay-stall-monitor")
                self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            before = time.monotonic()
            time.sleep(self.tick)
            now = time.monotonic()
            late = now - before - self.tick
            if late > self.tolerance:
                self.record(now, late)

    def record(self, wake: float, late: float) -> None:
        with self._lock:
            self._stalls.append((wake, late))

    def stalled(self, since: float, until: float | None = None) -> float:
        """Seconds the process was stalled between ``since`` and ``until`` (default: now), monotonic."""
        end = time.monotonic() if until is None else until
        total = 0.0
        with self._lock:
            for wake, late in reversed(self._stalls):
                if wake <= since:
                    break
                if wake <= end:
                    total += min(late, wake - since)
        return round(total, 6)


_MONITOR = StallMonitor()


def stalled(since: float, until: float | None = None) -> float:
    """Seconds this process was stalled since ``since`` (``time.monotonic()``), monitor started on first use."""
    return _MONITOR.start().stalled(since, until)
