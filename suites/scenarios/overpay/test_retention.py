"""A 200 result stays 24 h from the task's creation, then both URLs answer 404 unknown."""

import pytest

from asyncpay.errors import Deferred
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.retention-kept", "overpay.retention-expiry")
def test_result_kept_for_retention_then_unknown_on_both_urls(overpay):
    retention = overpay.target.timing.retention
    task = overpay.create(Outcome.SUCCESSFUL, label="retention")
    overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT, rule="overpay.retention-kept")

    slack = overpay.slack
    expiry = task.answered_at + retention + slack
    if not overpay.clock.can_wait(expiry - overpay.clock.now()):
        raise Deferred("overpay.retention-expiry",
                       f"task {task.request_id} expires {expiry - overpay.clock.now():.0f} s from now "
                       f"(retention {retention:g} s); reports/ledger.json keeps it for a later run",
                       due=expiry,
                       data={"gateway": "overpay", "base_url": overpay.target.base_url,
                             "request_id": task.request_id, "status_url": task.status_url,
                             "response_url": task.response_url, "sent_at": task.sent_at,
                             "answered_at": task.answered_at, "retention": retention})

    # Just before the retention ends (counted from creation): still there on both URLs; the model
    # fails retention-kept on a 404 inside the window. When processing used the window up to its
    # last slack, the read above (at completion) is the one inside it, and expiry is still checked.
    before = task.sent_at + retention - 2 * slack
    if overpay.clock.now() < before:
        overpay.clock.advance(before - overpay.clock.now())
    if overpay.window_left(task) > 0:
        overpay.read(task, "result")
        overpay.read(task, "status")

    # Just after: gone from both URLs, 404 unknown with the request_id (the model checks it).
    overpay.clock.advance(expiry - overpay.clock.now())
    for which in ("status", "result"):
        overpay.read(task, which)
