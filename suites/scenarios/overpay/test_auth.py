"""Requests without valid HTTP Basic credentials are refused, and create no task."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.gateways.overpay.lifecycle import Outcome
from asyncpay.http.client import basic

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.auth-required")
@pytest.mark.parametrize("credentials", ["none", "wrong secret"])
def test_post_without_valid_credentials_is_refused(overpay, credentials):
    body = {"request": overpay.request_body(Outcome.SUCCESSFUL, "auth")}
    auth = {} if credentials == "none" else basic(overpay.target.shop_id, "wrong-" + overpay.target.secret_key[:6])

    answer = overpay.post("/async/transactions/payments", json_body=body, auth_override=auth,
                          label=f"POST with {credentials}")

    checks.auth_required(answer, credentials)
