"""A checkout's status read without the bearer token is refused."""

import pytest

from asyncpay.checks import checkout as checks

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.auth-required")
def test_checkout_status_read_without_token_is_refused(checkout):
    prepared = checkout.prepare(label="auth")

    answer = checkout.read(prepared, prepared.resource_path, token=False, label="status read without token")

    checks.status_needs_token(answer, "checkout status read")
