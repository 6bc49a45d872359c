"""Check many items at once against a real-time gateway, each as it comes, and wait for them all.

Against a gateway in real time, following 24 generated tasks one by one costs 24 processing
times; following them together costs about one. On the mock's virtual clock time only moves
when a check moves it, so concurrent checks would move it for each other: there the items run
in order, which costs nothing.

In a suite, when the items come one at a time (drawn by Hypothesis): a :class:`Pipeline`
starts each check as its item comes and waits for them all at the end.

>>> def check_one(n):
...     if n % 2 == 0:
...         raise AssertionError(f"case {n} failed")
...     return n
>>> with Pipeline(check_one) as pipeline:                   # each check starts as its item comes
...     for n in (1, 3, 4, 5, 6):
...         pipeline.submit(n)
Traceback (most recent call last):
...
AssertionError: case 4 failed
while checking 4
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import Generic, TypeVar

from asyncpay.verdicts import UNSETTLED_OUTCOMES

T = TypeVar("T")
R = TypeVar("R")

#: Checks at once: enough for every generated case of a run to wait together (a waiting check costs a
#: sleeping thread, no connection).
MAX_THREADS = 128
#: Endings that say a check could not be made (yet), not that the gateway broke a rule.
UNSETTLED = UNSETTLED_OUTCOMES


class Pipeline(Generic[T, R]):
    """``check(item)`` for each submitted item, in background threads (at most ``MAX_THREADS`` at once).

    Leaving the ``with`` block waits for every check; then the first exception in submission order
    is raised, with a note naming its item (``describe(item)``). If the block itself raised, that
    exception wins, after the checks have ended (none outlives the block).
    """

    def __init__(self, check: Callable[[T], R], *, describe: Callable[[T], str] = repr,
                 threads: int = MAX_THREADS) -> None:
        self._check = check
        self._describe = describe
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="asyncpay-check")
        self._runs: list[tuple[T, Future[R]]] = []

    def submit(self, item: T) -> None:
        context = contextvars.copy_context()  # the test's recording, as where the item was drawn
        self._runs.append((item, self._pool.submit(context.run, self._check, item)))

    def join(self) -> list[R]:
        """Wait for every check; return their results in order, or raise the first failure.

        A check that could not be made (:class:`~asyncpay.errors.NotVerified`,
        :class:`~asyncpay.errors.Deferred`) never hides one that failed: it is raised only when
        no check failed.
        """
        wait([future for _, future in self._runs])
        self._pool.shutdown(wait=True)
        errors = [(item, error) for item, future in self._runs if (error := future.exception()) is not None]
        failed = [(item, error) for item, error in errors if not isinstance(error, UNSETTLED)]
        for item, error in failed or errors:
            error.add_note(f"while checking {self._describe(item)}")
            raise error
        return [future.result() for _, future in self._runs]

    def __enter__(self) -> Pipeline[T, R]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None:
            self.join()
        else:
            wait([future for _, future in self._runs])
            self._pool.shutdown(wait=True)
