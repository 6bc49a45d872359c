"""The schemathesis schemas the property-based suites generate from.

Both phases that draw from the schema (explicit examples and Hypothesis fuzzing, positive and
negative) always run. The coverage phase (boundary cases for every constraint, a fixed and
large set that ``max_examples`` does not bound) runs under the ``thorough`` Hypothesis
profile only: against a gateway every case is real traffic.
"""

from __future__ import annotations

from typing import Any, Literal

import schemathesis
from hypothesis import settings
from schemathesis.generation import GenerationMode

from asyncpay import contracts


def openapi_schema(gateway: Literal["overpay", "opp"]) -> Any:
    schema = schemathesis.openapi.from_dict(contracts.openapi_document(gateway))
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    phases = ["examples", "fuzzing"]
    if settings.get_current_profile_name() == "thorough":
        phases.append("coverage")
    schema.config.phases.update(phases=phases)
    return schema
