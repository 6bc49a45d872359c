"""Overpay's two answer shapes, and which contract holds each answer under each.

Overpay answers in the classic v2 shape unless a request carries ``X-API-Version: 3``; v3
flattens the transaction (``uid``, ``code``, ``friendly_message``, ``status``,
``payment_method`` at the top level) and numbers its outcomes (``8010``: async transaction was
created). The task lifecycle is the same in both: only the shapes differ. Source:
https://docs.overpay.io/en/reference/api_v3/ (the bePaid page of the same name reads the same).

This module is the seam between the harness and the version: the profile declares the versions the
gateway speaks (``[overpay] api_versions = [2, 3]``, the first one spoken by every suite), the
client sends its header (:func:`headers`), and whoever holds an answer to a contract asks
:func:`contract_for` which one — or lets :func:`asyncpay.checks.api_version.answer_in_version` do
it, which also says when an answer is in the other version's shape.

>>> contract_for(3, "result-payment"), contract_for(2, "result-payment")
('overpay/v3-result-payment', 'overpay/result-payment')
>>> v3 = {"uid": "1-ab", "amount": 100, "status": "successful", "code": "S.0000"}
>>> transaction_of(v3)["uid"], transaction_of({"transaction": v3})["uid"]
('1-ab', '1-ab')
"""

from __future__ import annotations

import dataclasses
from typing import Any

from asyncpay.errors import NotVerified
from asyncpay.schemas.contracts import OVERPAY_TRANSACTION_TYPES

#: The versions the harness speaks; 2 is the documented default (no header sent).
API_VERSIONS = (2, 3)
DEFAULT = 2
HEADER = "X-API-Version"

#: The message kinds a contract is asked for. Kinds not listed for v3 (the task's status
#: answers, the task failure) are the same in both versions.
KINDS = (
    "task", "status-processing", "status-completed", "status-unknown", "task-error",
    "result", "transaction-response", "error", "tracking-query", "webhook",
    *(f"result-{kind}" for kind in OVERPAY_TRANSACTION_TYPES.values()),
)

_V3 = {
    "task": "overpay/v3-task",
    "result": "overpay/v3-result",
    "transaction-response": "overpay/v3-transaction",
    "error": "overpay/v3-error",
    "tracking-query": "overpay/v3-tracking-query",
    "webhook": "overpay/v3-webhook",
    **{f"result-{kind}": f"overpay/v3-result-{kind}" for kind in OVERPAY_TRANSACTION_TYPES.values()},
}


def contract_for(api_version: int, kind: str) -> str:
    """The contract an answer of ``kind`` is held to under ``api_version`` (2 or 3).

    Raises ``ValueError`` for a version or kind the harness does not know (a harness bug).
    """
    if api_version not in API_VERSIONS:
        raise ValueError(f"Overpay API version {api_version!r}; known: {API_VERSIONS}")
    if kind not in KINDS:
        raise ValueError(f"no Overpay message kind {kind!r}; known: {', '.join(KINDS)}")
    if api_version == 3 and kind in _V3:
        return _V3[kind]
    return f"overpay/{kind}"


def headers(api_version: int) -> dict[str, str]:
    """The request headers that select ``api_version``: none for the default v2.

    >>> headers(3), headers(2)
    ({'X-API-Version': '3'}, {})
    """
    if api_version not in API_VERSIONS:
        raise ValueError(f"Overpay API version {api_version!r}; known: {API_VERSIONS}")
    return {} if api_version == DEFAULT else {HEADER: str(api_version)}


def transaction_of(body: Any) -> dict[str, Any] | None:
    """The transaction in a standard response of either version, or None when there is none.

    v2 wraps it (``{"transaction": {...}}``); v3 is the transaction itself (its own
    ``transaction`` member holds only processing details, so the top level is tried first).
    """
    if not isinstance(body, dict):
        return None
    if "uid" in body and "amount" in body:
        return body
    inner = body.get("transaction")
    return inner if isinstance(inner, dict) and "uid" in inner else None


def speaking(gateway: Any, api_version: int) -> Any:
    """A view of an :class:`~asyncpay.gateways.overpay.merchant.OverpayMerchant` that speaks ``api_version``.

    It shares the gateway's client connection, clock and recording, sends the version's header
    on every request and holds every answer to that version's contracts (its own task models).
    """
    declared = gateway.target.api_versions
    target = dataclasses.replace(gateway.target, api_versions=(api_version, *(v for v in declared if v != api_version)))
    client = gateway.client.with_headers(headers(api_version), drop=() if api_version != DEFAULT else (HEADER,))
    return dataclasses.replace(gateway, target=target, client=client, models={})


def declared_view(gateway: Any, api_version: int) -> Any:
    """:func:`speaking` for a version the profile declares; a version it does not declare is
    *not verified* (``NotVerified`` on ``overpay.api-version``), with the profile key to set.

    A gateway need not speak v3 (v2 is the documented default): the harness demands only what
    the user said their gateway speaks.
    """
    declared = tuple(gateway.target.api_versions)
    if api_version not in declared:
        wanted = sorted({*declared, api_version})
        key = ("[mock] overpay_api_versions" if getattr(gateway.target, "embedded", False)
               else "[overpay] api_versions")
        raise NotVerified("overpay.api-version",
                          f"the profile declares Overpay API versions {list(declared)}, not {api_version}; "
                          f"if the gateway speaks v{api_version}, declare it: {key} = {wanted}")
    return speaking(gateway, api_version)
