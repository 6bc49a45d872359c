"""Deadline-based polling on the target's clock, with capped backoff and a history on timeout.

>>> answer = poll(read_status, until=lambda a: a.json["status"] != "processing",
...               clock=clock, timeout=60, interval=1, rule="overpay.completes",
...               describe="task a2ac… to complete")
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from asyncpay import progress
from asyncpay.clock import TargetClock
from asyncpay.errors import ContractViolation

T = TypeVar("T")


def poll(
    read: Callable[[], T],
    *,
    until: Callable[[T], bool],
    clock: TargetClock,
    timeout: float,
    interval: float,
    rule: str,
    describe: str,
    show: Callable[[T], object] = repr,
    max_interval: float | None = None,
    backoff: float = 1.5,
    kind: str = "task",
) -> T:
    """Read until ``until(answer)``; on timeout raise a violation of ``rule`` listing what was seen.

    ``timeout`` is in the target's seconds (virtual on the mock). The wall-clock guard stops a
    virtual loop that somehow never advances.
    """
    with progress.waiting(describe, kind=kind, deadline=time.monotonic() + timeout):
        return _poll(read, until, clock, timeout, interval, rule, describe, show, max_interval, backoff)


def _poll(read: Callable[[], T], until: Callable[[T], bool], clock: TargetClock, timeout: float,
          interval: float, rule: str, describe: str, show: Callable[[T], object],
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
            raise ContractViolation(
                rule, f"timed out waiting for {describe}",
                expected=f"{describe} within {timeout:g} s",
                received=f"after {elapsed:.1f} s, answers seen (in order): {seen[-8:]}",
                hint="raise the profile's timing if the gateway is merely slow")
        clock.advance(min(wait, max(timeout - elapsed, 0.01)))
        wait = min(wait * backoff, cap)


def await_delivery(
    wait_for: Callable[[float], T],
    *,
    clock: TargetClock,
    timeout: float,
    step: float,
    rule: str,
    describe: str,
    seen: Callable[[], object],
) -> T:
    """Wait for something the gateway sends us (a webhook, a notification).

    ``wait_for(seconds)`` blocks up to ``seconds`` of real time and raises ``TimeoutError`` when
    nothing came. On a virtual clock the target's time is moved on in ``step``s between short
    real waits, so its retries happen; on a real clock we simply wait out ``timeout``.
    """
    if not clock.virtual:
        deadline = time.monotonic() + timeout
        with progress.waiting(describe, kind="notification", deadline=deadline):
            while (left := deadline - time.monotonic()) > 0:
                try:
                    return wait_for(min(left, 1.0))  # a second at a time: the display stays current
                except TimeoutError:
                    progress.tick()
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
    raise ContractViolation(rule, f"{describe} never arrived",
                            expected=f"{describe} within {timeout:g} s",
                            received=f"what did arrive: {seen()}",
                            hint="check that the gateway can reach the receiver ([receiver] public_url)")
