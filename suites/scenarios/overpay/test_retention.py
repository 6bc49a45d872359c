"""A 200 result stays 24 h from the task's creation, then both URLs answer 404 unknown.

The "still kept" read is made as late as the declared timing allows (the retention less one
slack, less the time its answer may take); the expiry reads just after the retention. A
retention longer than a run goes to ``reports/ledger.json`` as two re-checks of the task: the
*kept* read, due inside a window before the expiry (``due``..``due_until``), and the *expiry*
read after it (``test_retention_ledger.py`` makes them)."""

import pytest

from asyncpay.errors import Deferred, NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome
from asyncpay.reporting import ledger

pytestmark = pytest.mark.overpay


@pytest.mark.rule("overpay.retention-kept", "overpay.retention-expiry")
def test_result_kept_for_retention_then_unknown_on_both_urls(overpay):
    retention = overpay.target.timing.retention
    task = overpay.create(Outcome.SUCCESSFUL, label="retention")
    overpay.expect(task, overpay.outcome(task), AnswerKind.RESULT, rule="overpay.retention-kept")

    slack = overpay.slack
    expiry = task.answered_at + retention + slack
    latest = overpay.latest_kept_read(task)
    later: list[dict[str, object]] = []  # the re-checks a later run makes (reports/ledger.json)
    late_answer = None
    if not overpay.clock.can_wait(latest - overpay.clock.now()):
        due, due_until = overpay.kept_window(task)
        later.append({"rule": "overpay.retention-kept", "due": due, "due_until": due_until})
    elif overpay.window_left(task) > 0:
        # Just before the retention window ends (counted from creation): still there on both
        # URLs; the model fails retention-kept on a 404 answered inside the window. When
        # processing used the window up, the read above (at completion) was the one inside it.
        overpay.clock.advance(max(latest - overpay.clock.now(), 0.0))
        for which in ("result", "status"):
            kind, answer = overpay.read(task, which)
            if kind not in (AnswerKind.RESULT, AnswerKind.COMPLETED) and late_answer is None:
                late_answer = (f"the {which} read planned {retention - (latest - task.sent_at):.2f} s before the "
                               f"retention's end answered {answer.summary()}, which says nothing on \"kept\" "
                               "(throttled, or answered after the window)")

    if not overpay.clock.can_wait(expiry - overpay.clock.now()):
        later.append({"rule": "overpay.retention-expiry", "due": expiry, "due_until": None})
    else:
        # Just after: gone from both URLs, 404 unknown with the request_id (the model checks it).
        overpay.clock.advance(max(expiry - overpay.clock.now(), 0.0))
        for which in ("status", "result"):
            overpay.read(task, which)

    if later:
        when = "; ".join(f"{entry['rule']} from {ledger.iso(entry['due'])}"
                         + (f" until {ledger.iso(entry['due_until'])}" if entry["due_until"] else "")
                         for entry in later)
        raise Deferred(str(later[0]["rule"]),
                       f"task {task.request_id} (retention {retention:g} s) is re-checked by a later run: "
                       f"{when}; reports/ledger.json keeps it",
                       due=float(later[0]["due"]),
                       data={"gateway": "overpay", "base_url": overpay.target.base_url,
                             "request_id": task.request_id, "status_url": task.status_url,
                             "response_url": task.response_url, "sent_at": task.sent_at,
                             "answered_at": task.answered_at, "retention": retention,
                             "checks": later})
    if late_answer:
        raise NotVerified("overpay.retention-kept", late_answer)
