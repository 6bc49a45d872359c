"""Checks of Overpay's API versions: every answer in the shape the request asked for.

The harness holds each Overpay answer to the contract of the version it speaks
(:func:`asyncpay.schemas.api_versions.contract_for`). An answer that misses that contract but fits the
*other* version's is a gateway that ignored (or invented) ``X-API-Version``: that is reported
under ``overpay.api-version``, not as a broken shape.
"""

from __future__ import annotations

from typing import Any

from asyncpay.checks import check
from asyncpay.errors import ContractViolation
from asyncpay.schemas import contracts
from asyncpay.schemas.api_versions import API_VERSIONS, HEADER, contract_for


@check("overpay.api-version")
def answer_in_version(body: Any, *, api_version: int, kind: str, rule: str, what: str) -> None:
    """Hold ``body`` (an answer of ``kind``) to the contract of ``api_version``.

    Raises a violation of ``overpay.api-version`` when the answer is in the other version's
    shape instead, and of ``rule`` when it fits neither.

    >>> v2 = {"transaction": {"uid": "38698066-22838a613a", "status": "successful", "amount": 100,
    ...                       "currency": "USD", "type": "payment", "payment": {"status": "successful"}}}
    >>> answer_in_version(v2, api_version=2, kind="result", rule="overpay.result-shape",
    ...                   what="the result of task a2ac…")
    >>> answer_in_version(v2, api_version=3, kind="result", rule="overpay.result-shape",
    ...                   what="the result of task a2ac…")
    Traceback (most recent call last):
    ...
    asyncpay.errors.ContractViolation: [overpay.api-version] the result of task a2ac… is in the API v2 shape
    ...
    """
    name = contract_for(api_version, kind)
    found = contracts.validate(name, body)  # once; the other versions only when it does not conform
    if not found:
        return
    for other in API_VERSIONS:
        other_name = contract_for(other, kind)
        if other != api_version and other_name != name and contracts.conforms(other_name, body):
            asked = f"{HEADER}: {api_version}" if api_version != 2 else f"no {HEADER} header (v2, the default)"
            raise ContractViolation(
                "overpay.api-version", f"{what} is in the API v{other} shape",
                expected=f"the v{api_version} shape (contracts/{name}.json) asked for by {asked}",
                received=body,
                hint="the gateway ignored the version header; check that the shop is enabled for it")
    contracts.refuse(name, body, found, rule=rule, what=what)
