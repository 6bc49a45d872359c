"""Run the suites the way a user does — ``python -m pytest suites --asyncpay-profile FILE`` in a
fresh process — under a hard timeout, and keep what came out: exit code, output, reports, time and
peak memory. Every subprocess run of the suites (the mutation matrix, the hostile-gateway, leak,
drift and sharding tests, the benchmark) goes through here, so none inherits a profile,
credentials or pytest options from the caller's environment (``suite_environment``).

Usage (``gateway`` is a gateway on loopback, e.g. a faulty mock)::

    path.write_text(profile_toml(overpay=gateway.url, opp=gateway.url, timing=FAST_TIMING))
    run = run_suites(["suites/scenarios"], profile=path, reports=tmp / "reports", cwd=ROOT)
    run.returncode, run.failed_rules()        # (1, {'overpay.retention-expiry'})
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncpay.verdicts import Verdict
from asyncpay.wire.testdata import MOCK_ENTITY_ID, MOCK_SECRET_KEY, MOCK_SHOP_ID, MOCK_TOKEN, MOCK_WEBHOOK_SECRET

#: The mock's credentials, as a profile names them (``*_env`` keys) and the run's environment holds them.
CREDENTIALS = {
    "MOCK_SHOP_ID": MOCK_SHOP_ID,
    "MOCK_SECRET_KEY": MOCK_SECRET_KEY,
    "MOCK_ENTITY_ID": MOCK_ENTITY_ID,
    "MOCK_TOKEN": MOCK_TOKEN,
    "MOCK_WEBHOOK_SECRET": MOCK_WEBHOOK_SECRET,
}
#: Short real-time bounds: a hostile gateway costs seconds, not minutes.
FAST_TIMING: dict[str, float | str] = {
    "request_timeout": 2, "processing_timeout": 5, "notification_timeout": 3, "max_wait": 5,
    "retention": 4, "poll_interval": 0.2, "clock": "real",
}
#: Variables that would change what a run does behind its arguments' back: a profile or credentials
#: exported for a sandbox must never turn a clean-mock run into a sandbox run.
SCRUBBED_PREFIXES = ("ASYNCPAY_", "OVERPAY_", "OPP_", "PYTEST_", "COV_")
# Without bytecode files pytest re-rewrites the plugins' modules (schemathesis, hypothesis) on every
# start: ~6 s of CPU a process.
_DROPPED = ("PYTHONDONTWRITEBYTECODE", "HYPOTHESIS_PROFILE")


def suite_environment(hypothesis_profile: str = "ci", **extra: str) -> dict[str, str]:
    """This process's environment without anything that would steer a suite run, plus the mock's
    credentials (``CREDENTIALS``), the Hypothesis profile and ``extra``."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(SCRUBBED_PREFIXES) and key not in _DROPPED}
    env.update(CREDENTIALS, HYPOTHESIS_PROFILE=hypothesis_profile)
    env.update(extra)
    return env


def profile_toml(*, overpay: str | None = None, opp: str | None = None,
                 timing: Mapping[str, float | str] | None = None, name: str = "test target",
                 extra: str = "", webhook_secret: bool = False,
                 api_versions: Sequence[int] | None = None) -> str:
    """A profile for the mock's credentials (read from ``CREDENTIALS``), on the given servers.

    ``api_versions``: the Overpay API versions declared (``[overpay] api_versions``); None
    leaves the profile's default (2 only).

    ``timing`` keys that belong to COPYandPAY (``checkout_*``) go to ``[opp.timing]`` only.
    ``webhook_secret``: the OPP target decrypts encrypted webhooks with the mock's key.
    """
    lines = [f"name = {json.dumps(name)}"]
    timing_lines = [f"{key} = {json.dumps(value)}" for key, value in (timing or {}).items()]
    overpay_lines = [line for line in timing_lines if not line.startswith("checkout_")]
    if overpay is not None:
        lines += ["[overpay]", f"base_url = {json.dumps(overpay)}", 'shop_id_env = "MOCK_SHOP_ID"',
                  'secret_key_env = "MOCK_SECRET_KEY"',
                  *([f"api_versions = {json.dumps(list(api_versions))}"] if api_versions else []),
                  "[overpay.timing]", *overpay_lines]
    if opp is not None:
        lines += ["[opp]", f"base_url = {json.dumps(opp)}", 'entity_id_env = "MOCK_ENTITY_ID"',
                  'token_env = "MOCK_TOKEN"',
                  *(['webhook_secret_env = "MOCK_WEBHOOK_SECRET"'] if webhook_secret else []),
                  "[opp.timing]", *timing_lines]
    return "\n".join(lines) + "\n" + extra


