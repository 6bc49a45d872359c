"""A status read of an unknown checkout answers HTTP 400 with 200.300.404 (no payment session)."""

import dataclasses
import uuid

import pytest

from asyncpay.checks import checkout as checks

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-session-error")
def test_unknown_checkout_answers_no_payment_session(checkout):
    prepared = checkout.prepare(label="known")
    # The same host tag as a real checkout, so only the session is unknown.
    unknown = dataclasses.replace(prepared, id=uuid.uuid4().hex.upper() + prepared.id[32:], payments=[])

    answer = checkout.read(unknown, unknown.resource_path, label="status of an unknown checkout")

    checks.session_error(answer, "status read of an unknown checkout")
