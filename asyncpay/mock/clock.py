"""The mock's time: a clock (wall time, or virtual time moved only on request) and a timeline
of actions that run once the clock reaches them.

Everything that happens "later" in the mock — a task completing, a pending payment turning
final, a webhook retry — is an action on the timeline, so a virtual clock can make a day pass
in one call and a real clock runs the same actions from a ticker.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class Clock:
    """Seconds since the epoch: ``time.time()`` in real mode, a settable value in virtual mode.

    A virtual clock starts at the wall time of its creation and never goes backwards.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._virtual_now = time.time()

    @property
    def virtual(self) -> bool:
        return self.mode == "virtual"

    def now(self) -> float:
        return self._virtual_now if self.virtual else time.time()

    def move_to(self, when: float) -> None:
        if not self.virtual:
            raise RuntimeError("a real clock cannot be moved")
        self._virtual_now = max(self._virtual_now, when)


@dataclass(order=True)
class Due:
    when: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class Timeline:
    """Actions keyed by the clock time they become due, taken in time order (ties: FIFO)."""

    def __init__(self) -> None:
        self._heap: list[Due] = []
        self._seq = itertools.count()

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._heap, Due(when, next(self._seq), action))

    def pop_due(self, until: float) -> Due | None:
        """The earliest action due at or before ``until``, removed; None if there is none."""
        if self._heap and self._heap[0].when <= until:
            return heapq.heappop(self._heap)
        return None

    def __len__(self) -> int:
        return len(self._heap)
