"""The path of one answer has no reversals: an answer is validated against its contract once."""

from __future__ import annotations

from typing import Any

import pytest

from asyncpay.checks.api_version import answer_in_version
from asyncpay.schemas import contracts

V2_RESULT = {"transaction": {"uid": "38698066-22838a613a", "status": "successful", "amount": 100,
                             "currency": "USD", "type": "payment", "payment": {"status": "successful"}}}


def test_an_answer_in_its_version_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    validations: list[str] = []
    problems, conforms = contracts.problems, contracts.conforms

    def counted_problems(name: str, instance: Any) -> list[str]:
        validations.append(name)
        return problems(name, instance)

    def counted_conforms(name: str, instance: Any) -> bool:
        validations.append(name)
        return conforms(name, instance)

    monkeypatch.setattr(contracts, "problems", counted_problems)
    monkeypatch.setattr(contracts, "conforms", counted_conforms)
    answer_in_version(V2_RESULT, api_version=2, kind="result", rule="overpay.result-shape", what="the result")
    assert len(validations) == 1
