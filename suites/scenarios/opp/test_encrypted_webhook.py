"""Encrypted webhooks decrypt (AES-256-GCM) to {type, action, payload} with the payment."""

import pytest

from asyncpay.checks import opp as checks
from asyncpay.errors import NotVerified
from asyncpay.waiting.polling import await_delivery
from asyncpay.wire import webhooks

pytestmark = pytest.mark.opp

URL_PARAMETER = "customParameters[SHOPPER_webhookUrl]"  # where a platform without a portal sends them


@pytest.mark.rule("opp.encrypted-webhook")
def test_encrypted_webhook_decrypts_to_the_payment(opp, receiver):
    secret = opp.target.webhook_secret
    if not secret:
        raise NotVerified("opp.encrypted-webhook", "no webhook_secret_env in the profile: encrypted "
                          "webhooks are configured in the platform's portal")
    payment = opp.pay("pending", label="encrypted", notify=URL_PARAMETER)

    def encrypted(request):
        return request.method == "POST" and webhooks.IV_HEADER.lower() in request.headers

    request = await_delivery(
        lambda seconds: receiver.wait_for(encrypted, seconds, describe="an encrypted webhook"),
        clock=opp.clock, timeout=opp.target.timing.notification_timeout, step=1.0,
        on_timeout=checks.encrypted_webhook_arrives, describe=f"an encrypted webhook for {payment.id}",
        seen=lambda: [(r.method, r.path) for r in receiver.requests()][-5:])

    checks.encrypted_webhook(request.body, request.headers, secret, payment.id)
