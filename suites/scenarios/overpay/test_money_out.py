"""Credits and payouts: money sent to a card (the profile's successful trigger), each an
asynchronous task whose result answers its request — type, amount, currency, tracking_id — in
the contract of its type (result-credit, result-payout). An operation the profile's
``[overpay] operations`` leaves out is not verified."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.children import money_out, result_transaction

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.result-shape", "overpay.result-matches-request")
@pytest.mark.parametrize("operation", ["credits", "payouts"])
def test_money_sent_to_a_card_answers_the_request(overpay, operation):
    rule = "overpay.result-matches-request"
    task = money_out(overpay, operation, rule=rule)

    transaction = result_transaction(overpay, task, rule=rule)  # held to result-credit / result-payout

    checks.result_matches_request(transaction, task.request, operation[:-1], f"the result of task {task.request_id}")
    if transaction.get("status") != "successful":
        raise NotVerified(rule, f"the successful trigger gave a {transaction.get('status')!r} {operation[:-1]}; "
                          "set [overpay.outcomes.successful] to a card this gateway sends money to")
