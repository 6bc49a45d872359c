"""Checks of OPP COPYandPAY checkouts: the checkout answer, the shopper's way back to the shop,
the notification, the status reads, the lifetime and the throttle.

Where the documentation is explicit these checks are strict (the redirect's ``resourcePath``,
``200.300.404`` for a dead checkout, ``429``/``800.120.100`` when throttled); where it is silent
they accept any reasonable choice: either notification style, repeated notifications, any
non-successful answer before the shopper paid, extra fields.

Public sources: https://peachpayments.docs.oppwa.com/widget (COPYandPAY) and
https://docs.oppwa.com/tutorials/manage-payments/async-notifications.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

from asyncpay.checks import check
from asyncpay.checks.opp import amounts_equal
from asyncpay.errors import ContractViolation
from asyncpay.http.client import Answer
from asyncpay.schemas import contracts

CHECKOUT_CREATED = "000.200.100"
INVALID_PARAMETER = "200.300.404"  # also what an unknown or expired checkout answers
THROTTLED = "800.120.100"
#: Result-code kinds that mean the payment went through.
SUCCESSFUL_KINDS = frozenset({"successful", "successful-review"})
_PAYMENT_PATH = re.compile(r"/v1/payments/([^/?#]+)")
#: Exactly one leading "/": "//host/..." and "/\\host/..." would lead off the platform's server.
_RELATIVE_PATH = re.compile(r"/(?![/\\])")


def checkout_path(checkout_id: str) -> str:
    """The documented resource of a checkout's payment: ``/v1/checkouts/{checkoutId}/payment``."""
    return f"/v1/checkouts/{checkout_id}/payment"


def _body(answer: Answer) -> dict[str, Any]:
    return answer.json if isinstance(answer.json, dict) else {}


def result_code(answer: Answer) -> str | None:
    """``result.code`` of a JSON answer, or None."""
    result = _body(answer).get("result")
    code = result.get("code") if isinstance(result, dict) else None
    return code if isinstance(code, str) else None


# --- preparing the checkout ------------------------------------------------------------


@check("opp.checkout-answer")
def checkout_answer(answer: Answer) -> str:
    """POST /v1/checkouts answered HTTP 200 with result 000.200.100 and a checkout id; returns the id."""
    if answer.status_code != 200:
        raise ContractViolation("opp.checkout-answer", "POST /v1/checkouts of a valid checkout was not created",
                                expected=f"HTTP 200 with result.code {CHECKOUT_CREATED} and the checkout id",
                                received=answer.summary())
    contracts.check("opp/checkout", answer.json, rule="opp.checkout-answer", what="the checkout answer")
    return str(answer.json["id"])


@check("opp.validation-error")
def checkout_refused(answer: Answer, breach: str) -> None:
    """A checkout with invalid parameters is refused: HTTP 400, 200.300.404 with parameterErrors."""
    if answer.status_code != 400:
        raise ContractViolation("opp.validation-error", f"a checkout whose {breach} was not refused",
                                expected=f"HTTP 400 with result.code {INVALID_PARAMETER} and parameterErrors",
                                received=answer.summary())
    contracts.check("opp/error", answer.json, rule="opp.validation-error", what="the checkout's refusal")
    result = answer.json["result"]
    if result.get("code") != INVALID_PARAMETER or not result.get("parameterErrors"):
        raise ContractViolation("opp.validation-error", "the checkout's refusal is not the documented validation error",
                                expected={"code": INVALID_PARAMETER, "parameterErrors": "[{name, value, message}]"},
                                received=result)


@check("opp.contract")
def checkout_answer_documented(answer: Answer) -> None:
    """Any answer to POST /v1/checkouts is a documented checkout (200) or a documented refusal
    (400, 401, 403, 429 with result {code, description})."""
    if answer.status_code == 200:
        contracts.check("opp/checkout", answer.json, rule="opp.contract", what="the answer to a checkout request")
    elif answer.status_code in (400, 401, 403, 429):
        contracts.check("opp/error", answer.json, rule="opp.contract", what="the refusal of a checkout request")
    else:
        raise ContractViolation("opp.contract", "a checkout request got an undocumented answer",
                                expected="HTTP 200 (the checkout) or 400/401/403/429 (refused)",
                                received=answer.summary())


