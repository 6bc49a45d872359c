"""Checks of the availability of an Overpay task's result: how long a 200 result is kept, and that
a non-200 result is handed out once — the seed page's "Availability of the result of an
asynchronous task". Each takes the answer, the target time it arrived and the window the profile's
timing gives, and decides. Source: https://docs.overpay.io/en/integration/card_api/asynchronous/
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asyncpay.checks import check
from asyncpay.checks.overpay import UNKNOWN_BODY, says_completed, says_processing, says_unknown
from asyncpay.errors import ContractViolation

if TYPE_CHECKING:
    from asyncpay.http.client import Answer


@check("overpay.retention-kept")
def retention_kept(answer: Answer, where: str, *, at: float, kept_until: float, created: float,
                   retention: float, history: list[str]) -> None:
    """A 200 result stays available until 24 h (the profile's ``retention``) after the task's
    creation: an answer saying unknown at target time ``at`` before ``kept_until`` (the retention
    from the earliest possible creation, less the slack) breaks it. ``created``: the latest
    possible creation, for the message. Times in seconds on the target's clock."""
    if says_unknown(answer) and at < kept_until:
        raise ContractViolation("overpay.retention-kept",
                                f"{where} answers 404 unknown {at - created:.1f} s after creation",
                                expected=f"the task kept for {retention:g} s from its creation",
                                received=answer.summary(), hint=f"reads so far: {history[-6:]}")


@check("overpay.retention-expiry")
def retention_expiry(answer: Answer, where: str, *, at: float, expired_from: float, retention: float,
                     history: list[str]) -> None:
    """After the retention (24 h from creation) both URLs answer 404 unknown: any other answer at
    target time ``at`` from ``expired_from`` on (the retention from the latest possible creation,
    plus the slack; seconds) breaks it. The 404's exact shape is :func:`unknown_404`'s rule."""
    if at >= expired_from and not says_unknown(answer):
        raise ContractViolation("overpay.retention-expiry",
                                f"{where} still answers {retention:g} s after the task's creation",
                                expected=f"HTTP 404 {UNKNOWN_BODY}", received=answer.summary(),
                                hint=f"reads so far: {history[-6:]}")


def _once(rule: str, answer: Answer, where: str, history: list[str], *, delivered: int, at: float,
          owed_until: float | None) -> None:
    """One read of a one-time result's task, judged on "once": ``delivered`` one-time answers so
    far; ``owed_until`` the target time (seconds) until which the undelivered one is owed (None:
    nothing owed, e.g. the trigger produced a 200 result)."""
    if delivered and not (says_unknown(answer) or says_processing(answer) or says_completed(answer)):
        summary = "answers again after its one-time result was delivered"
    elif not delivered and says_unknown(answer) and owed_until is not None and at < owed_until:
        summary = "answers 404 unknown, but the one-time result was never delivered"
    else:
        return
    raise ContractViolation(rule, f"{where} {summary}",
                            expected=f"the non-200 result once, then HTTP 404 {UNKNOWN_BODY}",
                            received=answer.summary(), hint=f"reads so far: {history[-6:]}")


@check("overpay.error-once")
def error_once(answer: Answer, where: str, history: list[str], *, delivered: int, at: float,
               owed_until: float | None) -> None:
    """A non-200 result (a validation error) is returned once: never twice, never not at all.

    ``delivered``: one-time answers delivered before this one; ``owed_until``: the target time
    (seconds) until which an undelivered one is owed, None when none is."""
    _once("overpay.error-once", answer, where, history, delivered=delivered, at=at, owed_until=owed_until)


@check("overpay.task-failure-once")
def task_failure_once(answer: Answer, where: str, history: list[str], *, delivered: int, at: float,
                      owed_until: float | None) -> None:
    """A failed task answers its {message} once (code other than 200), then 404 unknown.

    Arguments as :func:`error_once`."""
    _once("overpay.task-failure-once", answer, where, history, delivered=delivered, at=at, owed_until=owed_until)
