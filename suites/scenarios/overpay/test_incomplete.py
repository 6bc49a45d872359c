"""An incomplete transaction points at /process/{uid}; its final state comes by tracking_id."""

import pytest

from asyncpay.checks import overpay as checks
from asyncpay.errors import NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.schemas.api_versions import transaction_of
from asyncpay.waiting.polling import poll

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.incomplete-final", "overpay.tracking-query", "overpay.final-state")
def test_incomplete_reaches_final_state_via_tracking_query(overpay):
    task = overpay.create(Outcome.INCOMPLETE, label="incomplete")
    kind, answer = overpay.outcome(task)
    if kind is not AnswerKind.RESULT:
        raise NotVerified("overpay.incomplete-final", f"the 3-D Secure trigger gave {answer.summary()}")
    transaction = transaction_of(answer.json)
    if transaction["status"] != "incomplete":
        raise NotVerified("overpay.incomplete-final",
                          f"the 3-D Secure test trigger gave a {transaction['status']!r} transaction; "
                          "set [overpay.outcomes.incomplete] in the profile")
    checks.incomplete_redirect(transaction)
    uid, redirect = transaction["uid"], transaction["redirect_url"]
    if overpay.client.on_origin(redirect):
        # The shopper's step: a plain browser visit, never with the merchant's credentials.
        overpay.client.send("GET", redirect, authenticated=False, label="shopper visits redirect_url")

    def final_state():
        listed = overpay.tracking_query(task.request["tracking_id"], task=task)
        return next((t for t in listed if t.get("uid") == uid), None), listed

    def still_incomplete(describe, timeout, elapsed, seen):
        found, listed = final_state()
        checks.tracking_lists(listed, uid)
        raise NotVerified("overpay.incomplete-final",
                          f"{uid} is still incomplete after {elapsed:.0f} s: "
                          "the 3-D Secure step needs a real shopper here")

    timing = overpay.target.timing
    found, _ = poll(final_state, until=lambda r: r[0] is not None and r[0]["status"] != "incomplete",
                    clock=overpay.clock, timeout=timing.processing_timeout, interval=timing.poll_interval,
                    on_timeout=still_incomplete, describe=f"transaction {uid} to leave incomplete",
                    show=lambda r: r[0]["status"] if r[0] else f"not listed ({len(r[1])} listed)")
    checks.incomplete_becomes_final(found, task.request["tracking_id"])
    overpay.judge_timeline(task)  # incomplete, then one final status on every query


