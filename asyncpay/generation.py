"""The schemathesis schemas the property-based suites generate from.

Both phases that draw from the schema (explicit examples and Hypothesis fuzzing, positive and
negative) always run. The coverage phase (boundary cases for every constraint, a fixed and
large set that ``max_examples`` does not bound) runs under the ``thorough`` Hypothesis
profile only: against a gateway every case is real traffic.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Literal

import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from asyncpay import contracts
from asyncpay.fanout import UNSETTLED, Pipeline


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


def case_strategy(schema: Any) -> st.SearchStrategy[Any]:
    """Cases of every operation in ``schema``: positive and negative data, and the documented examples.

    Built when first drawn from, not when a suite module is imported: the documented examples
    are expanded by drawing (a fraction of a second per operation), which then happens inside the
    test, overlapping the other tests' waits against a real-time gateway, instead of before any
    test can start.
    """
    return st.deferred(lambda: _cases(schema))


def _cases(schema: Any) -> st.SearchStrategy[Any]:
    operations = [result.ok() for result in schema.get_all_operations()]
    drawn = [op.as_strategy(generation_mode=mode) for op in operations
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    examples = [strategy for op in operations for strategy in op.get_strategies_from_examples()]
    return st.one_of(*drawn, *examples)


#: Held while a real-time suite draws its cases. Hypothesis's source introspection (``ast.parse`` of
#: the filters schemathesis builds as it draws, and the cache around it) is not safe to run in two
#: threads at once on CPython 3.11, and the early-started contract suites would otherwise draw
#: together. Drawing is CPU-bound, so taking turns costs nothing; the checks overlap regardless.
DRAWING = threading.Lock()


def check_batches(cases: st.SearchStrategy[Any], operations: int, check: Callable[[Any], object], *,
                  real_time: bool) -> None:
    """Run ``check`` over ``max_examples`` × ``operations`` generated ``cases`` (the active
    Hypothesis profile's ``max_examples``): each Hypothesis example is a batch of ``operations``
    cases.

    On the virtual clock the cases of a batch are checked one after another; a failing case fails
    its example, and Hypothesis prints the batch and its blob.

    Against a real-time gateway every case's check starts in the background as soon as its batch
    is drawn, while Hypothesis draws the next: the waits of all cases (processing, the one-time
    error's second read) overlap, and the run waits about one processing time instead of one per
    request. When every case has ended, the first failure in drawing order is raised, with a note
    naming its case. Hypothesis does not see that failure, so it neither shrinks it nor prints a
    blob: against a real gateway a case is real traffic, and the note carries the request to
    repeat by hand.
    """
    examples = settings().max_examples  # the active profile's
    batches = st.lists(cases, min_size=operations, max_size=operations)
    if not real_time:
        unsettled: list[Exception] = []  # cases that could not be checked: the others still are

        @settings(settings.default, max_examples=examples)
        @given(batch=batches)
        def generated(batch: list[Any]) -> None:
            for case in batch:
                try:
                    check(case)
                except UNSETTLED as exc:
                    unsettled.append(exc)

        generated()
        if unsettled:
            raise unsettled[0]
        return

    @settings(settings.default, max_examples=examples)
    @given(batch=batches)
    def drawn(batch: list[Any]) -> None:
        for case in batch:
            pipeline.submit(case)

    with Pipeline(check, describe=describe_case) as pipeline, DRAWING:
        drawn()


def describe_case(case: Any) -> str:
    """A generated case as its HTTP request: method, path, query and body."""
    query = f"?{case.query}" if getattr(case, "query", None) else ""
    body = getattr(case, "body", None)
    shown = "" if body is None or type(body).__name__ == "NotSet" else f" {body!r}"[:2000]
    return f"the generated request {getattr(case, 'method', '?')} {getattr(case, 'formatted_path', '?')}{query}{shown}"
