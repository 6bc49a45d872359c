"""With notification_url, an authenticated webhook carries the same transaction as the result."""

import json

import pytest

from asyncpay import contracts, webhooks
from asyncpay.api_versions import contract_for, transaction_of
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.lifecycle import Outcome
from asyncpay.polling import await_delivery

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.webhook")
def test_webhook_arrives_authenticated_with_the_result(overpay, receiver):
    target = overpay.target
    if target.webhooks == "off":
        raise NotVerified("overpay.webhook", "webhooks = \"off\" in the profile")
    hook = receiver.endpoint("overpay-webhook")
    task = overpay.create(Outcome.SUCCESSFUL, label="webhook", extra={"notification_url": hook})
    result = overpay.completed_result(task)
    assert result.status_code == 200, result.summary()
    transaction = transaction_of(result.json)

    path = hook[len(receiver.public_url):]
    request = await_delivery(
        lambda seconds: receiver.wait_for(lambda r: r.path == path, seconds, describe="the webhook"),
        clock=overpay.clock, timeout=target.timing.notification_timeout, step=1.0,
        rule="overpay.webhook", describe=f"the webhook for {transaction['uid']}",
        seen=lambda: [(r.method, r.path) for r in receiver.requests()][-5:])

    if request.method != "POST":
        raise ContractViolation("overpay.webhook", "the webhook is not a POST",
                                expected="POST with the transaction JSON", received=request.method)
    signature = request.headers.get("content-signature")
    basic_ok = webhooks.verify_basic(request.headers, target.shop_id, target.secret_key)
    signed_ok = bool(signature and target.webhook_public_key
                     and webhooks.verify_content_signature(request.body, signature, target.webhook_public_key))
    if not (basic_ok or signed_ok):
        if signature and not target.webhook_public_key:
            raise NotVerified("overpay.webhook", "the webhook is signed (Content-Signature) but the profile "
                              "gives no webhook_public_key_file to verify it")
        raise ContractViolation("overpay.webhook", "the webhook carries no valid credentials",
                                expected="HTTP Basic shop id / secret key, or a valid Content-Signature",
                                received={"authorization": "present" if "authorization" in request.headers
                                          else "absent", "content-signature": signature})
    try:
        body = json.loads(request.body)
    except ValueError:
        raise ContractViolation("overpay.webhook", "the webhook body is not JSON",
                                expected="the transaction JSON", received=request.body[:200]) from None
    contracts.check(contract_for(target.api_version, "webhook"), body, rule="overpay.webhook", what="webhook body")
    keys = ("uid", "status", "amount", "currency", "tracking_id", "type")
    got = {k: transaction_of(body).get(k) for k in keys}
    want = {k: transaction.get(k) for k in keys}
    if got != want:
        raise ContractViolation("overpay.webhook", "the webhook carries another transaction than the result",
                                expected=want, received=got)