@check("opp.validation-error")
def breach_refused(answer: Answer, breach: str | None) -> None:
    """A checkout request that breaks a documented constraint (``breach``) is not created."""
    if breach is not None and answer.status_code == 200:
        raise ContractViolation("opp.validation-error", f"an invalid checkout was created: {breach}",
                                expected=f"HTTP 400 with result.code {INVALID_PARAMETER}", received=answer.summary())


# --- resource paths ----------------------------------------------------------------------


@check("opp.resource-path")
def resource_path_relative(resource_path: str | None, what: str) -> str:
    """A resourcePath is a path starting with a single "/", relative to the platform's server.

    Anything else (``//host/...``, a full URL, no leading slash) could lead off the configured
    server: it is reported and never requested.
    """
    if not isinstance(resource_path, str) or not _RELATIVE_PATH.match(resource_path) or "\\" in resource_path:
        raise ContractViolation("opp.resource-path", f"{what} is not a path on the platform's server; "
                                "it was not requested",
                                expected="a path starting with a single / (e.g. /v1/checkouts/{id}/payment)",
                                received=resource_path,
                                hint="the harness never sends credentials to another origin")
    return resource_path


# --- the shopper's way back to the shop --------------------------------------------------


def lands_on(location: str, page: str) -> bool:
    """Whether ``location`` is the page ``page`` (scheme, host, port and path; the query aside)."""
    target, wanted = urlsplit(location), urlsplit(page)
    return ((target.scheme.lower(), target.netloc.lower(), target.path or "/")
            == (wanted.scheme.lower(), wanted.netloc.lower(), wanted.path or "/"))


@check("opp.checkout-redirect")
def redirect(location: str, shopper_result_url: str, checkout_id: str) -> str:
    """The shopper is sent to shopperResultUrl, its own parameters kept, with ``id`` the checkout id
    and ``resourcePath`` (decoded once) ``/v1/checkouts/{checkoutId}/payment``; returns resourcePath."""
    target, shop = urlsplit(location), urlsplit(shopper_result_url)
    expected = (f"{shopper_result_url}{'&' if shop.query else '?'}id={checkout_id}"
                f"&resourcePath=%2Fv1%2Fcheckouts%2F{checkout_id}%2Fpayment (in any order)")
    if not lands_on(location, shopper_result_url):
        raise ContractViolation("opp.checkout-redirect", "the shopper is not sent back to shopperResultUrl",
                                expected=expected, received={"location": location})
    query = parse_qs(target.query, keep_blank_values=True)  # percent-decoding, exactly once
    lost = {name: values for name, values in parse_qs(shop.query, keep_blank_values=True).items()
            if not set(values) <= set(query.get(name, []))}
    if lost:
        raise ContractViolation("opp.checkout-redirect", "the redirect drops parameters of shopperResultUrl",
                                expected=expected, received={"location": location, "lost": lost})
    got = {"id": query.get("id", [None])[0], "resourcePath": query.get("resourcePath", [None])[0]}
    want = {"id": checkout_id, "resourcePath": checkout_path(checkout_id)}
    if got != want:
        raise ContractViolation("opp.checkout-redirect", "the redirect does not name the checkout's payment",
                                expected=want, received={**got, "location": location})
    return want["resourcePath"]


# --- the notification --------------------------------------------------------------------


@check("opp.notification-get")
def notification_request(method: str, notified_id: str | None, resource_path: str | None,
                         raw_query: str) -> tuple[str, str]:
    """The notification is ``GET {url}?id={id}&resourcePath={resourcePath}``; returns both."""
    if method != "GET":
        raise ContractViolation("opp.notification-get", "the notification is not a GET",
                                expected="GET {notificationUrl}?id={id}&resourcePath={resourcePath}",
                                received={"method": method, "query": raw_query[:200]})
    if not notified_id or resource_path is None:
        raise ContractViolation("opp.notification-get", "the notification lacks id or resourcePath",
                                expected="?id={id}&resourcePath={resourcePath}", received={"query": raw_query[:200]})
    return notified_id, resource_path


