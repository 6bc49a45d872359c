"""A checkout ends when a payment on it succeeds, and at the latest 30 minutes after its creation:
a new payment on it is refused, and after the 30 minutes a status read answers 200.300.404."""

import pytest

from asyncpay.checks import checkout as checks
from asyncpay.errors import Deferred, NotVerified
from asyncpay.schemas import contracts

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-lifetime", "opp.checkout-status", "opp.final-result-kept")
def test_a_successful_payment_ends_the_checkout(checkout):
    prepared = checkout.prepare(label="ends")
    payment = checkout.paid(prepared, rule="opp.checkout-lifetime")
    if contracts.classify_result_code(payment["result"]["code"]).kind not in checks.SUCCESSFUL_KINDS:
        raise NotVerified("opp.checkout-lifetime", f"the checkout payment was not successful "
                          f"({payment['result']['code']}); set [opp.outcomes.checkout] to a successful card")

    again = checkout.submit_payment(prepared)
    status = checkout.read(prepared, prepared.resource_path, label="status after a second payment")

    checks.no_new_payment(prepared.id, prepared.payments, again, status, "a successful payment")
    checkout.judge_timeline(prepared)


@pytest.mark.rule("opp.checkout-lifetime", "opp.checkout-session-error")
def test_checkout_is_gone_30_minutes_after_its_creation(checkout):
    prepared = checkout.prepare(label="lifetime")
    try:
        checkout.paid(prepared, rule="opp.checkout-lifetime")
        payable = True
    except NotVerified:
        payable = False  # an unpaid checkout expires all the same; only its reuse is not checked
    deadline = checkout.expiry(prepared)
    if not checkout.clock.can_wait(deadline - checkout.clock.now()):
        raise Deferred("opp.checkout-lifetime",
                       f"checkout {prepared.id} expires {deadline - checkout.clock.now():.0f} s from now "
                       f"(checkout_lifetime {checkout.target.timing.checkout_lifetime:g} s, longer than max_wait); "
                       "reports/ledger.json keeps it for a later run",
                       due=deadline, data=checkout.ledger_data(prepared))

    checkout.clock.advance(deadline - checkout.clock.now())
    checkout.check_expired(prepared)

    if payable:
        again = checkout.submit_payment(prepared)
        status = checkout.read(prepared, prepared.resource_path, label="status after paying an expired checkout")
        checks.no_new_payment(prepared.id, prepared.payments, again, status, "its lifetime")
