"""The secret-leak test: real suite runs against the embedded mock, then a search of everything
they printed and wrote for the mock's credentials, full test card numbers and CVVs."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from asyncpay.config.profile import MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN, MOCK_WEBHOOK_SECRET
from asyncpay.testing.runs import StartedRun, start_suites

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 1200  # seconds for one suite run; the runs go side by side
SECRETS = {
    "secret key": MOCK_SECRET_KEY,
    "OPP token": MOCK_TOKEN,
    "webhook secret": MOCK_WEBHOOK_SECRET,
    "Basic credential": base64.b64encode(f"{MOCK_SHOP_ID}:{MOCK_SECRET_KEY}".encode()).decode(),
}
CARDS = ("4200000000000000", "4005550000000019", "4012000000001097", "4711100000000000")
# A CVV's value next to its field name, as JSON, form, query, repr or header text would show it.
CVV = re.compile(r"""(verification_value|cvv2?|cvc2?|security_?code)(["']|&#34;|&#39;)?\s*(:|=|%3D)\s*"""
                 r"""(["']|&#34;|&#39;)?\s*123\b""", re.IGNORECASE)
# (name, extra pytest arguments). The fault run makes failures happen: their messages quote the
# gateway's answers. It runs the scenario suites, which check the rule that fault breaks.
RUNS = {
    "clean": ["suites", "-n", "2"],
    "fault": ["suites/scenarios", "--asyncpay-mock-fault", "result-amount-mismatch"],
}


def needles() -> list[tuple[str, str]]:
    """(what, text to look for): each secret raw and URL-encoded, each full card number."""
    found = []
    for name, secret in SECRETS.items():
        encodings = {"raw": secret, "URL-encoded": quote(secret, safe=""), "form-encoded": quote_plus(secret)}
        seen: set[str] = set()
        for how, encoded in encodings.items():
            if encoded not in seen:
                seen.add(encoded)
                found.append((f"{name}, {how}", encoded))
    found += [(f"card {card[:6]}…", card) for card in CARDS]
    return found


def leaks(text: str, where: str) -> list[str]:
    found = [f"{where}: {name}" for name, needle in needles() if needle in text]
    found += [f"{where}: CVV {m.group(0)!r}" for m in CVV.finditer(text)]
    return found


@dataclass
class Run:
    name: str
    returncode: int
    output: str
    reports: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    started: dict[str, StartedRun] = {}
    try:
        for name, args in RUNS.items():
            base = tmp_path_factory.mktemp(f"leak-{name}")
            started[name] = start_suites(args[:1], profile=None, reports=base / "reports", cwd=ROOT,
                                         timeout=TIMEOUT, args=[*args[1:], "-p", "asyncpay"])
        done: dict[str, Run] = {}
        for name, handle in started.items():
            run = handle.wait()
            if run.hung:
                pytest.fail(f"the {name} suite run took over {TIMEOUT} s; its output: {handle.log}")
            done[name] = Run(name, run.returncode, run.output, run.reports)
    finally:
        for handle in started.values():
            handle.stop()
    return done


@pytest.mark.parametrize("name", list(RUNS))
def test_the_run_wrote_its_reports(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    # 0: all passed, 1: some checks failed; anything else means the run itself broke.
    assert run.returncode in (0, 1), run.output[-3000:]
    for file in ("junit.xml", "summary.json", "report.html"):
        assert (run.reports / file).is_file(), f"{file} missing; output:\n{run.output[-3000:]}"
    summary = json.loads((run.reports / "summary.json").read_text())
    assert summary["checks"], "the run recorded no check: the leak search would prove nothing"


def test_the_fault_run_reports_failures_quoting_the_gateway(runs: dict[str, Run]) -> None:
    summary = json.loads((runs["fault"].reports / "summary.json").read_text())
    failed = [c for c in summary["checks"] if c["verdict"] == "failed"]
    assert failed, "the fault produced no failure, so no failure message was searched"
    assert any("Received:" in c["message"] for c in failed)
    assert summary["rules"]["overpay.result-matches-request"]["verdict"] == "failed"


@pytest.mark.parametrize("name", list(RUNS))
def test_no_secret_card_or_cvv_printed_or_written(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    found = leaks(run.output, "output")
    files = [path for path in run.reports.rglob("*") if path.is_file()]
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        found += leaks(text, str(path.relative_to(run.reports)))
    assert not found, "\n".join(found[:50])


def test_the_search_finds_what_it_looks_for() -> None:
    # The search itself must not be blind: each needle, as a leak would show it, is found.
    leaked = (f'Authorization: Basic {SECRETS["Basic credential"]} {quote(MOCK_TOKEN, safe="")} '
              f'{{"number": "{CARDS[2]}", "verification_value": "123"}} card.cvv=123')
    found = leaks(leaked, "sample")
    assert "sample: Basic credential, raw" in found
    assert "sample: OPP token, URL-encoded" in found
    assert len(needles()) == len(set(needles()))
    assert any("4012000000001097" not in f and "card 401200" in f for f in found)
    assert sum("CVV" in f for f in found) == 2
    assert leaks('{"number": "420000******0000", "verification_value": "***"} card.cvv=***', "masked") == []
