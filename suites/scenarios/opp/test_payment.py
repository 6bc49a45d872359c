"""POST /v1/payments answers documented payments; invalid parameters answer 400 200.300.404."""

import pytest

from asyncpay import contracts
from asyncpay.errors import ContractViolation, NotVerified

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.payment-answer", "opp.result-code-documented")
def test_successful_payment_answer(opp):
    payment = opp.pay("successful", label="success", notify="")

    group = opp.result_group(payment.answer["result"]["code"], "payment answer")
    if group.kind != "successful":
        raise NotVerified("opp.payment-answer", f"the successful test trigger gave {group.name} "
                          f"({payment.answer['result']['code']}); set [opp.outcomes.successful]")
    assert len(payment.id) == 32


@pytest.mark.rule("opp.payment-answer", "opp.result-code-documented")
def test_declined_payment_is_processed_with_a_rejection_code(opp):
    payment = opp.pay("declined", label="declined", notify="")

    group = opp.result_group(payment.answer["result"]["code"], "payment answer")
    if group.final and group.kind == "successful":
        raise NotVerified("opp.result-code-documented", "the decline trigger (card.holder = a result code) "
                          "is not honoured here; set [opp.outcomes.declined]")
    assert group.name


@pytest.mark.rule("opp.validation-error")
def test_invalid_amount_is_refused_with_200_300_404(opp):
    payment = opp.pay("invalid", label="invalid", notify="", expect_ok=False)

    status, body = payment.answer["http"], payment.answer["body"]
    if status != 400:
        raise ContractViolation("opp.validation-error", f"amount {payment.form['amount']!r} was not refused",
                                expected="HTTP 400 with result.code 200.300.404", received=payment.answer)
    contracts.check("opp/error", body, rule="opp.validation-error", what="validation error answer")
    result = body["result"]
    if result["code"] != "200.300.404" or not result.get("parameterErrors"):
        raise ContractViolation("opp.validation-error", "the refusal is not the documented validation error",
                                expected={"code": "200.300.404", "parameterErrors": "[{name, value, message}]"},
                                received=result)