@check("opp.checkout-notification")
def notification_names_checkout(notified_id: str, resource_path: str, checkout_id: str,
                                payment_ids: list[str]) -> str:
    """The notification names the checkout (``/v1/checkouts/{checkoutId}/payment``) or one of its
    payments (``/v1/payments/{paymentId}``), and its id is the checkout's or that payment's;
    returns which the resourcePath names. (The docs leave the style open: both are accepted.)"""
    ours = {checkout_id, *payment_ids}
    named = _PAYMENT_PATH.fullmatch(resource_path)
    style = ("checkout" if resource_path == checkout_path(checkout_id)
             else "payment" if named is not None and named.group(1) in payment_ids else None)
    if style is not None and notified_id in ours:
        return style
    raise ContractViolation(
        "opp.checkout-notification", f"the notification names neither checkout {checkout_id} nor its payment",
        expected={"resourcePath": [checkout_path(checkout_id)] + [f"/v1/payments/{p}" for p in payment_ids],
                  "id": sorted(ours)},
        received={"id": notified_id, "resourcePath": resource_path})


# --- status reads ------------------------------------------------------------------------


@check("opp.auth-required")
def status_needs_token(answer: Answer, what: str) -> None:
    """A status read without the bearer token is refused (401 800.900.300; 403 accepted too)."""
    if answer.status_code not in (401, 403):
        raise ContractViolation("opp.auth-required", f"the {what} without the bearer token was answered",
                                expected="HTTP 401 (800.900.300)", received=answer.summary())


@check("opp.checkout-status")
def paid_status(answer: Answer, sent: dict[str, str], what: str) -> dict[str, Any]:
    """A paid checkout's status read answers the payment: HTTP 200, a documented payment whose id
    is the payment's (32 hex), amount, currency and merchantTransactionId as sent; returns it.

    The payment id is never compared with the checkout id: they differ by design.
    """
    if answer.status_code != 200:
        raise ContractViolation("opp.checkout-status", f"the {what} did not answer the payment",
                                expected="HTTP 200 with the checkout's payment", received=answer.summary())
    contracts.check("opp/checkout-payment", answer.json, rule="opp.checkout-status", what=f"the {what}")
    body: dict[str, Any] = answer.json
    mismatched: set[str] = {key for key in ("currency", "merchantTransactionId")
                            if body.get(key) is not None and key in sent and body[key] != sent[key]}
    if body.get("amount") is not None and not amounts_equal(body["amount"], sent["amount"]):
        mismatched.add("amount")
    if mismatched:
        raise ContractViolation("opp.checkout-status", f"the {what} shows another payment than the checkout's",
                                expected={k: sent[k] for k in sorted(mismatched)},
                                received={k: body.get(k) for k in sorted(mismatched)})
    return body


#: The documented pending group whose status "changes within ~30 min": a checkout read showing it is followed.
_PENDING = re.compile(r"^000\.200")


def pending_code(code: str | None) -> bool:
    """Whether ``code`` is in the documented short-pending group ``000.200``."""
    return code is not None and _PENDING.match(code) is not None


@check("opp.checkout-status")
def pending_status(answer: Answer, what: str) -> dict[str, Any]:
    """A paid checkout read while its payment is pending answers HTTP 200 with a pending result
    (``000.200``); the payment's id may be absent (real test systems leave it out). Returns the body."""
    if answer.status_code != 200:
        raise ContractViolation("opp.checkout-status", f"the {what} did not answer the payment",
                                expected="HTTP 200 with the checkout's payment", received=answer.summary())
    contracts.check("opp/checkout-pending", answer.json, rule="opp.checkout-status", what=f"the {what}")
    body: dict[str, Any] = answer.json
    return body


@check("opp.checkout-status")
def not_paid_before_the_shopper(answer: Answer, checkout_id: str) -> None:
    """Before the shopper paid, a status read never shows a successful payment (any other answer
    is accepted: the docs do not say what an unpaid checkout reads as)."""
    code = result_code(answer)
    group = contracts.classify_result_code(code) if code else None
    if 200 <= answer.status_code < 300 and group is not None and group.kind in SUCCESSFUL_KINDS:
        raise ContractViolation("opp.checkout-status", f"checkout {checkout_id} reads as paid before the shopper paid",
                                expected="no successful payment (e.g. a pending result, or 400 200.300.404)",
                                received=answer.summary())
    if answer.status_code == 200 and code is not None and code.startswith("000.200."):
        # A pending answer is the shape a pending checkout reads in: counted as seen when it
        # conforms, never refused (what an unpaid checkout reads as is not documented).
        contracts.validate("opp/checkout-pending", answer.json)


