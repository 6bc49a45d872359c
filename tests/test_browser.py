"""report.html as a reviewer sees it: rendered by a real headless Chromium.

CI installs the browser (Debian: ``apt-get install -y chromium``); without it these checks are
reported as skipped "not verified", never as passed.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from asyncpay.http.redaction import Redactor
from asyncpay.reporting.report import write_reports
from asyncpay.rules import RULES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed — not verified")

WIDTH, HEIGHT = 1280, 2000
NOW = 1_790_000_000.0
TASK = "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"


def _event(offset: float, kind: str) -> dict[str, Any]:
    return {"at": NOW + offset, "target_time": NOW + offset, "task": TASK, "kind": kind, "detail": ""}


def _records() -> list[dict[str, Any]]:
    body = json.dumps({"status": "unknown", "request_id": TASK})
    failed = {
        "test": "suites/scenarios/overpay/test_error_once.py::test_task_failure_returned_once",
        "rules": ["overpay.task-failure-once"], "verdict": "failed",
        "failed_rule": "overpay.task-failure-once",
        "message": "[overpay.task-failure-once] the error was returned twice\nExpected:   HTTP 404 unknown\n"
                   "Received:   HTTP 422",
        "duration": 0.4, "due": None, "ledger": None, "resolves": None,
        "recording": {
            "exchanges": [{"method": "GET", "url": f"http://127.0.0.1:9/async/result/{TASK}",
                           "request_headers": {}, "request_body": "", "status": 422, "response_headers": {},
                           "response_body": body, "started": NOW + 2, "elapsed": 0.05, "error": None,
                           "label": "result", "task": TASK}],
            "events": [_event(0, "created"), _event(1, "status:processing"), _event(2.5, "result:error"),
                       _event(3.5, "result:error"), _event(86400, "result:unknown")],
            "shapes": {"overpay/task-error": 2}},
    }
    passed = {**failed, "test": "suites/scenarios/overpay/test_task_answer.py::test_task",
              "rules": ["overpay.task-answer"], "verdict": "passed", "failed_rule": None, "message": ""}
    return [failed, passed]


def _png_size_and_colours(path: Path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    # Distinct byte values of the decoded scanlines: a blank page has a handful, a report hundreds.
    return width, height, len(set(zlib.decompress(idat)))


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", *args],
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "reports"
    evidence = out / ".evidence" / "br0wser001"
    evidence.mkdir(parents=True)
    (evidence / "main.json").write_text(json.dumps(_records()))
    meta = {"run_id": "br0wser001", "profile": "embedded mock", "profile_path": None,
            "targets": {"overpay": "embedded mock", "opp": "embedded mock"}, "mock_faults": [],
            "started": NOW - 1, "finished": NOW + 5, "baseline": None, "strict": False}
    write_reports(evidence, out, meta, redactor=Redactor())
    return out / "report.html"


def test_rendered_dom_has_the_verdict_table_and_timeline(report: Path, tmp_path: Path) -> None:
    result = _chromium(tmp_path / "profile", "--dump-dom", report.as_uri())
    dom = result.stdout
    assert "<table" in dom, f"no DOM dumped; chromium said:\n{result.stderr[-2000:]}"
    assert 'class="rules"' in dom
    row = re.search(r'<tr[^>]*id="rule-overpay\.task-failure-once"[^>]*>', dom)
    assert row is not None and 'class="r-failed"' in row.group(0)
    assert dom.count('<tr class="r-') == len([r for r in RULES.values() if r.gateway != "merchant"])
    assert "<svg" in dom and "<circle" in dom and "result:unknown" in dom
    assert 'id="coverage"' in dom


def test_screenshot_is_a_real_page(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "r.png"
    result = _chromium(tmp_path / "profile", f"--screenshot={png}", report.as_uri())
    assert png.is_file(), f"no screenshot; chromium said:\n{result.stderr[-2000:]}"
    width, height, colours = _png_size_and_colours(png)
    assert (width, height) == (WIDTH, HEIGHT)
    assert png.stat().st_size > 20_000
    assert colours > 100, "the screenshot is (nearly) blank"
