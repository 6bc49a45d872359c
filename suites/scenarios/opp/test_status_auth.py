"""A status read needs the bearer token and the entityId."""

import pytest

from asyncpay.checks import opp as checks

pytestmark = pytest.mark.opp


def _payment(opp):
    return opp.pay("successful", label="auth", notify="")


@pytest.mark.rule("opp.auth-required")
def test_status_read_without_token_is_refused(opp):
    payment = _payment(opp)
    answer = opp.read_status(f"/v1/payments/{payment.id}", token=False, label="status read without token")

    checks.auth_required(answer)


@pytest.mark.rule("opp.entity-required")
def test_status_read_without_entity_is_refused(opp):
    payment = _payment(opp)
    answer = opp.read_status(f"/v1/payments/{payment.id}", entity=False, label="status read without entityId")

    checks.entity_required(answer)
