"""Property-based: generated COPYandPAY checkout requests (POST /v1/checkouts).

Every answer must be a documented checkout (200) or a documented refusal (4xx); a request that
breaks a documented constraint (amount format, currency, paymentType) must not be created.
Each Hypothesis example is a batch of requests, sent concurrently against a real-time gateway.
"""

import pytest

from asyncpay.checks import checkout as checks
from asyncpay.checks import opp as opp_checks
from asyncpay.schemas.constraints import opp_documented_breach
from asyncpay.schemas.generation import check_batches, generated_cases

pytestmark = pytest.mark.opp

CASES = generated_cases("opp", method="POST", path_regex=r"^/v1/checkouts$")


def _one(checkout, receiver, case):
    form = dict(case.body) if isinstance(case.body, dict) else {}  # NotSet or odd bodies: empty form
    form = {str(k): v if isinstance(v, str) else str(v) for k, v in form.items()}
    form["entityId"] = checkout.target.entity_id
    for key in ("notificationUrl", "shopperResultUrl"):
        if key in form:  # callbacks only ever to our own receiver
            form[key] = receiver.endpoint("opp-generated-checkout")

    answer = checkout.send_checkout(form, label="generated checkout")

    checks.checkout_answer_documented(answer)
    opp_checks.result_code_documented(checks.result_code(answer), "answer to a generated checkout")
    checks.breach_refused(answer, opp_documented_breach(form))


@pytest.mark.rule("opp.contract", "opp.validation-error", "opp.result-code-documented")
def test_generated_checkout_requests(checkout, receiver):
    check_batches(CASES, lambda case: _one(checkout, receiver, case), real_time=not checkout.clock.virtual)
