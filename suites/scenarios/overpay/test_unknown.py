"""An unknown request_id answers 404 {status: unknown, request_id} on both URLs."""

import pytest

from asyncpay import contracts
from asyncpay.errors import ContractViolation
from asyncpay.lifecycle import Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.unknown-404")
@pytest.mark.parametrize("which", ["status", "result"])
def test_unknown_request_id_is_404_unknown(overpay, which):
    task = overpay.create(Outcome.SUCCESSFUL, label=f"unknown-{which}")
    fresh = overpay.fresh_request_id(task.request_id)
    own = task.status_url if which == "status" else task.response_url
    layout = "/async/status/" if which == "status" else "/async/result/"
    url = overpay.sibling_url(own, task.request_id, fresh, layout + fresh)

    answer = overpay.client.send("GET", url, rule="overpay.urls-on-gateway", label=f"unknown {which}")

    expected = {"http": 404, "body": {"status": "unknown", "request_id": fresh}}
    if answer.status_code != 404:
        raise ContractViolation("overpay.unknown-404", f"{which} URL of an unknown request_id is not 404",
                                expected=expected, received=answer.summary())
    contracts.check("overpay/status-unknown", answer.json, rule="overpay.unknown-404",
                    what=f"answer to {which} URL of an unknown request_id")
    if str(answer.json.get("request_id")) != fresh:
        raise ContractViolation("overpay.unknown-404", "the unknown answer does not echo the request_id",
                                expected=expected, received=answer.summary())
