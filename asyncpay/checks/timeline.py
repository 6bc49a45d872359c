"""Checks that judge one transaction's whole timeline (:mod:`asyncpay.timeline`), not one answer.

Order between channels is free (a webhook may come before or after a result read); only
agreement is required.

>>> from asyncpay.timeline import Timeline
>>> line = Timeline("4f1c")
>>> successful = {"transaction": {"uid": "u1", "status": "successful"}}
>>> line.add("response_url", "GET /async/result/4f1c", 200, successful, at=1.0)
>>> line.add("webhook", "POST /hooks/w", None, {"transaction": {"uid": "u1", "status": "successful"}}, at=2.0)
>>> overpay_final_state(line)
>>> line.add("webhook", "POST /hooks/w", None, {"transaction": {"uid": "u1", "status": "failed"}}, at=3.0)
>>> overpay_final_state(line)
Traceback (most recent call last):
...
asyncpay.errors.ContractViolation: [overpay.final-state] transaction u1 read as successful, then as failed
...
"""

from __future__ import annotations

from typing import Any

from asyncpay.checks import check
from asyncpay.errors import ContractViolation
from asyncpay.schemas import contracts
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.timeline import Observation, Timeline

#: Documented final transaction statuses (https://docs.overpay.io/en/integration/card_api/statuses/).
OVERPAY_FINAL = ("successful", "failed")


def _transactions(observation: Observation) -> list[dict[str, Any]]:
    """The transactions one observation shows: a result, a webhook body, a tracking-id list."""
    body = observation.body
    if isinstance(body, dict) and isinstance(body.get("transactions"), list):
        return [t for t in body["transactions"] if isinstance(t, dict)]
    one = transaction_of(body)
    return [one] if one is not None else []


@check("overpay.final-state")
def overpay_final_state(timeline: Timeline) -> None:
    """No transaction on the timeline reads as two different final statuses (successful /
    failed) on any channels, whatever their order."""
    first: dict[str, tuple[str, Observation]] = {}
    for observation in timeline.observations:
        for transaction in _transactions(observation):
            uid, status = transaction.get("uid"), transaction.get("status")
            if not isinstance(uid, str) or status not in OVERPAY_FINAL:
                continue
            if uid not in first:
                first[uid] = (status, observation)
                continue
            seen, where = first[uid]
            if status != seen:
                raise ContractViolation(
                    "overpay.final-state", f"transaction {uid} read as {seen}, then as {status}",
                    expected=f"{seen} on every channel ({where.summary()})",
                    received=f"{status} on {observation.summary()}",
                    hint="a final status never changes; a repeated webhook must carry the same transaction")


def _payment_result(observation: Observation, key: str) -> tuple[str, str] | None:
    """(payment, result code) an OPP answer shows: its ``id``, else the timeline's own key (a
    checkout read without ``id`` while pending); None for an answer that is no payment."""
    body = observation.body
    if observation.http_status != 200 or not isinstance(body, dict):
        return None
    result = body.get("result")
    code = result.get("code") if isinstance(result, dict) else None
    if not isinstance(code, str):
        return None
    payment = body.get("id")
    return (payment if isinstance(payment, str) else key), code


@check("opp.final-result-kept")
def opp_final_result(timeline: Timeline) -> None:
    """No payment on the timeline reads with a final result code and later with another
    outcome (another documented group, or pending again), on any channel."""
    first: dict[str, tuple[str, Observation]] = {}
    for observation in timeline.observations:
        seen_now = _payment_result(observation, timeline.key)
        if seen_now is None:
            continue
        payment, code = seen_now
        group = contracts.classify_result_code(code)
        if payment not in first:
            if group is not None and group.final:
                first[payment] = (code, observation)
            continue
        kept, where = first[payment]
        kept_group = contracts.classify_result_code(kept)
        if group is None or kept_group is None or group.name != kept_group.name:
            raise ContractViolation(
                "opp.final-result-kept", f"payment {payment} read final ({kept}), then {code}",
                expected=f"{kept} ({kept_group.name if kept_group else '?'}) on every later read "
                         f"(first on {where.summary()})",
                received=f"{code} ({group.name if group else 'undocumented'}) on {observation.summary()}",
                hint="only pending result codes change; a final result is kept")
