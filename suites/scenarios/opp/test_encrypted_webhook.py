"""Encrypted webhooks decrypt (AES-256-GCM) to {type, action, payload} with the payment."""

import pytest

from asyncpay import contracts, webhooks
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.polling import await_delivery

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
        rule="opp.encrypted-webhook", describe=f"an encrypted webhook for {payment.id}",
        seen=lambda: [(r.method, r.path) for r in receiver.requests()][-5:])
    try:
        plaintext = webhooks.decrypt_opp_webhook(request.body, request.headers, secret)
    except webhooks.WebhookError as exc:
        raise ContractViolation("opp.encrypted-webhook", "the encrypted webhook does not decrypt",
                                expected="AES-256-GCM with the shared secret, IV and tag from the headers",
                                received=str(exc)) from None
    contracts.check("opp/webhook", plaintext, rule="opp.encrypted-webhook", what="decrypted webhook")
    if plaintext.get("payload", {}).get("id") != payment.id:
        raise ContractViolation("opp.encrypted-webhook", "the webhook is about another payment",
                                expected={"payload.id": payment.id},
                                received={"payload.id": plaintext.get("payload", {}).get("id")})