@dataclass
class SuiteRun:
    returncode: int
    output: str
    elapsed: float  # seconds
    hung: bool  # killed at the hard timeout
    max_rss: int  # bytes: the run's peak resident memory
    reports: Path

    def tail(self, chars: int = 4000) -> str:
        return self.output[-chars:]

    def summary(self) -> dict[str, Any]:
        path = self.reports / "summary.json"
        if not path.is_file():
            raise AssertionError(f"the run wrote no {path}; its output ends:\n{self.tail()}")
        return dict(json.loads(path.read_text(encoding="utf-8")))

    def checks(self) -> list[dict[str, Any]]:
        return list(self.summary()["checks"])

    def failed_rules(self) -> set[str]:
        return {c["failed_rule"] for c in self.checks() if c["verdict"] == Verdict.FAILED}

    def reports_size(self) -> int:
        return sum(path.stat().st_size for path in self.reports.rglob("*") if path.is_file())


class _PeakMemory:
    """The peak resident memory of one process, its own (``VmHWM`` in ``/proc``), sampled while it
    runs. ``wait4``'s ``ru_maxrss`` would also count the memory of the process it was forked from."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.bytes = 0
        self._path = Path(f"/proc/{pid}/status")
        self._done = threading.Event()
        self._every = every
        threading.Thread(target=self._sample, daemon=True, name="asyncpay-peak-memory").start()

    def _sample(self) -> None:
        while not self._done.is_set():
            try:
                for line in self._path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.bytes = max(self.bytes, int(line.split()[1]) * 1024)
            except (OSError, ValueError, IndexError):
                pass  # no /proc here, or the process has just ended
            self._done.wait(self._every)

    def stop(self) -> None:
        self._done.set()


class StartedRun:
    """A suite run under way (``start_suites``); ``wait()`` ends it and returns its ``SuiteRun``."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, reports: Path, timeout: float) -> None:
        self.process = process
        self.log = log
        self.reports = reports
        self.timeout = timeout
        self.started = time.monotonic()

    def wait(self) -> SuiteRun:
        """Wait for the run; kill it (by its pid) if it is still going ``timeout`` s after its start."""
        process = self.process
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            process.kill()

        killer = threading.Timer(max(self.timeout - (time.monotonic() - self.started), 0.0), kill)
        killer.start()
        peak = _PeakMemory(process.pid)
        try:
            # wait4, not wait: it also reports the run's peak memory where /proc cannot.
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            killer.cancel()
            peak.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        return SuiteRun(returncode=process.returncode,
                        output=self.log.read_text(encoding="utf-8", errors="replace"),
                        elapsed=time.monotonic() - self.started, hung=fired.is_set(),
                        max_rss=peak.bytes or usage.ru_maxrss * 1024, reports=self.reports)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_pytest(args: Iterable[str], *, cwd: Path, log: Path, timeout: float = 120.0,
                 hypothesis_profile: str = "ci", env: Mapping[str, str] | None = None,
                 python: str | None = None, reports: Path | None = None) -> StartedRun:
    """Start ``python -m pytest ARGS`` in ``cwd`` in ``suite_environment()`` (plus ``env``), its output
    going to ``log``: every subprocess pytest run of the project starts here."""
    command = [python or sys.executable, "-m", "pytest", *args]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=suite_environment(hypothesis_profile, **(env or {})),
                                   stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return StartedRun(process, log, reports if reports is not None else cwd / "reports", timeout)


def start_suites(paths: Iterable[str], *, profile: Path | None, reports: Path, cwd: Path,
                 timeout: float = 120.0, args: Iterable[str] = (), hypothesis_profile: str = "ci",
                 env: Mapping[str, str] | None = None, python: str | None = None) -> StartedRun:
    """Start ``python -m pytest PATHS -q --asyncpay-reports-dir REPORTS [--asyncpay-profile PROFILE]``
    in ``cwd``, in ``suite_environment()`` (plus ``env``); the output goes to ``REPORTS-output.txt``."""
    command = [*paths, "-q", "-p", "no:cacheprovider", "--asyncpay-reports-dir", str(reports), *args]
    if profile is not None:
        command += ["--asyncpay-profile", str(profile)]
    return start_pytest(command, cwd=cwd, log=reports.parent / f"{reports.name}-output.txt", timeout=timeout,
                        hypothesis_profile=hypothesis_profile, env=env, python=python, reports=reports)


def run_suites(paths: Iterable[str], *, profile: Path | None, reports: Path, cwd: Path,
               timeout: float = 120.0, args: Iterable[str] = (), hypothesis_profile: str = "ci",
               env: Mapping[str, str] | None = None, python: str | None = None) -> SuiteRun:
    """Run the suites as a user does and wait for the end (``start_suites`` + ``wait``).

    The run is killed (by its pid) if it is still going after ``timeout`` seconds; ``hung``
    then says so.
    """
    return start_suites(paths, profile=profile, reports=reports, cwd=cwd, timeout=timeout, args=args,
                        hypothesis_profile=hypothesis_profile, env=env, python=python).wait()
