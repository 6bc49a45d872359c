"""An incomplete transaction points at /process/{uid}; its final state comes by tracking_id."""

import pytest

from asyncpay.api_versions import transaction_of
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.lifecycle import Outcome
from asyncpay.polling import poll

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.incomplete-final", "overpay.tracking-query")
def test_incomplete_reaches_final_state_via_tracking_query(overpay):
    task = overpay.create(Outcome.INCOMPLETE, label="incomplete")
    answer = overpay.completed_result(task)
    assert answer.status_code == 200, answer.summary()
    transaction = transaction_of(answer.json)
    if transaction["status"] != "incomplete":
        raise NotVerified("overpay.incomplete-final",
                          f"the 3-D Secure test trigger gave a {transaction['status']!r} transaction; "
                          "set [overpay.outcomes.incomplete] in the profile")
    uid, redirect = transaction["uid"], transaction.get("redirect_url") or ""
    if not redirect.split("?")[0].rstrip("/").endswith(f"/process/{uid}"):
        raise ContractViolation("overpay.incomplete-final", "incomplete transaction without its redirect_url",
                                expected={"redirect_url": f".../process/{uid}"},
                                received={"redirect_url": transaction.get("redirect_url")})
    if overpay.client.on_origin(redirect):
        # The shopper's step: a plain browser visit, never with the merchant's credentials.
        overpay.client.send("GET", redirect, authenticated=False, label="shopper visits redirect_url")

    def final_state():
        listed = overpay.tracking_query(task.request["tracking_id"]).json["transactions"]
        return next((t for t in listed if t.get("uid") == uid), None), listed

    timing = overpay.target.timing
    try:
        found, listed = poll(final_state, until=lambda r: r[0] is not None and r[0]["status"] != "incomplete",
                             clock=overpay.clock, timeout=timing.processing_timeout,
                             interval=timing.poll_interval, rule="overpay.incomplete-final",
                             describe=f"transaction {uid} to leave incomplete",
                             show=lambda r: r[0]["status"] if r[0] else f"not listed ({len(r[1])} listed)")
    except ContractViolation as exc:
        found, listed = final_state()
        if found is None:
            raise ContractViolation("overpay.tracking-query", f"the tracking_id query does not list {uid}",
                                    expected={"transactions": [{"uid": uid}]},
                                    received={"transactions": [t.get("uid") for t in listed]}) from None
        raise NotVerified("overpay.incomplete-final",
                          f"{uid} is still incomplete: the 3-D Secure step needs a real shopper here") from exc
    assert found["status"] in ("successful", "failed", "expired")
    assert found.get("tracking_id") == task.request["tracking_id"]
