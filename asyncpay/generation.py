"""The schemathesis schemas the property-based suites generate from.

Both phases that draw from the schema (explicit examples and Hypothesis fuzzing, positive and
negative) always run. The coverage phase (boundary cases for every constraint, a fixed and
large set that ``max_examples`` does not bound) runs under the ``thorough`` Hypothesis
profile only: against a gateway every case is real traffic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from asyncpay import contracts
from asyncpay.fanout import fan_out


def openapi_schema(gateway: Literal["overpay", "opp"]) -> Any:
    schema = schemathesis.openapi.from_dict(contracts.openapi_document(gateway))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    phases = ["examples", "fuzzing"]
    if settings.get_current_profile_name() == "thorough":
        phases.append("coverage")
    schema.config.phases.update(phases=phases)
    return schema


def case_strategy(schema: Any) -> st.SearchStrategy[Any]:
    """Cases of every operation in ``schema``: positive and negative data, and the documented examples."""
    operations = [result.ok() for result in schema.get_all_operations()]
    drawn = [op.as_strategy(generation_mode=mode) for op in operations
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    examples = [strategy for op in operations for strategy in op.get_strategies_from_examples()]
    return st.one_of(*drawn, *examples)


def batch_budget(operations: int, *, real_time: bool) -> tuple[int, int]:
    """(Hypothesis examples, cases per example) for a property-based run over ``operations``.

    The same number of generated requests as one example per operation and Hypothesis example
    (``max_examples`` of the active profile): on the virtual clock one case per operation and
    example; in real time the cases come in two concurrent batches, so the run waits about two
    processing times instead of one per request (Hypothesis's first example is its simplest,
    so one batch alone would be a poor one).
    """
    examples = settings().max_examples  # the active profile's
    if not real_time:
        return examples, operations
    batches = min(examples, 2)
    return batches, math.ceil(examples * operations / batches)


def check_batches(cases: st.SearchStrategy[Any], operations: int, check: Callable[[Any], object], *,
                  real_time: bool) -> None:
    """Run ``check`` over generated ``cases`` in Hypothesis examples of :func:`batch_budget`
    size, each batch concurrently against a real-time gateway (one after another on the virtual
    clock). A failing case fails its example: Hypothesis prints the batch and its blob."""
    examples, size = batch_budget(operations, real_time=real_time)

    @settings(settings.default, max_examples=examples)
    @given(batch=st.lists(cases, min_size=size, max_size=size))
    def generated(batch: list[Any]) -> None:
        fan_out(check, batch, concurrent=real_time)

    generated()
