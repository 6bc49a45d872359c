"""Checks of the merchant's own shop, as the platform sees it (asyncpay plays the platform:
:mod:`asyncpay.platform`). Each function takes what the platform, the canary and the shop's
order endpoint observed, and raises :class:`~asyncpay.errors.ContractViolation` for its rule.

Secrets are never put in a message: a leak names the kind of credential and where it travelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol
from urllib.parse import unquote

from asyncpay.checks import check
from asyncpay.errors import ContractViolation


class OffOrigin(Protocol):
    """A request another host received: method, full URL, lower-case headers, body bytes."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...


def credentials_in(request: OffOrigin, secrets: Mapping[str, str]) -> list[str]:
    """The kinds of credential (``secrets``: kind → value) a request carries anywhere.

    >>> from types import SimpleNamespace as R
    >>> credentials_in(R(method="GET", url="http://h/x", headers={"authorization": "Bearer t0k"}, body=b""),
    ...                {"OPP bearer token": "t0k"})
    ['OPP bearer token']
    """
    text = "\n".join([request.url, unquote(request.url), *request.headers.values(),
                      request.body.decode("utf-8", "replace")])
    return [kind for kind, value in secrets.items() if value and value in text]


@check("merchant.status-origin")
def status_origin(landed: Sequence[OffOrigin], secrets: Mapping[str, str], *, lure: str) -> None:
    """Nothing that carries the shop's credentials reached a host other than its configured server.

    ``landed``: every request another host (the canary) received while the platform played
    ``lure`` (the crafted value it sent); ``secrets``: credential kind → value.
    """
    leaks = [(r, kinds) for r in landed if (kinds := credentials_in(r, secrets))]
    if leaks:
        request, kinds = leaks[0]
        raise ContractViolation(
            "merchant.status-origin",
            f"the shop sent its credentials to another host after {lure}",
            expected="status reads only at the configured server; nothing sent to the host a "
                     "resourcePath or task URL names",
            received={"request": f"{request.method} {request.url}", "carrying": kinds,
                      "leaks": len(leaks)},
            hint="build the status URL as the configured base URL plus a resourcePath that matches "
                 "^/v1/(payments/[0-9a-f]{32}|checkouts/[A-Za-z0-9.-]+/payment)$ (decoded once); "
                 "follow status_url/response_url only when their origin is the gateway's")


@check("merchant.reads-status")
def reads_status(answer: int | None, reads: Sequence[str], *, delivery: str, resource: str | None,
                 within: float) -> None:
    """The shop answered a genuine delivery 2xx, and read ``resource`` from the platform within
    ``within`` seconds of it (``reads``: the paths of the status reads the platform got; None:
    the delivery is authenticated and carries the transaction, so no read is owed)."""
    if answer is None or not 200 <= answer < 300:
        raise ContractViolation(
            "merchant.reads-status", f"the shop did not acknowledge {delivery}",
            expected="HTTP 2xx", received=f"HTTP {answer}" if answer is not None else "no answer",
            hint="answer the notification or webhook first (2xx); an unanswered one is retried for hours")
    if resource is not None and resource not in reads:
        raise ContractViolation(
            "merchant.reads-status", f"the shop did not read the status after {delivery}",
            expected=f"GET {resource}?entityId=… within {within:g} s ([merchant] status_read_within)",
            received={"status reads": list(reads) or "none"},
            hint="the notification carries no payment data: read the status it names before "
                 "changing the order")


@check("merchant.refuses-forged")
def refuses_forged(answer: int | None, state_before: str | None, state_after: str | None, *,
                   forgery: str) -> None:
    """A forged delivery was refused (non-2xx) and, where the shop shows its orders, changed nothing."""
    if answer is not None and 200 <= answer < 300:
        raise ContractViolation(
            "merchant.refuses-forged", f"the shop accepted {forgery}",
            expected="a non-2xx answer (401 or 403)", received=f"HTTP {answer}",
            hint="verify HTTP Basic (shop id, secret key) with a constant-time comparison, or the "
                 "Content-Signature over the raw body, before reading the body")
    if state_before != state_after:
        raise ContractViolation(
            "merchant.refuses-forged", f"{forgery} changed the order",
            expected=f"order state {state_before!r} unchanged", received=f"order state {state_after!r}")


@check("merchant.fulfils-once")
def fulfils_once(follow_ups: Sequence[str], answers: Sequence[int | None], states: Sequence[str | None], *,
                 deliveries: str) -> None:
    """Repeated or out-of-order deliveries fulfilled the order once: at most one capture, refund
    or void (``follow_ups``) reached the platform, every delivery was answered 2xx (a refused
    repeat is retried for hours), and the order kept one final state (``states``: its final state
    read after each delivery, None while it had none)."""
    if len(follow_ups) > 1:
        raise ContractViolation(
            "merchant.fulfils-once", f"the shop fulfilled the order more than once after {deliveries}",
            expected="one capture, refund or void", received=list(follow_ups),
            hint="record the fulfilment against the payment id in the same transaction that checks "
                 "it (a unique key or a row lock); concurrent deliveries race")
    refused = [a for a in answers if a is None or not 200 <= a < 300]
    if refused:
        raise ContractViolation(
            "merchant.fulfils-once", f"the shop refused a repeated delivery ({deliveries})",
            expected="HTTP 2xx for a delivery already handled", received=list(answers),
            hint="acknowledge a repeat: an error makes the platform deliver it again and again")
    finals = [s for s in states if s is not None]
    if len(set(finals)) > 1:
        raise ContractViolation(
            "merchant.fulfils-once", f"the order changed its final state after {deliveries}",
            expected="one final state", received=finals,
            hint="a failed attempt's delivery never undoes a successful payment of the same order")


