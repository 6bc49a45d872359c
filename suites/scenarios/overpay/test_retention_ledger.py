"""Retention checks left pending by earlier runs (reports/ledger.json), made once they are due."""

import time
from pathlib import Path

import pytest

from asyncpay.reporting import ledger

from asyncpay.config import options
from asyncpay.errors import Deferred, NotVerified
from asyncpay.gateways.overpay.lifecycle import Outcome, Task, TaskModel
from asyncpay.pytest.plugin import RESOLVES

pytestmark = pytest.mark.overpay


def pytest_generate_tests(metafunc):
    if "entry" not in metafunc.fixturenames:
        return
    entries = ledger.entries_of(Path(options.value(metafunc.config, "reports_dir")), "overpay.retention-expiry")
    metafunc.parametrize("entry", entries or [None], ids=[e.id for e in entries] or ["no-entry"])


@pytest.mark.rule("overpay.retention-expiry")
def test_pending_expiry_from_an_earlier_run(overpay, entry, request):
    if entry is None:
        raise NotVerified("overpay.retention-expiry", "reports/ledger.json holds no retention check")
    data = entry.data
    if data.get("base_url") != overpay.target.base_url:
        raise NotVerified("overpay.retention-expiry",
                          f"ledger entry {entry.id} is for {data.get('base_url')}, not this target")
    if not entry.is_due(time.time()):
        raise Deferred("overpay.retention-expiry", f"task {data['request_id']} is due at "
                      f"{ledger.iso(entry.due)}", due=entry.due, data=data)
    request.node.stash[RESOLVES] = entry.id
    task = Task(data["request_id"], data["status_url"], data["response_url"], "payments", {},
                Outcome.SUCCESSFUL, data.get("sent_at", data.get("created_lo")),
                data.get("answered_at", data.get("created_hi")), "ledger")
    model = TaskModel(task, data["retention"], overpay.slack)
    overpay.models[task.request_id] = model
    for which in ("status", "result"):
        overpay.read(task, which)  # the model: past the retention only 404 unknown is right
