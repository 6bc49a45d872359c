"""Generated cases drawn ahead, in a child process on another core (real-time runs).

Against a real-time gateway the harness's own CPU is the run's limit: drawing the property-based
suites' requests (schemathesis builds and validates a Hypothesis strategy on every draw) takes
about 4 s of one core, in the same process and under the same interpreter lock as every check
and every wait of the run. So, before any test body starts, the plugin forks a child that draws
every collected suite's batches — the same strategies, the same Hypothesis settings and profile
— and streams them back through a pipe while the parent sends, polls and waits. A suite then
checks the child's batches as they come instead of drawing its own.

Only the drawing moves: every check still runs in the parent, on the same rules. A drawing error
in the child (a Hypothesis health check, say) is raised in the suite that asked for those cases,
with the child's traceback; so is a child that dies or falls silent (:data:`SILENCE_LIMIT`).
Off Linux (see :data:`FORK_SAFE`), or where the child cannot start, the suites draw in-process
as before. Nothing here runs on the virtual clock: there Hypothesis
owns each example, to shrink it and print its blob.

Usage (in the plugin, before the early starts)::

    prefetch.start(sources)      # sources: the collected suites' GeneratedCases
    ...
    batches = prefetch.take(source)   # in check_batches: an iterator of batches, or None
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from asyncpay.errors import HarnessError

_HEADER = struct.Struct("!I")
#: Where a process that has run threads and TLS can fork a child that only computes: Linux. On
#: macOS a forked child may crash in the system frameworks the parent used (CPython's own
#: multiprocessing spawns there), and Windows has no fork: the suites draw in-process.
FORK_SAFE = sys.platform.startswith("linux") and hasattr(os, "fork")
#: Seconds without a batch from the drawing process before a suite gives up on it (a batch takes
#: well under a second to draw; this bounds a child that hangs).
SILENCE_LIMIT = 120.0
#: Frame kinds: a batch of cases, the end of a source's batches, a drawing error.
BATCH, END, ERROR = "batch", "end", "error"


@dataclass(frozen=True)
class DrawnCase:
    """A generated request as the child drew it: what the suites read of a schemathesis ``Case``.

    ``body`` is schemathesis's ``NOT_SET`` when the case has none; ``negative`` says the case
    was generated to break the schema.
    """

    method: str
    path: str
    formatted_path: str
    query: Any
    headers: Any
    body: Any
    media_type: str | None
    negative: bool


def drawn_case(case: Any) -> Any:
    """The picklable part of a schemathesis ``Case`` (anything else is sent as it is)."""
    from schemathesis.generation import GenerationMode

    if not hasattr(case, "formatted_path"):
        return case

    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    return DrawnCase(method=case.method, path=case.path, formatted_path=case.formatted_path,
                     query=case.query, headers=case.headers, body=case.body,
                     media_type=getattr(case, "media_type", None), negative=mode is GenerationMode.NEGATIVE)


class Prefetch:
    """The child drawing ahead and the batches it has sent: one queue per source."""

    def __init__(self, pid: int, read_fd: int, count: int) -> None:
        self.pid = pid
        self._queues: list[queue.SimpleQueue[tuple[str, Any]]] = [queue.SimpleQueue() for _ in range(count)]
        self._taken: set[int] = set()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, args=(read_fd,), daemon=True,
                                        name="asyncpay-prefetch-reader")
        self._reader.start()

    def _read(self, fd: int) -> None:
        ended: set[int] = set()
        with os.fdopen(fd, "rb") as pipe:
            try:
                while True:
                    header = pipe.read(_HEADER.size)
                    if len(header) < _HEADER.size:
                        break
                    (size,) = _HEADER.unpack(header)
                    index, kind, payload = pickle.loads(pipe.read(size))
                    if kind in (END, ERROR):
                        ended.add(index)
                    self._queues[index].put((kind, payload))
            except Exception as exc:  # noqa: BLE001 - reported to every suite still waiting
                reason = f"the drawing process's stream broke: {type(exc).__name__}: {exc}"
            else:
                reason = "the drawing process ended before it had drawn every case"
        for index, waiting in enumerate(self._queues):
            if index not in ended:
                waiting.put((ERROR, reason))

    def take(self, index: int) -> Iterator[list[DrawnCase]] | None:
        """Source ``index``'s batches as they arrive; ``None`` if they were taken already."""
        with self._lock:
            if index in self._taken:
                return None
            self._taken.add(index)
        return self._batches(index)

    def _batches(self, index: int) -> Iterator[list[DrawnCase]]:
        while True:
            try:
                kind, payload = self._queues[index].get(timeout=SILENCE_LIMIT)
            except queue.Empty:
                raise HarnessError(f"the drawing process sent no generated case for {SILENCE_LIMIT:g} s") from None
            if kind == BATCH:
                yield payload
            elif kind == END:
                return
            else:
                raise HarnessError(f"drawing the generated cases failed in the drawing process:\n{payload}")

    def close(self) -> None:
        """Stop the child if it is still drawing, and reap it."""
        try:
            os.kill(self.pid, 9)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except OSError:
            pass


_ACTIVE: dict[int, tuple[Prefetch, int]] = {}  # id(source) -> (prefetch, index)
_SOURCES: list[object] = []  # keeps the ids above meaning the same objects


#: ``draw(source, emit)`` draws ``source``'s batches, calling ``emit(batch)`` for each.
Draw = Callable[[Any, Callable[[list[Any]], None]], None]


def start(sources: Sequence[Any], draw: Draw) -> Prefetch | None:
    """Fork a child that runs ``draw`` for each of ``sources`` in turn and streams each batch
    back; return the parent's handle, or ``None`` where no child can be forked.

    Call it before the run starts threads of its own: a forked child has only the calling thread.
    """
    if not sources or not FORK_SAFE:
        return None
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return None
    if pid == 0:  # the child: draw, stream, and leave without running the parent's exit handlers
        code = 0
        try:
            os.close(read_fd)
            _child(sources, draw, write_fd)
        except BaseException:  # noqa: BLE001 - the parent reports what it received
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    prefetch = Prefetch(pid, read_fd, len(sources))
    for index, source in enumerate(sources):
        _ACTIVE[id(source)] = (prefetch, index)
        _SOURCES.append(source)
    return prefetch


def _child(sources: Sequence[Any], draw: Draw, fd: int) -> None:
    with os.fdopen(fd, "wb") as pipe:
        def send(index: int, kind: str, payload: Any) -> None:
            data = pickle.dumps((index, kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
            pipe.write(_HEADER.pack(len(data)) + data)
            pipe.flush()

        for index, source in enumerate(sources):
            try:
                draw(source, lambda batch: send(index, BATCH, [drawn_case(case) for case in batch]))  # noqa: B023
            except Exception:  # noqa: BLE001 - raised again in the parent's suite
                send(index, ERROR, traceback.format_exc())
            else:
                send(index, END, None)


def take(source: Any) -> Iterator[list[DrawnCase]] | None:
    """The child's batches for ``source`` (once), or ``None``: then the caller draws in-process."""
    found = _ACTIVE.pop(id(source), None)
    if found is None:
        return None
    prefetch, index = found
    return prefetch.take(index)


def stop(prefetch: Prefetch | None) -> None:
    """End a prefetch started by :func:`start` (at the end of the run)."""
    if prefetch is None:
        return
    for key in [key for key, (owner, _) in _ACTIVE.items() if owner is prefetch]:
        del _ACTIVE[key]
    _SOURCES.clear()
    prefetch.close()
