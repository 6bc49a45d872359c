"""POST /v1/payments answers documented payments; invalid parameters answer 400 200.300.404."""

import pytest

from asyncpay.checks import opp as checks
from asyncpay.errors import NotVerified

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.payment-answer", "opp.result-code-documented")
def test_successful_payment_answer(opp):
    payment = opp.pay("successful", label="success", notify="")  # checks the answer's contract

    group = checks.result_code_documented(payment.answer["result"]["code"], "payment answer")
    if group.kind != "successful":
        raise NotVerified("opp.payment-answer", f"the successful test trigger gave {group.name} "
                          f"({payment.answer['result']['code']}); set [opp.outcomes.successful]")


@pytest.mark.rule("opp.payment-answer", "opp.result-code-documented")
def test_declined_payment_is_processed_with_a_rejection_code(opp):
    payment = opp.pay("declined", label="declined", notify="")

    group = checks.result_code_documented(payment.answer["result"]["code"], "payment answer")
    if group.final and group.kind == "successful":
        raise NotVerified("opp.result-code-documented", "the decline trigger (card.holder = a result code) "
                          "is not honoured here; set [opp.outcomes.declined]")


@pytest.mark.rule("opp.validation-error")
def test_invalid_amount_is_refused_with_200_300_404(opp):
    form = opp.form("invalid", "invalid")

    answer = opp.client.send("POST", "/v1/payments", form=form, label="pay invalid")

    checks.validation_error(answer, form)
