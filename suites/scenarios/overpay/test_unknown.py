"""An unknown request_id answers 404 {status: unknown, request_id} on both URLs."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.gateways.overpay.lifecycle import Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.unknown-404")
@pytest.mark.parametrize("which", ["status", "result"])
def test_unknown_request_id_is_404_unknown(overpay, which):
    task = overpay.create(Outcome.SUCCESSFUL, label=f"unknown-{which}")
    fresh, url = overpay.unknown_url(task, which)

    # Safe to repeat after a 429: an unknown request_id has nothing to hand out.
    answer = overpay.client.send("GET", url, rule="overpay.urls-on-gateway", label=f"unknown {which}",
                                 repeatable=True)

    checks.unknown_404(answer, fresh, f"{which} URL of an unknown request_id")
