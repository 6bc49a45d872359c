"""Checks of Overpay's child transactions — captures, voids and refunds of an earlier
transaction — one function per documented rule.

Sources: the card API pages for captures, voids and refunds
(https://docs.bepaid.by/en/integration/card_api/transactions/capture/, ``.../void/``,
``.../refund/``; Overpay's pages are the same) and the asynchronous mode
(https://docs.overpay.io/en/integration/card_api/asynchronous/): every child is a task with the
same lifecycle as a payment's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from asyncpay.checks import check
from asyncpay.checks.api_version import answer_in_version
from asyncpay.checks.overpay import timed_out
from asyncpay.errors import ContractViolation, NotVerified

if TYPE_CHECKING:
    from asyncpay.http.client import Answer

#: The URL's kinds whose requests name a parent transaction.
CHILD_OPERATIONS = frozenset({"captures", "voids", "refunds"})


@check("overpay.child-completes")
def child_completes(describe: str, timeout: float, elapsed: float, seen: list[object], *,
                    last_processing: float | None = None) -> NoReturn:
    """A capture, void or refund task leaves processing within the profile's processing bound
    (``timeout``, seconds), as any task does.

    Called when the wait for the child ended at its bound without it leaving processing (the
    decisive observation); ``last_processing`` is how long after the task answer (seconds) the
    gateway itself last said processing. A child last *said* processing before the bound (later
    reads throttled) is *not verified*, never failed.
    """
    timed_out("overpay.child-completes", describe, timeout, elapsed, seen, last_processing=last_processing,
              expected=f"{describe} within {timeout:g} s (a child task completes like any task)")


@check("overpay.child-amount")
def child_amount(transaction: Mapping[str, Any], request: Mapping[str, Any], where: str) -> None:
    """The child's transaction carries the amount requested (minor units), and so does its type
    sub-object (``capture {amount}``, ``refund {amount}``...) when it has one."""
    wanted = request.get("amount")
    details = transaction.get(str(transaction.get("type")))
    received = {"amount": transaction.get("amount")}
    if isinstance(details, Mapping) and details.get("amount") is not None:
        received[f"{transaction.get('type')}.amount"] = details.get("amount")
    if any(value != wanted for value in received.values()):
        raise ContractViolation("overpay.child-amount", f"{where} is not made for the amount requested",
                                expected={key: wanted for key in received}, received=received)


@check("overpay.child-parent")
def child_parent(transaction: Mapping[str, Any], parent_uid: str, where: str) -> None:
    """The child's transaction names the parent its request named in ``parent_uid``.

    The card API's response tables do not list ``parent_uid``: a result without it cannot be
    judged (:class:`NotVerified`); one naming another transaction breaks the rule.
    """
    if "parent_uid" not in transaction or transaction["parent_uid"] is None:
        raise NotVerified("overpay.child-parent", f"{where} does not say which transaction it refers to "
                          "(no parent_uid in the transaction)")
    if transaction["parent_uid"] != parent_uid:
        raise ContractViolation("overpay.child-parent", f"{where} names another transaction as its parent",
                                expected={"parent_uid": parent_uid},
                                received={"parent_uid": transaction["parent_uid"], "uid": transaction.get("uid")})


def _refused(rule: str, breach: str, processed: Answer | None, refusal: Answer | None, api_version: int) -> None:
    if refusal is not None:
        answer_in_version(refusal.json, api_version=api_version, kind="error", rule=rule,
                          what=f"synchronous refusal of {breach}")
    if processed is not None:
        raise ContractViolation(rule, f"{breach} was processed",
                                expected="a synchronous 4xx error, or a non-200 error result delivered once",
                                received=processed.summary())


@check("overpay.refund-reason")
def refund_reason_required(processed: Answer | None, refusal: Answer | None = None, *,
                           api_version: int = 2) -> None:
    """A refund without ``reason`` is refused: ``refusal`` is the synchronous 4xx answer, or
    ``processed`` the 200 result of the task that should have been an error (None when it was)."""
    _refused("overpay.refund-reason", "a refund without reason", processed, refusal, api_version)


@check("overpay.child-duplicate")
def duplicate_child_refused(operation: str, processed: list[Answer], refusals: list[Answer], *,
                            api_version: int = 2) -> None:
    """Of a capture, void or refund sent twice with the same ``parent_uid`` and amount within 30 s
    (``duplicate_check`` left at its default, true), one is processed and the repeat refused:
    ``processed`` are the 200 results the two got, ``refusals`` their synchronous 4xx answers
    (a one-time error result is neither). None processed: the original was refused as well,
    which says nothing of duplicates (:class:`NotVerified`)."""
    rule = "overpay.child-duplicate"
    breach = f"a repeated {operation[:-1]} (same parent_uid and amount within 30 s)"
    for refusal in refusals:
        _refused(rule, breach, None, refusal, api_version)
    if not processed:
        raise NotVerified(rule, f"neither {operation[:-1]} was processed: the original was refused as well")
    if len(processed) > 1:
        _refused(rule, breach, processed[1], None, api_version)
