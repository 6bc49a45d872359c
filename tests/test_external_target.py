"""The mock as an external target: started as its own process in real time, pointed at by a
profile like any gateway — the scenarios pass on it as it is, and name the rule a fault breaks."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from asyncpay.testing.runs import SuiteRun, profile_toml, run_suites

ROOT = Path(__file__).resolve().parent.parent
RETENTION = 4  # seconds: short, so a run sees results kept and then expired
MOCK_ARGS = ["--clock", "real", "--retention", str(RETENTION), "--processing-delay", "0.5",
             "--pending-delay", "0.5"]
TIMING: dict[str, float | str] = {"retention": RETENTION, "max_wait": 30, "poll_interval": 0.2,
                                  "processing_timeout": 10, "notification_timeout": 10, "clock": "real"}
TASK_FAILURE = '[overpay.outcomes.task_failure]\ndescription = "asyncpay-mock: fail the task"\n'
STARTUP = 30.0  # seconds for the mock process to listen and answer its health check
LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def mock_process(*faults: str) -> Iterator[str]:
    """``python -m asyncpay.mock`` on a free port; its base URL once it answers its health check."""
    args = [arg for fault in faults for arg in ("--fault", fault)]
    process = subprocess.Popen([sys.executable, "-m", "asyncpay.mock", "--port", "0", *MOCK_ARGS, *args],
                               cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def drain() -> None:  # keep reading, or its log would fill the pipe and stall it
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    try:
        deadline = time.monotonic() + STARTUP
        url = None
        while url is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                raise AssertionError(f"the mock did not start listening; it said: {''.join(seen)}")
            try:
                seen.append(lines.get(timeout=remaining))
            except queue.Empty:
                continue
            found = LISTENING.search(seen[-1])
            url = found.group(1) if found else None
        while True:
            try:
                health = httpx.get(f"{url}/_asyncpay/health", timeout=2, trust_env=False)
                if health.status_code == 200 and health.json().get("ok"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}/_asyncpay/health never answered ok")
            try:
                process.wait(timeout=0.1)  # the pause doubles as a check that it is still alive
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"the mock exited with {process.returncode}: {''.join(seen)}")
        assert health.json().get("faults") == list(faults), health.json()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drainer.join(STARTUP)  # it ends at the pipe's end of file, now the mock has exited
        assert process.stderr is not None
        process.stderr.close()


def run_against(url: str, paths: list[str], tmp_path: Path, *args: str) -> SuiteRun:
    profile = tmp_path / "external-mock.toml"
    profile.write_text(profile_toml(overpay=url, opp=url, timing=TIMING, name="external mock",
                                    extra=TASK_FAILURE), encoding="utf-8")
    return run_suites(paths, profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=240,
                      args=args)


def test_the_scenarios_pass_on_the_mock_run_as_an_external_target(tmp_path: Path) -> None:
    with mock_process() as url:
        run = run_against(url, ["suites/scenarios"], tmp_path, "-n", "2")

    assert run.returncode == 0, f"exit code {run.returncode}; output ends:\n{run.tail()}"
    verdicts = {c["test"]: c["verdict"] for c in run.checks()}
    assert "failed" not in verdicts.values() and "error" not in verdicts.values(), verdicts
    rules = run.summary()["rules"]
    # Real time, short retention: both ends of the 24 h rule are checked in this one run.
    for rule in ("overpay.retention-kept", "overpay.retention-expiry", "overpay.error-once",
                 "overpay.task-failure-once", "opp.notification-arrives", "opp.final-state"):
        assert rules[rule]["verdict"] == "passed", (rule, rules[rule])


def test_a_fault_in_the_external_mock_fails_the_rule_it_breaks(tmp_path: Path) -> None:
    with mock_process("result-never-expires") as url:
        run = run_against(url, ["suites/scenarios/overpay/test_retention.py"], tmp_path)

    assert run.returncode == 1, f"exit code {run.returncode}; output ends:\n{run.tail()}"
    assert "[overpay.retention-expiry]" in run.output, run.tail()
    assert run.failed_rules() == {"overpay.retention-expiry"}
