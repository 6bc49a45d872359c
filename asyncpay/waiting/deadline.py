"""A deadline counted in the harness's running time: the one bound on an exchange or a wait.

The client's watchdog (:mod:`asyncpay.http.watchdog`), the wait for a notification
(:mod:`asyncpay.waiting.polling`) and the reachability probe ask a :class:`Deadline` what is left.
Moments the harness itself could not run are given back when the caller passes them as
``stalls`` (:func:`asyncpay.waiting.stall.stalled`); the deadline itself knows nothing of how
they are measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Deadline:
    """``seconds`` of the harness's running time from now: stalls push it back, up to ``grace`` × ``seconds``.

    ``stalls(since)`` gives the seconds this process could not run since ``since`` (monotonic);
    without it no moment counts as a stall (a plain wall-clock deadline).

    ``remaining()`` is what is left (seconds; ≤ 0 once passed). ``stall_bound()`` says the deadline
    passed only because of the bound on the extension, i.e. the harness, not the other side, ran out
    of time: a check must then be *not verified*, never failed.

    >>> t, stall = [0.0], [0.0]          # wall seconds, stalled seconds
    >>> deadline = Deadline(5.0, now=lambda: t[0], stalls=lambda since: stall[0])
    >>> t[0], stall[0] = 6.0, 3.0; deadline.remaining()    # 6 s gone, 3 stalled: 2 s of the 5 left
    2.0
    >>> t[0], stall[0] = 11.0, 7.0; deadline.remaining()   # 11 s gone: past the bound of 2 × 5 s
    -1.0
    >>> deadline.stall_bound()        # ended by the harness's stalls, not by the other side
    True
    """

    def __init__(self, seconds: float, *, grace: float = 1.0, now: Callable[[], float] = time.monotonic,
                 stalls: Callable[[float], float] = lambda since: 0.0) -> None:
        self.seconds = seconds
        self.limit = seconds * (1.0 + grace)
        self._now = now
        self._stalls = stalls
        self.started = now()

    def wall(self) -> float:
        """Seconds of wall time since the start."""
        return self._now() - self.started

    def effective(self) -> float:
        """Seconds since the start that the harness could run."""
        return self.wall() - self._stalls(self.started)

    def remaining(self) -> float:
        wall = self.wall()
        return min(self.seconds - (wall - self._stalls(self.started)), self.limit - wall)

    def stall_bound(self) -> bool:
        return self.wall() >= self.limit and self.effective() < self.seconds