@check("merchant.honours-throttle")
def honours_throttle(retry_after: float, waited: float | None, *, request: str) -> None:
    """After a 429 with ``Retry-After`` (seconds), the shop's repeat (``waited`` seconds later, as
    the platform saw both arrive; None if it did not repeat) came no sooner than asked."""
    if waited is not None and waited < retry_after:
        raise ContractViolation(
            "merchant.honours-throttle", f"the shop repeated {request} before Retry-After passed",
            expected=f"the repeat {retry_after:g} s or more after the 429", received=f"{waited:.3f} s",
            hint="on 429 wait Retry-After seconds (or back off exponentially without one)")


@check("merchant.same-request-id")
def same_request_id(request_ids: Sequence[str | None], *, request: str) -> None:
    """Every repeat of ``request`` carried the first attempt's RequestID."""
    if len(request_ids) > 1 and (request_ids[0] is None or len(set(request_ids)) > 1):
        raise ContractViolation(
            "merchant.same-request-id", f"the shop repeated {request} under another RequestID",
            expected="the same RequestID on every attempt",
            received={"RequestIDs": [i or "(none)" for i in request_ids]},
            hint="make the RequestID once per logical request, before the first attempt, and reuse it")


@check("merchant.spaces-status-reads")
def spaces_status_reads(read_times: Sequence[float], per_minute: int, *, resource: str) -> None:
    """At most ``per_minute`` reads of ``resource`` in any 60 seconds (``read_times``: when each
    read reached the platform, seconds, any one clock)."""
    times = sorted(read_times)
    for i, start in enumerate(times):
        window = [t for t in times[i:] if t - start < 60.0]
        if len(window) > per_minute:
            raise ContractViolation(
                "merchant.spaces-status-reads", f"the shop read {resource} too often",
                expected=f"at most {per_minute} reads a minute per payment ([merchant] status_reads_per_minute)",
                received=f"{len(window)} reads within {window[-1] - start:.1f} s",
                hint="a settled payment does not change: acknowledge its repeated notifications without "
                     "another read; space the reads of a pending one")


@check("merchant.one-time-result")
def kept_one_time_result(state: str | None, failed: Sequence[str], result_answers: Sequence[int | None]) -> None:
    """The shop read a task's one-time error result (``result_answers``: the platform's answers to
    its result reads, in order) and its order ended failed (``state`` among ``failed``)."""
    if state not in failed:
        raise ContractViolation(
            "merchant.one-time-result", "the shop lost a one-time error result",
            expected=f"order state in {list(failed)} after the result was handed out",
            received={"order state": state, "result reads answered": list(result_answers)},
            hint="act on the first non-200 result: every later read answers 404 unknown")


@check("merchant.result-retention")
def settled_after_retention(answer: int | None, state: str | None, paid: Sequence[str]) -> None:
    """A genuine webhook delivered after the task's result expired was answered 2xx (``answer``)
    and settled the order (``state`` among ``paid``)."""
    if answer is None or not 200 <= answer < 300 or state not in paid:
        raise ContractViolation(
            "merchant.result-retention", "a webhook after the result's 24 h retention did not settle the order",
            expected=f"HTTP 2xx and order state in {list(paid)}",
            received={"answer": answer, "order state": state},
            hint="take the outcome from the authenticated webhook, or read GET /transactions/{uid} "
                 "(kept); a task's status_url and response_url answer 404 after 24 hours")


@check("merchant.checkout-expired")
def checkout_outcome(state: str | None, paid: Sequence[str], *, expired: bool) -> None:
    """The order's ``state`` after the shopper's return: paid when the shopper paid the live
    checkout (``expired`` False), not paid when the checkout had expired unpaid (``paid``: the
    words the shop's order endpoint uses for paid)."""
    if expired and state in paid:
        raise ContractViolation(
            "merchant.checkout-expired", "the shop marked an order paid whose checkout expired unpaid",
            expected=f"an order state other than {list(paid)}", received=f"order state {state!r}",
            hint="take the outcome from the status read (result.code), not from the shopper's return; "
                 "200.300.404 means no payment session")
    if not expired and state not in paid:
        raise ContractViolation(
            "merchant.checkout-expired", "the shop did not mark a paid checkout's order paid",
            expected=f"order state in {list(paid)}", received=f"order state {state!r}",
            hint="read GET {server}{resourcePath}?entityId=… after the shopper's return and take its result")


__all__ = ["checkout_outcome", "credentials_in", "fulfils_once", "honours_throttle", "kept_one_time_result",
           "reads_status",
           "refuses_forged", "same_request_id", "settled_after_retention", "spaces_status_reads",
           "status_origin"]
