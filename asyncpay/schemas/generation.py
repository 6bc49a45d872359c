"""The schemathesis schemas the property-based suites generate from.

Both phases that draw from the schema (explicit examples and Hypothesis fuzzing, positive and
negative) always run. The coverage phase (boundary cases for every constraint, a fixed and
large set that ``max_examples`` does not bound) runs under the ``thorough`` Hypothesis
profile only: against a gateway every case is real traffic.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any, Literal

import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from asyncpay.http import replay
from asyncpay.http.recording import Exchange, Recording, activate
from asyncpay.http.recording import current as current_recording
from asyncpay.realtime import prefetch
from asyncpay.realtime.fanout import UNSETTLED, Pipeline
from asyncpay.realtime.prefetch import DrawnCase
from asyncpay.schemas import contracts


def openapi_schema(gateway: Literal["overpay", "opp"]) -> Any:
    """The gateway's OpenAPI contract as a schemathesis schema (one per gateway and Hypothesis
    profile: the suites narrow it with ``include``, which leaves it as it is)."""
    return _openapi_schema(gateway, settings.get_current_profile_name())


@functools.cache
def _openapi_schema(gateway: Literal["overpay", "opp"], profile: str) -> Any:
    schema = schemathesis.openapi.from_dict(contracts.openapi_document(gateway))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    phases = ["examples", "fuzzing"]
    if profile == "thorough":
        phases.append("coverage")
    schema.config.phases.update(phases=phases)
    return schema


class GeneratedCases:
    """What a property-based suite checks: batches of ``operations`` cases drawn from ``cases``,
    one batch per Hypothesis example (``max_examples`` of the active profile).

    ``operations`` may be a function, called when the batches are first drawn (it may have to
    load a schema). ``per_operation`` says a batch holds one case per operation. Made at import,
    when pytest collects the suite: a real-time run hands every collected one to a drawing
    process before any test starts (:mod:`asyncpay.realtime.prefetch`).
    """

    def __init__(self, cases: st.SearchStrategy[Any], operations: int | Callable[[], int] = 1, *,
                 per_operation: bool = False, explicit: Iterable[Any] = ()) -> None:
        self.cases = cases
        self._operations = operations
        self.per_operation = per_operation
        #: Cases checked on every run before the drawn ones, whatever Hypothesis draws.
        self.explicit = list(explicit)

    @functools.cached_property
    def operations(self) -> int:
        return self._operations if isinstance(self._operations, int) else self._operations()

    def batches(self) -> st.SearchStrategy[list[Any]]:
        return st.lists(self.cases, min_size=self.operations, max_size=self.operations)


def suite_cases(items: Iterable[Any]) -> list[GeneratedCases]:
    """The :class:`GeneratedCases` of the modules of ``items`` (pytest items), each once, those
    with a case per operation first (the largest batches)."""
    found: dict[int, GeneratedCases] = {}
    for item in items:
        module = getattr(item, "module", None)
        for value in vars(module).values() if module is not None else ():
            if isinstance(value, GeneratedCases):
                found.setdefault(id(value), value)
    return sorted(found.values(), key=lambda generated: not generated.per_operation)


def generated_cases(gateway: Literal["overpay", "opp"], *, method: str, path_regex: str,
                    per_operation: bool = False, explicit: Iterable[Any] = ()) -> GeneratedCases:
    """Cases of the ``gateway``'s operations that ``method`` and ``path_regex`` select (positive
    and negative data, and the documented examples): one a batch, or one per operation with
    ``per_operation``; the ``explicit`` cases (:func:`explicit_case`) are checked on every run as well.

    The OpenAPI document is loaded when the cases are first drawn, not at import: against a
    real-time gateway that happens in the drawing process, and this one never loads it.
    """
    def selected() -> Any:
        return openapi_schema(gateway).include(method=method, path_regex=path_regex)

    operations: int | Callable[[], int] = (lambda: len(list(selected().get_all_operations()))) if per_operation else 1
    return GeneratedCases(st.deferred(lambda: _cases(selected())), operations, per_operation=per_operation,
                          explicit=explicit)


def explicit_case(method: str, path: str, body: Any, *, negative: bool = True,
                  media_type: str = "application/json") -> DrawnCase:
    """A request a suite sends on every run, shaped like a generated case (``negative``: it
    breaks the schema on purpose)."""
    return DrawnCase(method=method, path=path, formatted_path=path, query=None, headers=None, body=body,
                     media_type=media_type, negative=negative)


def _cases(schema: Any) -> st.SearchStrategy[Any]:
    """Cases of every operation in ``schema``, built when first drawn from (``st.deferred``): the
    documented examples are expanded by drawing, inside the test or the drawing process, never
    before any test can start."""
    operations = [result.ok() for result in schema.get_all_operations()]
    drawn = [op.as_strategy(generation_mode=mode) for op in operations
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    examples = [strategy for op in operations for strategy in op.get_strategies_from_examples()]
    return st.one_of(*drawn, *examples)


def is_negative(case: Any) -> bool:
    """Whether a generated case (a schemathesis ``Case`` or a drawn-ahead one) breaks the schema on purpose."""
    if isinstance(case, DrawnCase):
        return case.negative
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode is GenerationMode.NEGATIVE


#: Held while a real-time suite draws its cases in-process. Hypothesis's source introspection
#: (``ast.parse`` of the filters schemathesis builds as it draws, and the cache around it) is not
#: safe to run in two threads at once on CPython 3.11, and the early-started contract suites would
#: otherwise draw together. Drawing is CPU-bound, so taking turns costs nothing.
DRAWING = threading.Lock()


def draw_batches(generated: GeneratedCases, emit: Callable[[list[Any]], object]) -> None:
    """Draw ``generated``'s batches (the active profile's ``max_examples``), calling ``emit`` on each."""
    @settings(settings.default, max_examples=settings().max_examples)
    @given(batch=generated.batches())
    def drawn(batch: list[Any]) -> None:
        emit(batch)

    drawn()


def check_batches(generated: GeneratedCases, check: Callable[[Any], object], *, real_time: bool) -> None:
    """Run ``check`` over every case of ``generated``.

    On the virtual clock the cases of a batch are checked one after another; a failing case fails
    its example, and Hypothesis prints the batch and its blob.

    Against a real-time gateway every case's check starts in the background as soon as its batch
    is drawn, while the next is drawn: the waits of all cases (processing, the one-time error's
    second read) overlap, and the run waits about one processing time instead of one per
    request. The batches come from the drawing process when the run started one
    (:mod:`asyncpay.realtime.prefetch`), else they are drawn here. When every case has ended, the first
    failure in drawing order is raised, with a note naming its case. Hypothesis does not see that
    failure, so it neither shrinks it nor prints a blob: against a real gateway a case is real
    traffic. Instead the failure carries the case's first request as it was sent (redacted) and
    a command that sends it again (:mod:`asyncpay.http.replay`).
    """
    if not real_time:
        unsettled: list[Exception] = []  # cases that could not be checked: the others still are
        for case in generated.explicit:
            try:
                check(case)
            except UNSETTLED as exc:
                unsettled.append(exc)

        @settings(settings.default, max_examples=settings().max_examples)
        @given(batch=generated.batches())
        def generated_example(batch: list[Any]) -> None:
            for case in batch:
                try:
                    check(case)
                except UNSETTLED as exc:
                    unsettled.append(exc)

        generated_example()
        if unsettled:
            raise unsettled[0]
        return

    with Pipeline(functools.partial(_check_replayable, check), describe=describe_case) as pipeline:
        for case in generated.explicit:
            pipeline.submit(case)
        ahead = prefetch.take(generated)
        if ahead is not None:
            for batch in ahead:
                for case in batch:
                    pipeline.submit(case)
            return
        def submit(batch: list[Any]) -> None:
            for case in batch:
                pipeline.submit(case)

        with DRAWING:
            draw_batches(generated, submit)


class _CaseRecording(Recording):
    """One case's exchanges and events, kept here and passed on to the test's recording."""

    def __init__(self, parent: Recording | None) -> None:
        super().__init__()
        self._parent = parent

    def exchange(self, exchange: Exchange) -> None:
        super().exchange(exchange)
        if self._parent is not None:
            self._parent.exchange(exchange)

    def event(self, task: str, kind: str, detail: str = "", target_time: float | None = None) -> None:
        super().event(task, kind, detail, target_time)
        if self._parent is not None:
            self._parent.event(task, kind, detail, target_time)

    def shape(self, contract: str) -> None:
        super().shape(contract)
        if self._parent is not None:
            self._parent.shape(contract)


def _check_replayable(check: Callable[[Any], object], case: Any) -> object:
    """``check(case)``; a failure gets a note with the case's first request and a command to send it again."""
    recording = _CaseRecording(current_recording())
    activate(recording)  # in this case's own context (Pipeline runs each check in a copy)
    try:
        return check(case)
    except UNSETTLED:
        raise
    except Exception as exc:
        if recording.exchanges:
            exc.add_note(replay.note(recording.exchanges[0]))
        raise


def describe_case(case: Any) -> str:
    """A generated case as its HTTP request: method, path, query and body."""
    query = f"?{case.query}" if getattr(case, "query", None) else ""
    body = getattr(case, "body", None)
    shown = "" if body is None or type(body).__name__ == "NotSet" else f" {body!r}"[:2000]
    return f"the generated request {getattr(case, 'method', '?')} {getattr(case, 'formatted_path', '?')}{query}{shown}"
