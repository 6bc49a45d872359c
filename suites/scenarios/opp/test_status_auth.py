"""A status read needs the bearer token and the entityId."""

import pytest

from asyncpay.errors import ContractViolation

pytestmark = pytest.mark.opp


@pytest.fixture
def payment(opp):
    return opp.pay("successful", label="auth", notify="")


@pytest.mark.rule("opp.auth-required")
def test_status_read_without_token_is_refused(opp, payment):
    answer = opp.read_status(f"/v1/payments/{payment.id}", token=False, rule="opp.auth-required",
                             label="status read without token")

    if answer.status_code not in (401, 403):
        raise ContractViolation("opp.auth-required", "a status read without the bearer token was answered",
                                expected="HTTP 401 (800.900.300)", received=answer.summary())


@pytest.mark.rule("opp.entity-required")
def test_status_read_without_entity_is_refused(opp, payment):
    answer = opp.read_status(f"/v1/payments/{payment.id}", entity=False, rule="opp.entity-required",
                             label="status read without entityId")

    if answer.status_code < 400 or answer.status_code >= 500:
        raise ContractViolation("opp.entity-required", "a status read without entityId was answered",
                                expected="HTTP 400/403 refusing the read", received=answer.summary())
