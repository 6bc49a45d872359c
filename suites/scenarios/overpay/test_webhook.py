"""With notification_url, an authenticated webhook carries the same transaction as the result;
every delivery of it (repeats included) agrees with the result, and its final status never changes."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.waiting.polling import await_delivery
from asyncpay.wire import webhooks

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.webhook", "overpay.final-state")
def test_webhook_arrives_authenticated_with_the_result(overpay, receiver):
    target = overpay.target
    if target.webhooks == "off":
        raise NotVerified("overpay.webhook", "webhooks = \"off\" in the profile")
    hook = receiver.endpoint("overpay-webhook")
    task = overpay.create(Outcome.SUCCESSFUL, label="webhook", extra={"notification_url": hook})
    result = overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT, rule="overpay.webhook")
    transaction = transaction_of(result.json)

    path = hook[len(receiver.public_url):]
    request = await_delivery(
        lambda seconds: receiver.wait_for(lambda r: r.path == path, seconds, describe="the webhook"),
        clock=overpay.clock, timeout=target.timing.notification_timeout, step=1.0,
        on_timeout=checks.webhook_arrives, describe=f"the webhook for {transaction['uid']}",
        seen=lambda: [(r.method, r.path) for r in receiver.requests()][-5:])

    checks.webhook_is_post(request.method)
    signature = request.headers.get("content-signature")
    basic_ok = webhooks.verify_basic(request.headers, target.shop_id, target.secret_key)
    signed_ok = bool(signature and target.webhook_public_key
                     and webhooks.verify_content_signature(request.body, signature, target.webhook_public_key))
    if not (basic_ok or signed_ok) and signature and not target.webhook_public_key:
        raise NotVerified("overpay.webhook", "the webhook is signed (Content-Signature) but the profile "
                          "gives no webhook_public_key_file to verify it")
    checks.webhook_authenticated(basic_ok or signed_ok, request.headers)

    # Every delivery, repeats included, joins the task's timeline with the result read and the
    # stored transaction: a final status never changes on any channel, whichever came first; then
    # each delivery is the result's transaction.
    overpay.uid_query(transaction["uid"], task=task)
    deliveries = overpay.webhooks(receiver, path)
    overpay.judge_timeline(task, deliveries)
    for delivery in deliveries:
        checks.webhook_body(delivery.body, transaction, api_version=target.api_version)
