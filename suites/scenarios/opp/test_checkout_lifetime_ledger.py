"""Checkout expiries left pending by earlier runs (reports/ledger.json), checked once they are due."""

import time
from pathlib import Path

import pytest

from asyncpay.config import options
from asyncpay.errors import Deferred, NotVerified
from asyncpay.gateways.opp.checkout import Checkout
from asyncpay.pytest.plugin import RESOLVES
from asyncpay.reporting import ledger

pytestmark = pytest.mark.opp


def pytest_generate_tests(metafunc):
    if "entry" not in metafunc.fixturenames:
        return
    entries = ledger.entries_of(Path(options.value(metafunc.config, "reports_dir")), "opp.checkout-lifetime")
    metafunc.parametrize("entry", entries or [None], ids=[e.id for e in entries] or ["no-entry"])


@pytest.mark.rule("opp.checkout-lifetime")  # a wrong session error still fails, naming its own rule
def test_pending_checkout_expiry_from_an_earlier_run(checkout, entry, request):
    if entry is None:
        raise NotVerified("opp.checkout-lifetime", "reports/ledger.json holds no checkout expiry")
    data = entry.data
    if data.get("base_url") != checkout.target.base_url:
        raise NotVerified("opp.checkout-lifetime",
                          f"ledger entry {entry.id} is for {data.get('base_url')}, not this target")
    if not entry.is_due(time.time()):
        raise Deferred("opp.checkout-lifetime", f"checkout {data['id']} is due at {ledger.iso(entry.due)}",
                       due=entry.due, data=data)
    request.node.stash[RESOLVES] = entry.id
    earlier = Checkout(data["id"], {}, {}, "ledger", data.get("sent_at", data.get("created_lo")),
                       data.get("answered_at", data.get("created_hi")), "", "")

    checkout.check_expired(earlier)
