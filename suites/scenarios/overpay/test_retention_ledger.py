"""Retention checks left pending by earlier runs (reports/ledger.json), made once they are due.

Two re-checks per task: the *kept* read, made inside its window before the expiry (``due`` ..
``due_until``: the 200 result is still there on both URLs), and the *expiry* read after the
retention (both URLs 404 unknown). A run after the kept window reports that check missed, with
when to run: *not verified*, never passed. README: "Retention longer than a run"."""

import time
from pathlib import Path

import pytest

from asyncpay.config import options
from asyncpay.errors import Deferred, NotVerified
from asyncpay.gateways.overpay.lifecycle import AnswerKind, Outcome, Task, TaskModel
from asyncpay.pytest.plugin import RESOLVES
from asyncpay.reporting import ledger

pytestmark = pytest.mark.overpay

RULES = ("overpay.retention-kept", "overpay.retention-expiry")


def pytest_generate_tests(metafunc):
    if "entry" not in metafunc.fixturenames:
        return
    rule = metafunc.definition.get_closest_marker("rule").args[0]
    entries = ledger.entries_of(Path(options.value(metafunc.config, "reports_dir")), rule)
    metafunc.parametrize("entry", entries or [None], ids=[e.id for e in entries] or ["no-entry"])


def due_task(overpay, entry, request):
    """The ledger entry's task with its lifecycle model, once the entry is due on this target."""
    if entry is None:
        raise NotVerified(request.node.get_closest_marker("rule").args[0],
                          "reports/ledger.json holds no retention check")
    data = entry.data
    if data.get("base_url") != overpay.target.base_url:
        raise NotVerified(entry.rule, f"ledger entry {entry.id} is for {data.get('base_url')}, not this target")
    now = time.time()
    window = f"between {ledger.iso(entry.due)} and {ledger.iso(entry.due_until)}" if entry.due_until else \
        f"after {ledger.iso(entry.due)}"
    if entry.is_missed(now):
        request.node.stash[RESOLVES] = entry.id  # reported missed: the ledger drops it
        raise NotVerified(entry.rule, f"the re-check of task {data['request_id']} had to run {window}; this run "
                          f"came after it. Schedule a run inside that window (README: \"Retention longer "
                          f"than a run\")")
    if not entry.is_due(now):
        raise Deferred(entry.rule, f"task {data['request_id']} is due {window}", due=entry.due,
                       data={**data, "checks": [{"rule": entry.rule, "due": entry.due,
                                                 "due_until": entry.due_until}]})
    request.node.stash[RESOLVES] = entry.id
    task = Task(data["request_id"], data["status_url"], data["response_url"], "payments", {},
                Outcome.SUCCESSFUL, data.get("sent_at", data.get("created_lo")),
                data.get("answered_at", data.get("created_hi")), "ledger")
    overpay.models[task.request_id] = TaskModel(task, data["retention"], overpay.slack,
                                                api_version=overpay.target.api_version)
    return task


@pytest.mark.rule("overpay.retention-kept")
def test_pending_kept_read_from_an_earlier_run(overpay, entry, request):
    task = due_task(overpay, entry, request)
    for which in ("result", "status"):
        # The model fails retention-kept on a 404 answered inside the window.
        kind, answer = overpay.read(task, which)
        if kind not in (AnswerKind.RESULT, AnswerKind.COMPLETED):
            raise NotVerified("overpay.retention-kept", f"the {which} read of task {task.request_id} answered "
                              f"{answer.summary()}, which says nothing on \"kept\" (throttled, or answered "
                              f"after the window ended at {ledger.iso(entry.due_until)})")


@pytest.mark.rule("overpay.retention-expiry")
def test_pending_expiry_from_an_earlier_run(overpay, entry, request):
    task = due_task(overpay, entry, request)
    for which in ("status", "result"):
        overpay.read(task, which)  # the model: past the retention only 404 unknown is right
