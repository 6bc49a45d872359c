"""Deadline-based polling on the target's clock, with capped backoff and a history on timeout.

In a suite::

    answer = poll(read_status, until=lambda a: a.json["status"] != "processing",
                  clock=clock, timeout=60, interval=1, on_timeout=checks.completes,
                  describe="task a2ac… to complete")

With a virtual clock of its own (the mock's moves the same way, through its control route):

>>> from asyncpay.checks.overpay import completes
>>> class Clock:
...     virtual, t = True, 0.0
...     def now(self): return self.t
...     def advance(self, seconds): self.t += seconds
...     def can_wait(self, seconds): return True
>>> statuses = iter(["processing", "processing", "successful"])
>>> poll(lambda: next(statuses), until=lambda s: s != "processing", clock=Clock(), timeout=60,
...      interval=1, on_timeout=completes, describe="task a2ac… to complete")
'successful'
>>> poll(lambda: "processing", until=lambda s: s != "processing", clock=Clock(), timeout=60,
...      interval=1, on_timeout=completes, describe="task a2ac… to complete")
Traceback (most recent call last):
...
asyncpay.errors.ContractViolation: [overpay.completes] timed out waiting for task a2ac… to complete
...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NoReturn, TypeVar

from asyncpay.errors import NotVerified
from asyncpay.waiting import progress, stall
from asyncpay.waiting.clock import TargetClock
from asyncpay.waiting.deadline import Deadline

T = TypeVar("T")


def poll(
    read: Callable[[], T],
    *,
    until: Callable[[T], bool],
    clock: TargetClock,
    timeout: float,
    interval: float,
    on_timeout: Callable[[str, float, float, list[object]], NoReturn],
    describe: str,
    show: Callable[[T], object] = repr,
    max_interval: float | None = None,
    backoff: float = 1.5,
    kind: str = "task",
) -> T:
    """Read until ``until(answer)``; on timeout call the rule's check ``on_timeout(describe,
    timeout, elapsed, seen)``, which raises its violation listing the answers seen.

    ``timeout`` and ``interval`` are in the target's seconds (virtual on the mock). The wall-clock
    guard stops a virtual loop that somehow never advances.
    """
    with progress.waiting(describe, kind=kind, deadline=time.monotonic() + timeout):
        return _poll(read, until, clock, timeout, interval, on_timeout, describe, show, max_interval, backoff)


def _poll(read: Callable[[], T], until: Callable[[T], bool], clock: TargetClock, timeout: float,
          interval: float, on_timeout: Callable[[str, float, float, list[object]], NoReturn],
          describe: str, show: Callable[[T], object],
          max_interval: float | None, backoff: float) -> T:
    start = clock.now()
    # A guard against a loop that never ends: a virtual clock costs no real time to wait on.
    wall_deadline = time.monotonic() + (0.0 if clock.virtual else timeout) + 120.0
    seen: list[object] = []
    wait = max(interval, 0.01)
    cap = max_interval if max_interval is not None else max(interval * 4, interval)
    while True:
        answer = read()
        if until(answer):
            return answer
        label = show(answer)
        if not seen or seen[-1] != label:
            seen.append(label)
        elapsed = clock.now() - start
        if elapsed >= timeout or time.monotonic() > wall_deadline:
            on_timeout(describe, timeout, elapsed, seen)
        clock.advance(min(wait, max(timeout - elapsed, 0.01)))
        wait = min(wait * backoff, cap)


def await_delivery(
    wait_for: Callable[[float], T],
    *,
    clock: TargetClock,
    timeout: float,
    step: float,
    on_timeout: Callable[[str, float, object], NoReturn],
    describe: str,
    seen: Callable[[], object],
) -> T:
    """Wait for something the gateway sends us (a webhook, a notification).

    ``wait_for(seconds)`` blocks up to ``seconds`` of real time and raises ``TimeoutError`` when
    nothing came; when nothing came in time, the rule's check ``on_timeout(describe, timeout,
    what_did_arrive)`` raises its violation. On a virtual clock the target's time is moved on in ``step``s between short
    real waits, so its retries happen; on a real clock we simply wait out ``timeout``.
    """
    if not clock.virtual:
        # The receiver runs in this process: while the harness itself could not run (asyncpay.waiting.stall)
        # a delivery may sit unread in the socket, so those moments do not count against the gateway.
        deadline = Deadline(timeout, stalls=stall.stalled)
        with progress.waiting(describe, kind="notification", deadline=time.monotonic() + timeout):
            while (left := deadline.remaining()) > 0:
                try:
                    return wait_for(min(left, 1.0))  # a second at a time: the display stays current
                except TimeoutError:
                    progress.tick()
        rule = getattr(on_timeout, "rule", None)  # a named check's rule (asyncpay.checks.check)
        if rule is not None and deadline.stall_bound():
            stalled = deadline.wall() - deadline.effective()
            raise NotVerified(rule, f"{describe}: this process was stalled for {stalled:.1f} s of the "
                                    f"{deadline.wall():.1f} s waited, so a delivery's lateness cannot be judged")
    else:
        start = clock.now()
        while True:
            try:
                # The mock's advance returns after attempting what fell due, so a short real
                # wait is enough for the delivery to have landed.
                return wait_for(0.05)
            except TimeoutError:
                if clock.now() - start >= timeout:
                    break
                clock.advance(step)
    on_timeout(describe, timeout, seen())
