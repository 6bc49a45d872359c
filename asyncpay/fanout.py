"""Run one check over many items at once (real-time gateways) or one after another (virtual clock).

Against a gateway in real time, following 24 generated tasks one by one costs 24 processing
times; following them together costs about one. On the mock's virtual clock time only moves
when a check moves it, so concurrent checks would move it for each other: there the items run
in order, which costs nothing.

In a suite: ``fan_out(check_one, cases, concurrent=not gateway.clock.virtual)``.

>>> fan_out(lambda n: n * n, [1, 2, 3], concurrent=True)      # results in item order
[1, 4, 9]
>>> def check_one(n):
...     if n % 2 == 0:
...         raise AssertionError(f"case {n} failed")
...     return n
>>> fan_out(check_one, [1, 2, 3, 4], concurrent=True)        # the first failing item's error
Traceback (most recent call last):
...
AssertionError: case 2 failed
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_THREADS = 32


def fan_out(check: Callable[[T], R], items: Sequence[T], *, concurrent: bool) -> list[R]:
    """``[check(item) for item in items]``, concurrently when asked; every item runs to its end,
    then the first exception in item order is raised (so a failure names the first failing item)."""
    if not concurrent or len(items) < 2:
        return [check(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(len(items), MAX_THREADS)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, check, item) for item in items]
    errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]
