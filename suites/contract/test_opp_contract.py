"""Property-based: generated payment requests to the Open Payment Platform.

Every answer must be a documented payment (200) or a documented error (4xx); a request that
breaks a documented constraint (amount format, currency, paymentType) must be refused.
"""

import pytest

from asyncpay.checks import opp as checks
from asyncpay.schemas.constraints import opp_documented_breach
from asyncpay.schemas.generation import check_batches, generated_cases

pytestmark = pytest.mark.opp

CASES = generated_cases("opp", method="POST", path_regex=r"^/v1/payments$")


def _one(opp, receiver, case):
    form = dict(case.body) if isinstance(case.body, dict) else {}  # NotSet or odd bodies: empty form
    form = {str(k): v if isinstance(v, str) else str(v) for k, v in form.items()}
    form["entityId"] = opp.target.entity_id
    for key in ("notificationUrl", "shopperResultUrl"):
        if key in form:  # callbacks only ever to our own receiver
            form[key] = receiver.endpoint("opp-generated")
    breach = opp_documented_breach(form)

    answer = opp.client.send("POST", "/v1/payments", form=form, label="generated payment")

    checks.generated_answer(answer)
    checks.result_code_documented(answer.json["result"]["code"], "answer to a generated payment")
    if breach:
        checks.breach_refused(breach, answer)


@pytest.mark.rule("opp.contract", "opp.validation-error", "opp.result-code-documented")
def test_generated_payment_requests(opp, receiver):
    check_batches(CASES, lambda case: _one(opp, receiver, case), real_time=not opp.clock.virtual)
