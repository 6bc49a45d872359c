"""Requests without valid HTTP Basic credentials are refused, and create no task."""

import pytest

from asyncpay.client import basic
from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.auth-required")
@pytest.mark.parametrize("credentials", ["none", "wrong secret"])
def test_post_without_valid_credentials_is_refused(overpay, credentials):
    body = {"request": overpay.request_body(Outcome.SUCCESSFUL, "auth")}
    auth = {} if credentials == "none" else basic(overpay.target.shop_id, "wrong-" + overpay.target.secret_key[:6])

    answer = overpay.client.send("POST", "/async/transactions/payments", json_body=body,
                                 auth_override=auth, label=f"POST with {credentials}")

    if answer.status_code not in (401, 403):
        raise ContractViolation("overpay.auth-required", f"a POST with {credentials} credentials was not refused",
                                expected="HTTP 401 (or 403), no task", received=answer.summary())
