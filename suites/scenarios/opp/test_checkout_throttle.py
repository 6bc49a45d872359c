"""Status reads of a checkout are throttled (9 a minute per checkout on live systems): a throttled
read answers HTTP 429 with 800.120.100, and the harness backs off until it is served."""

import pytest

from asyncpay.checks import checkout as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.opp.checkout import DOCUMENTED_READS_PER_MINUTE

pytestmark = pytest.mark.opp


@pytest.mark.rule("opp.checkout-throttle")
def test_reads_beyond_the_documented_rate_are_throttled_with_429(checkout):
    if not checkout.clock.virtual:
        raise NotVerified("opp.checkout-throttle", "against a real-time target the harness keeps under the "
                          "documented rate instead of provoking the throttle; a throttled answer met in any "
                          "other check is still held to this rule")
    prepared = checkout.prepare(label="throttle")

    answers = [checkout.read(prepared, prepared.resource_path, back_off=False, label=f"read {n + 1} in a burst")
               for n in range(DOCUMENTED_READS_PER_MINUTE + 1)]  # each one checked on arrival

    if not any(checks.throttle_answer(answer) for answer in answers):
        raise NotVerified("opp.checkout-throttle", f"{len(answers)} reads within a minute were all served: "
                          "this target does not throttle checkout reads")
    served = checkout.read(prepared, prepared.resource_path, label="read after backing off")
    assert not checks.throttle_answer(served)
