"""Checks of Overpay's idempotent requests: one RequestID, one transaction.

A request carrying a ``RequestID`` header is idempotent for 24 hours: a merchant whose request
timed out sends it again with the same RequestID and must not be charged twice. A conforming
gateway may answer the repeat with the same task, or with a new task whose result is the same
transaction; both are accepted. Only a second transaction for one RequestID is a violation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from asyncpay.checks import check
from asyncpay.errors import ContractViolation
from asyncpay.http.client import Answer

#: The request header that makes a request idempotent (HTTP header names are case-insensitive).
HEADER = "RequestID"
#: How long the gateway must remember a RequestID, in seconds.
WINDOW = 86400.0


@dataclass(frozen=True)
class Attempt:
    """One sending of a request: the RequestID it carried, the task that answered it
    (``request_id``) and the transaction the task's result names (``uid``)."""

    key: str
    task: str
    uid: str


@check("overpay.idempotent-request")
def repeat_answered_as_task(answer: Answer, key: str, where: str) -> None:
    """The repeat of a request is answered like the first sending: with a task (2xx).

    A refusal leaves a merchant who timed out with no way to learn the outcome of the payment.
    """
    if not 200 <= answer.status_code < 300:
        raise ContractViolation(
            "overpay.idempotent-request", f"the repeat of {where} with {HEADER} {key} was refused",
            expected="the same task again, or a task whose result is the same transaction",
            received=answer.summary())


@check("overpay.idempotent-request")
def repeat_names_same_transaction(first: Attempt, repeat: Attempt) -> None:
    """The repeat (same RequestID) leads to the transaction the first sending created."""
    if repeat.uid != first.uid:
        raise ContractViolation(
            "overpay.idempotent-request",
            f"the same request sent twice with {HEADER} {first.key} created two transactions",
            expected={"task": f"{first.task} (or another task)", "uid": first.uid},
            received={"task": repeat.task, "uid": repeat.uid},
            hint="the merchant would be charged twice for one payment")


@check("overpay.idempotent-request")
def new_key_new_transaction(first: Attempt, other: Attempt) -> None:
    """Another RequestID is another request: it gets its own transaction."""
    if other.uid == first.uid or other.task == first.task:
        raise ContractViolation(
            "overpay.idempotent-request",
            f"a request with another {HEADER} ({other.key}) was answered as the repeat of {first.key}",
            expected={"task": f"not {first.task}", "uid": f"not {first.uid}"},
            received={"task": other.task, "uid": other.uid})


@check("overpay.idempotent-request")
def one_transaction_per_key(tracking_id: str, listed: Iterable[str], attempts: Iterable[Attempt]) -> None:
    """The tracking_id query lists exactly the transactions the RequestIDs created, one each.

    ``listed`` are the uids the query answered for ``tracking_id`` (every attempt used it).
    """
    attempts = list(attempts)
    expected = sorted({attempt.uid for attempt in attempts})
    extra = sorted(set(listed) - set(expected))
    if extra:
        keys = sorted({attempt.key for attempt in attempts})
        raise ContractViolation(
            "overpay.idempotent-request",
            f"the tracking_id query lists {len(extra)} more transaction(s) than the {len(keys)} "
            f"RequestID(s) sent",
            expected={"tracking_id": tracking_id, "uids": expected},
            received={"tracking_id": tracking_id, "uids": sorted(set(listed))},
            hint="a repeated request created a transaction its answer does not name")