@check("opp.checkout-session-error")
def session_error(answer: Answer, what: str) -> None:
    """A status read of an unknown or expired checkout answers HTTP 400 with result.code 200.300.404."""
    if answer.status_code != 400 or result_code(answer) != INVALID_PARAMETER:
        raise ContractViolation("opp.checkout-session-error", f"the {what} is not the documented session error",
                                expected=f"HTTP 400 with result.code {INVALID_PARAMETER} (No payment session found …)",
                                received=answer.summary())
    contracts.check("opp/checkout-session-error", answer.json, rule="opp.checkout-session-error",
                    what=f"the {what}")


# --- the lifetime ------------------------------------------------------------------------


@check("opp.checkout-lifetime")
def expired(answer: Answer, checkout_id: str, age: float) -> None:
    """Past its lifetime (30 minutes from creation), a checkout no longer answers a status read
    with its payment; what it answers instead is the session error (checked on its own)."""
    if 200 <= answer.status_code < 300:
        raise ContractViolation("opp.checkout-lifetime", f"checkout {checkout_id} is still alive {age:.0f} s "
                                "after its creation",
                                expected=f"HTTP 400 with result.code {INVALID_PARAMETER} (No payment session found)",
                                received=answer.summary())


@check("opp.checkout-lifetime")
def no_new_payment(checkout_id: str, known: list[str], submitted: Answer, status: Answer | None,
                   why: str) -> None:
    """A checkout that ended (``why``: a successful payment, its 30 minutes) takes no new payment:
    neither the shopper's submission nor a status read after it shows a payment not made before."""
    new: dict[str, Any] = {}
    body = _body(submitted)
    group = contracts.classify_result_code(result_code(submitted) or "")
    if (200 <= submitted.status_code < 300 and isinstance(body.get("id"), str) and body["id"] not in known
            and group is not None and group.kind in SUCCESSFUL_KINDS | {"pending"}):
        new["submission"] = {"id": body["id"], "result.code": result_code(submitted)}
    if status is not None and status.status_code == 200:
        read, code = _body(status), result_code(status)
        if isinstance(read.get("id"), str) and read["id"] not in known and code is not None:
            new["status read"] = {"id": read["id"], "result.code": code}
    if new:
        raise ContractViolation("opp.checkout-lifetime", f"checkout {checkout_id} took a new payment after {why}",
                                expected={"refused": "a new payment on an ended checkout", "payments": known},
                                received=new)


# --- the throttle -----------------------------------------------------------------------


@check("opp.checkout-throttle")
def throttle_answer(answer: Answer) -> bool:
    """A throttled checkout status read answers HTTP 429 with 800.120.100; returns whether it was
    throttled. (A 429 without a JSON body, e.g. from a proxy, counts as throttled too.)"""
    code = result_code(answer)
    if code == THROTTLED and answer.status_code != 429:
        raise ContractViolation("opp.checkout-throttle", f"a throttled read answered HTTP {answer.status_code}",
                                expected=f"HTTP 429 with result.code {THROTTLED}", received=answer.summary())
    if answer.status_code == 429 and code is not None and code != THROTTLED:
        raise ContractViolation("opp.checkout-throttle", "a throttled read carries another result code",
                                expected=f"HTTP 429 with result.code {THROTTLED}", received=answer.summary())
    return answer.status_code == 429


@check("opp.checkout-notification")
def checkout_notification_arrives(describe: str, timeout: float, arrived: object) -> NoReturn:
    """A paid checkout's notification arrives at notificationUrl within the notification timeout."""
    raise ContractViolation("opp.checkout-notification", f"{describe} never arrived",
                            expected=f"{describe} within {timeout:g} s", received=f"what did arrive: {arrived}",
                            hint="check that the gateway can reach the receiver ([receiver] public_url)")
