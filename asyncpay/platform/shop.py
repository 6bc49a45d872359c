"""The merchant's shop as a process asyncpay starts (``[merchant] command``) or an address it is
given (``[merchant] base_url``): started with the simulated platform's addresses and credentials
in the environment the profile names, probed until it answers, stopped at the end.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from types import TracebackType

import httpx

from asyncpay.config.merchant import MerchantConfig, fill
from asyncpay.errors import HarnessError

#: Between readiness probes (seconds).
PROBE_INTERVAL = 0.05


#: Ports the shop is started on: below Linux's ephemeral range (32768-60999), so no server that
#: asks the system for any free port can take the one picked between the check and the shop's bind.
SHOP_PORTS = range(20000, 32768)


def free_port(host: str = "127.0.0.1") -> int:
    """A port in SHOP_PORTS nobody listens on now."""
    for port in random.sample(SHOP_PORTS, 50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    raise HarnessError(f"no free port for the shop in {SHOP_PORTS.start}-{SHOP_PORTS.stop - 1}")


class Shop:
    """The shop under test. ``url`` is its base URL once started."""

    def __init__(self, config: MerchantConfig, platform_values: dict[str, str],
                 extra_env: dict[str, str] | None = None) -> None:
        self.config = config
        self.values = dict(platform_values)
        self.extra_env = dict(extra_env or {})
        self.url = config.base_url or ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    def start(self) -> Shop:
        if self.config.command is not None:
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            values = {**self.values, "shop_port": str(port), "shop_url": self.url}
            env = {**os.environ, **{name: str(fill(value, values)) for name, value in self.config.env.items()},
                   **self.extra_env}
            command = list(self.config.command)
            if command[0] in ("python", "python3"):
                command[0] = sys.executable  # the interpreter asyncpay runs on, with its packages
            self._log = tempfile.NamedTemporaryFile(prefix="asyncpay-shop-", suffix=".log")
            try:
                self._process = subprocess.Popen(command, cwd=self.config.cwd, env=env,
                                                 stdout=self._log, stderr=subprocess.STDOUT)
            except OSError as exc:
                raise HarnessError(f"[merchant] command {command!r} cannot start: {exc}") from None
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        probe = self.url + self.config.ready_path
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise HarnessError(f"the shop exited with code {self._process.returncode} before answering "
                                   f"{probe}; its output:\n{self.output()}")
            try:
                httpx.get(probe, timeout=1.0)
                if self._process is None or self._process.poll() is None:
                    return
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(PROBE_INTERVAL)
        self.stop()
        raise HarnessError(f"the shop did not answer {probe} within {self.config.start_timeout:g} s "
                           f"([merchant] start_timeout); last: {last}")

    def output(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        with open(self._log.name, "rb") as log:
            return log.read()[-4000:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Shop:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
