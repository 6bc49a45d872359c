"""The mock gateway as a separate process — ``python -m asyncpay.mock`` on a free loopback port —
and a profile that points the suites at it with timing taken from its own ``GET
/_asyncpay/config``, so the harness is told the truth about retention, delays and throttling.

Usage::

    with MockProcess("--clock", "real", "--variant", "all", "--retention", "4",
                     "--processing-delay", "0.3-1.2", cwd=ROOT) as mock:
        run = run_suites(["suites"], profile=mock.write_profile(tmp / "p.toml"), ...)
"""

from __future__ import annotations

import dataclasses
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from asyncpay.config.profile import Timing, mock_timing
from asyncpay.testing.runs import profile_toml
from asyncpay.wire.testdata import MOCK_OVERPAY_OUTCOMES

STARTUP = 30.0  # seconds for the process to listen and answer its health check
_LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")
#: The mock's own trigger for a failed task, which no sandbox documents.
TASK_FAILURE = ('[overpay.outcomes.task_failure]\n'
                f'description = "{MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]}"\n')


class MockProcess:
    """``python -m asyncpay.mock --port 0 ARGS`` in ``cwd``; ``url`` once it answers its health
    check. Stopped (terminate, then kill) on exit."""

    def __init__(self, *args: str, cwd: Path, startup: float = STARTUP) -> None:
        self.args = list(args)
        self.cwd = cwd
        self.startup = startup
        self.url = ""
        self.log: list[str] = []
        self._process: subprocess.Popen[str] | None = None
        self._drainer: threading.Thread | None = None

    def __enter__(self) -> MockProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "asyncpay.mock", "--host", "127.0.0.1", "--port", "0", *self.args],
            cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        try:
            self.url = self._wait_until_listening()
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._drainer is not None:
            self._drainer.join(self.startup)  # it ends at the pipe's end of file, now the mock has exited
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def config(self) -> dict[str, Any]:
        """The mock's effective settings (``GET /_asyncpay/config``; durations in seconds)."""
        answer = httpx.get(f"{self.url}/_asyncpay/config", timeout=5, trust_env=False)
        answer.raise_for_status()
        return dict(answer.json())

    def timing(self) -> Timing:
        """Real-clock timing for a profile: the mock's own retention, delays and read rate, and
        a ``max_wait`` (seconds) that lets a run wait out a short retention."""
        settings = self.config()
        base = Timing(request_timeout=2.0, processing_timeout=5.0, poll_interval=0.2,
                      notification_timeout=3.0, max_wait=float(settings["retention"]) + 5.0,
                      clock=settings["clock"])
        return mock_timing(settings, base)

    def write_profile(self, path: Path, name: str = "external mock") -> Path:
        """A profile for both gateways on this mock, with ``timing()``; returns ``path``."""
        timing = {key: value for key, value in dataclasses.asdict(self.timing()).items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        # Declare the API versions the mock says it speaks, as a user would declare their shop's.
        path.write_text(profile_toml(overpay=self.url, opp=self.url, timing=timing, name=name,
                                     extra=TASK_FAILURE, webhook_secret=True,
                                     api_versions=self.config().get("api_versions")), encoding="utf-8")
        return path

    # --- start-up ----------------------------------------------------------------------

    def _wait_until_listening(self) -> str:
        assert self._process is not None and self._process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        stderr = self._process.stderr

        def drain() -> None:  # keep reading, or its log would fill the pipe and stall it
            for line in stderr:
                lines.put(line)
                self.log.append(line)

        self._drainer = threading.Thread(target=drain, daemon=True, name="asyncpay-mock-process-log")
        self._drainer.start()
        deadline = time.monotonic() + self.startup
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._process.poll() is not None:
                raise RuntimeError(f"the mock did not start listening; it said: {''.join(self.log)}")
            try:
                found = _LISTENING.search(lines.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                continue
            if found:
                return found.group(1)

    def _wait_until_healthy(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup
        while True:
            try:
                health = httpx.get(f"{self.url}/_asyncpay/health", timeout=2, trust_env=False)
                if health.status_code == 200 and health.json().get("ok"):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.url}/_asyncpay/health never answered ok")
            try:
                self._process.wait(timeout=0.1)  # the pause doubles as a check that it is alive
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(f"the mock exited with {self._process.returncode}: {''.join(self.log)}")
