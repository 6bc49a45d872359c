"""One thread per process that fires callbacks when their deadlines pass; the one bound on an
HTTP exchange (:class:`CutAtDeadline`).

Every exchange the harness makes (the gateway client's, the reachability probe's, the virtual
clock's control calls) is bounded the same way: its sockets are cut when its deadline passes.
The client bounds every exchange with a deadline (httpx bounds each socket read, not the
exchange: a gateway dripping its headers a byte at a time would hold a read for hours). A
thread per exchange to enforce it costs a thread start and a context switch on every request,
hundreds of times a second; one watchdog thread with a heap of deadlines costs a heap push.

A deadline here is a :class:`asyncpay.waiting.deadline.Deadline`: when its time comes the watchdog asks it
what is left, so a deadline pushed back by the harness's own stalls is re-armed, not fired.

>>> import threading
>>> from asyncpay.waiting.deadline import Deadline
>>> fired = threading.Event()
>>> watch = WATCHDOG.watch(Deadline(0.05), fired.set)
>>> fired.wait(timeout=30)                     # fired once 0.05 s had passed
True
>>> late = []
>>> watch = WATCHDOG.watch(Deadline(0.0), lambda: late.append("fired"))
>>> watch.cancel()                               # the guarded work ended in time
>>> after = threading.Event()
>>> _ = WATCHDOG.watch(Deadline(0.0), after.set)
>>> after.wait(timeout=30), late                 # the later watch fired; the cancelled one never
(True, [])
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

#: Deadlines closer than this (seconds) are due: the watchdog fires instead of re-arming.
RESOLUTION = 0.005
#: The longest the watchdog sleeps (seconds) while no earlier deadline is due.
IDLE = 1.0


class _Deadline(Protocol):
    def remaining(self) -> float: ...


class Watch:
    """A registered deadline and its callback; :meth:`cancel` it once the guarded work is done."""

    __slots__ = ("deadline", "callback", "fired")

    def __init__(self, deadline: _Deadline, callback: Callable[[], None]) -> None:
        self.deadline: _Deadline | None = deadline
        self.callback: Callable[[], None] | None = callback
        self.fired = False

    def cancel(self) -> None:
        """Never fire (a no-op once fired). Drops the callback, so nothing it holds is kept."""
        self.deadline = None
        self.callback = None


class Watchdog:
    """Fires each :class:`Watch`'s callback on the watchdog thread once its deadline has passed.

    Callbacks must be quick and must not raise (an exception is swallowed, so one bad callback
    never stops the others). Thread-safe; the thread starts on the first :meth:`watch`.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition(threading.Lock())
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None

    def watch(self, deadline: _Deadline, callback: Callable[[], None]) -> Watch:
        """Call ``callback`` (on the watchdog thread) once ``deadline.remaining()`` is spent."""
        handle = Watch(deadline, callback)
        due = self._clock() + max(deadline.remaining(), 0.0)
        with self._wake:
            heapq.heappush(self._heap, (due, next(self._order), handle))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="asyncpay-watchdog")
                self._thread.start()
            elif due < self._wake_at:
                self._wake.notify()
        return handle

    def _run(self) -> None:
        while True:
            due = self._next_due()
            for handle in due:
                callback = handle.callback
                if callback is None:
                    continue
                handle.fired = True
                handle.cancel()
                try:
                    callback()
                except Exception:  # noqa: BLE001 - one failing callback must not stop the watchdog
                    pass

    def _next_due(self) -> list[Watch]:
        """Sleep until some watch is due; return the due ones (those re-armed by a stall stay queued)."""
        with self._wake:
            while True:
                now = self._clock()
                due: list[Watch] = []
                while self._heap and self._heap[0][0] <= now + RESOLUTION:
                    _, _, handle = heapq.heappop(self._heap)
                    deadline = handle.deadline
                    if deadline is None:
                        continue  # cancelled
                    left = deadline.remaining()
                    if left > RESOLUTION:  # pushed back by the harness's own stalls: re-arm
                        heapq.heappush(self._heap, (now + left, next(self._order), handle))
                    else:
                        due.append(handle)
                if due:
                    self._wake_at = now
                    return due
                self._wake_at = min(self._heap[0][0] if self._heap else now + IDLE, now + IDLE)
                self._wake.wait(self._wake_at - now)


#: The process's watchdog.
WATCHDOG = Watchdog()


class CutAtDeadline:
    """The sockets one httpx exchange opens, shut down when ``deadline`` passes (the watchdog
    calls :meth:`expire`), so a read blocked on a peer that drips or stalls ends at once.

    Pass :meth:`trace` as the request's ``trace`` extension; the exchange must open its own
    connection (no kept-alive one), or there is no socket to cut. ``expired`` says it fired;
    :meth:`cancel` once the exchange is over.
    """

    def __init__(self, deadline: _Deadline) -> None:
        self.sockets: list[socket.socket] = []
        self.expired = threading.Event()
        self._watch = WATCHDOG.watch(deadline, self.expire)

    def cancel(self) -> None:
        self._watch.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                self.sockets.append(sock)

    def expire(self) -> None:
        self.expired.set()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@contextmanager
def cut_at(deadline: _Deadline) -> Iterator[CutAtDeadline]:
    """Bound the exchange made inside the block by ``deadline``: its sockets are cut when it passes.

    >>> import httpx
    >>> from asyncpay.waiting.deadline import Deadline
    >>> with cut_at(Deadline(5.0)) as cut:  # doctest: +SKIP
    ...     httpx.get(url, extensions={"trace": cut.trace})
    """
    cut = CutAtDeadline(deadline)
    try:
        yield cut
    finally:
        cut.cancel()
