"""The COPYandPAY checks on their own: strict where the docs are explicit, accepting where the
docs are silent (a conforming gateway that chooses differently must pass)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from asyncpay.checks import CHECKS, load_all
from asyncpay.checks import checkout as checks
from asyncpay.errors import ContractViolation
from asyncpay.http.client import Answer
from asyncpay.rules import RULES

CHECKOUT = "0033E3B0DA7F4867166FCB43FBB0FF0F.uat01-vm-tx04"
PAYMENT = "8ac7a4a1845f7e3501846b1c0bbd4d5b"
PATH = f"/v1/checkouts/{CHECKOUT}/payment"
SHOP = "https://shop.example/back?order=42"
BACK = f"{SHOP}&id={CHECKOUT}&resourcePath=%2Fv1%2Fcheckouts%2F{CHECKOUT}%2Fpayment"
SENT = {"amount": "92.00", "currency": "EUR", "merchantTransactionId": "order-42"}
PAID = {"id": PAYMENT, "amount": "92.00", "currency": "EUR", "merchantTransactionId": "order-42",
        "paymentType": "DB", "ndc": CHECKOUT, "result": {"code": "000.100.110", "description": "ok"}}


def answer(status: int, body: Any = None, **headers: str) -> Answer:
    raw = json.dumps(body).encode() if body is not None else b""
    return Answer("GET", "https://eu-test.oppwa.com" + PATH, status, httpx.Headers(headers), raw, 0.01)


def result(code: str) -> dict[str, Any]:
    return {"result": {"code": code, "description": "x"}}


def test_every_checkout_rule_has_a_registered_check() -> None:
    load_all()
    for rule_id in RULES:
        if rule_id.startswith("opp.checkout-"):
            assert CHECKS.get(rule_id), rule_id
            assert all(fn.__doc__ and rule_id in fn.__doc__ for fn in CHECKS[rule_id])


@pytest.mark.parametrize("location", [
    BACK,
    f"https://shop.example/back?resourcePath=%2Fv1%2Fcheckouts%2F{CHECKOUT}%2Fpayment&id={CHECKOUT}&order=42",
    f"https://SHOP.example/back?order=42&id={CHECKOUT}&resourcePath=/v1/checkouts/{CHECKOUT}/payment&extra=1",
])
def test_redirect_back_to_the_shop_is_accepted_in_any_parameter_order(location: str) -> None:
    assert checks.redirect(location, SHOP, CHECKOUT) == PATH


@pytest.mark.parametrize(("location", "why"), [
    (f"https://shop.example/back?id={CHECKOUT}&resourcePath=%2Fv1%2Fcheckouts%2F{CHECKOUT}%2Fpayment", "drops"),
    (f"{SHOP}&id={CHECKOUT}", "does not name"),
    (f"{SHOP}&id={CHECKOUT}&resourcePath=%252Fv1%252Fcheckouts%252F{CHECKOUT}%252Fpayment", "does not name"),
    (f"{SHOP}&id={PAYMENT}&resourcePath=%2Fv1%2Fpayments%2F{PAYMENT}", "does not name"),
    (f"https://eu-test.oppwa.com/back?order=42&id={CHECKOUT}", "not sent back"),
    (BACK.replace("/back", "/other"), "not sent back"),
])
def test_redirect_breaking_the_documented_form_is_refused(location: str, why: str) -> None:
    with pytest.raises(ContractViolation, match=why) as refused:
        checks.redirect(location, SHOP, CHECKOUT)
    assert refused.value.rule == "opp.checkout-redirect"


@pytest.mark.parametrize("path", ["/v1/checkouts/x/payment", "/", f"/v1/payments/{PAYMENT}"])
def test_a_relative_resource_path_is_accepted(path: str) -> None:
    assert checks.resource_path_relative(path, "resourcePath") == path


@pytest.mark.parametrize("path", [f"//127.0.0.2:8080{PATH}", f"http://127.0.0.2{PATH}", "/\\evil.example/x",
                                  PATH.lstrip("/"), None, f"https://eu-test.oppwa.com{PATH}"])
def test_a_resource_path_that_could_leave_the_platform_is_refused(path: str | None) -> None:
    with pytest.raises(ContractViolation) as refused:
        checks.resource_path_relative(path, "resourcePath")
    assert refused.value.rule == "opp.resource-path"


@pytest.mark.parametrize(("notified", "path", "style"), [
    (CHECKOUT, PATH, "checkout"),
    (PAYMENT, f"/v1/payments/{PAYMENT}", "payment"),
    (PAYMENT, PATH, "checkout"),  # silent in the docs: either id with either resource
    (CHECKOUT, f"/v1/payments/{PAYMENT}", "payment"),
])
def test_either_notification_style_is_accepted(notified: str, path: str, style: str) -> None:
    assert checks.notification_names_checkout(notified, path, CHECKOUT, [PAYMENT]) == style


@pytest.mark.parametrize(("notified", "path"), [
    ("f" * 32, f"/v1/payments/{'f' * 32}"),  # another payment
    (CHECKOUT, f"/v1/payments/{'f' * 32}"),
    ("f" * 32, PATH),
    (CHECKOUT, f"/v1/checkouts/{'A' * 32}.uat01-vm-tx04/payment"),  # another checkout
    (CHECKOUT, PATH + "s"),
])
def test_a_notification_naming_something_else_is_refused(notified: str, path: str) -> None:
    with pytest.raises(ContractViolation) as refused:
        checks.notification_names_checkout(notified, path, CHECKOUT, [PAYMENT])
    assert refused.value.rule == "opp.checkout-notification"


def test_paid_status_compares_what_was_sent_never_the_checkout_id() -> None:
    assert checks.paid_status(answer(200, PAID), SENT, "status")["id"] == PAYMENT
    assert checks.paid_status(answer(200, {**PAID, "amount": "92"}), SENT, "status")
    assert checks.paid_status(answer(200, {"id": PAYMENT, **result("000.100.110")}), SENT, "status")
    for broken in ({**PAID, "amount": "93.00"}, {**PAID, "merchantTransactionId": "other"}, {**PAID, "id": CHECKOUT}):
        with pytest.raises(ContractViolation) as refused:
            checks.paid_status(answer(200, broken), SENT, "status")
        assert refused.value.rule == "opp.checkout-status"


@pytest.mark.parametrize("unpaid", [
    answer(200, result("000.200.000")), answer(400, result("200.300.404")), answer(200, result("100.396.101")),
    answer(404, result("700.400.580")), answer(200, {"id": PAYMENT, **result("800.100.151")}),
])
def test_any_unpaid_answer_but_a_successful_payment_is_accepted(unpaid: Answer) -> None:
    checks.not_paid_before_the_shopper(unpaid, CHECKOUT)


def test_an_unpaid_checkout_reading_as_paid_is_refused() -> None:
    with pytest.raises(ContractViolation) as refused:
        checks.not_paid_before_the_shopper(answer(200, PAID), CHECKOUT)
    assert refused.value.rule == "opp.checkout-status"


def test_session_error_is_400_with_200_300_404() -> None:
    checks.session_error(answer(400, result("200.300.404")), "read")
    for wrong in (answer(404, result("700.400.580")), answer(400, result("200.300.401")), answer(200, PAID)):
        with pytest.raises(ContractViolation) as refused:
            checks.session_error(wrong, "read")
        assert refused.value.rule == "opp.checkout-session-error"


def test_an_expired_checkout_must_not_answer_its_payment() -> None:
    checks.expired(answer(400, result("200.300.404")), CHECKOUT, 1801)
    checks.expired(answer(404, result("700.400.580")), CHECKOUT, 1801)  # the session-error rule's business
    with pytest.raises(ContractViolation) as refused:
        checks.expired(answer(200, PAID), CHECKOUT, 1801)
    assert refused.value.rule == "opp.checkout-lifetime"


def test_a_new_payment_on_an_ended_checkout_is_refused() -> None:
    redirected = answer(302, None, location=BACK)
    checks.no_new_payment(CHECKOUT, [PAYMENT], redirected, answer(200, PAID), "success")
    checks.no_new_payment(CHECKOUT, [PAYMENT], answer(400, result("200.300.404")), None, "success")
    checks.no_new_payment(CHECKOUT, [PAYMENT], redirected, answer(400, result("200.300.404")), "success")
    for submitted, status in [(redirected, answer(200, {**PAID, "id": "e" * 32})),
                              (answer(200, {**PAID, "id": "e" * 32}), None)]:
        with pytest.raises(ContractViolation) as refused:
            checks.no_new_payment(CHECKOUT, [PAYMENT], submitted, status, "success")
        assert refused.value.rule == "opp.checkout-lifetime"


def test_throttled_reads_are_429_with_800_120_100() -> None:
    assert checks.throttle_answer(answer(429, result("800.120.100"))) is True
    assert checks.throttle_answer(answer(429, None, **{"content-type": "text/plain"})) is True
    assert checks.throttle_answer(answer(200, PAID)) is False
    for wrong in (answer(400, result("800.120.100")), answer(200, result("800.120.100")),
                  answer(429, result("200.300.404"))):
        with pytest.raises(ContractViolation) as refused:
            checks.throttle_answer(wrong)
        assert refused.value.rule == "opp.checkout-throttle"


def test_validation_error_and_contract_of_checkout_requests() -> None:
    invalid = answer(400, {"result": {"code": "200.300.404", "description": "invalid or missing parameter",
                                      "parameterErrors": [{"name": "amount", "value": "92.0", "message": "x"}]}})
    checks.checkout_refused(invalid, "amount is '92.0'")
    checks.checkout_answer_documented(invalid)
    checks.breach_refused(invalid, "amount")
    created = answer(200, {"id": CHECKOUT, **result("000.200.100")})
    assert checks.checkout_answer(created) == CHECKOUT
    checks.breach_refused(created, None)
    with pytest.raises(ContractViolation, match="invalid checkout was created"):
        checks.breach_refused(created, "amount")
    with pytest.raises(ContractViolation) as refused:
        checks.checkout_refused(created, "amount is '92.0'")
    assert refused.value.rule == "opp.validation-error"
    with pytest.raises(ContractViolation) as refused:
        checks.checkout_answer_documented(answer(500, result("900.100.100")))
    assert refused.value.rule == "opp.contract"
