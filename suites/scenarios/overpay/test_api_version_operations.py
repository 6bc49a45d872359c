"""Every operation speaks the version asked for: with X-API-Version: 3 the results of
authorizations, captures, voids, refunds, credits and payouts, and the webhook, come in the v3
shape of their type (https://docs.overpay.io/en/reference/api_v3/)."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.children import child_result, create_child, money_out, result_transaction, settle
from asyncpay.gateways.overpay.lifecycle import Outcome
from asyncpay.schemas.api_versions import declared_view
from asyncpay.waiting.polling import await_delivery

pytestmark = pytest.mark.overpay

RULE = "overpay.api-version"


@pytest.mark.rule("overpay.api-version")
def test_children_answer_in_v3(overpay):
    gateway = declared_view(overpay, 3)
    for operation in ("authorizations", "payments", "captures", "voids", "refunds"):
        gateway.require_operation(operation, RULE)
    started = [gateway.create(Outcome.SUCCESSFUL, operation=operation, label=f"v3-parent-{n}")
               for n, operation in enumerate(("authorizations", "authorizations", "payments"))]
    captured, voided, paid = (settle(gateway, task, rule=RULE) for task in started)  # v3-result-authorization

    # The three children at once; each result is held to its type's v3 contract.
    children = [(create_child(gateway, "captures", captured, captured["amount"], rule=RULE), captured),
                (create_child(gateway, "voids", voided, voided["amount"], rule=RULE), voided),
                (create_child(gateway, "refunds", paid, paid["amount"], rule=RULE), paid)]
    for task, parent in children:
        child_result(gateway, task, parent["uid"], rule=RULE)


@pytest.mark.rule("overpay.api-version")
def test_money_out_answers_in_v3(overpay):
    gateway = declared_view(overpay, 3)
    tasks = [money_out(gateway, operation, rule=RULE) for operation in ("credits", "payouts")]
    for task in tasks:
        result_transaction(gateway, task, rule=RULE)  # v3-result-credit, v3-result-payout


@pytest.mark.rule("overpay.api-version", "overpay.webhook")
def test_webhook_of_a_v3_request_is_in_v3(overpay, receiver):
    gateway = declared_view(overpay, 3)
    if gateway.target.webhooks == "off":
        raise NotVerified(RULE, "webhooks = \"off\" in the profile")
    hook = receiver.endpoint("overpay-webhook-v3")
    task = gateway.create(Outcome.SUCCESSFUL, label="webhook-v3", extra={"notification_url": hook})
    transaction = result_transaction(gateway, task, rule=RULE)

    path = hook[len(receiver.public_url):]
    request = await_delivery(
        lambda seconds: receiver.wait_for(lambda r: r.path == path, seconds, describe="the v3 webhook"),
        clock=gateway.clock, timeout=gateway.target.timing.notification_timeout, step=1.0,
        on_timeout=checks.webhook_arrives, describe=f"the webhook for {transaction['uid']}",
        seen=lambda: [(r.method, r.path) for r in receiver.requests()][-5:])

    checks.webhook_body(request.body, transaction, api_version=3)  # v3-webhook
