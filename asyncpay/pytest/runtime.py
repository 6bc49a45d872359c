"""What one pytest process runs for the suites: the embedded mock (if any), the notification
receiver, one clock per target server, and the merchant roles of :mod:`asyncpay.pytest.registry`.

Each is made once, on first use; overlapped test bodies (:mod:`asyncpay.realtime.early`) may ask
for them from many threads at once, so making them is serialised. A target on the embedded mock
gets the mock's address here, on a derived copy (the session's profile is never changed).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from asyncpay.errors import NotVerified
from asyncpay.pytest.registry import role
from asyncpay.pytest.session import AsyncpaySession


class Runtime:
    """The session's servers and merchant roles, made lazily; ``close()`` stops them all."""

    def __init__(self, state: AsyncpaySession) -> None:
        self.state = state
        self.profile = state.profile
        self.redactor = state.redactor
        self.run_id = state.stamp.run_id
        self._closers: list[Any] = []
        self._mock: Any = None
        self._receiver: Any = None
        self._targets: dict[str, Any] = {}
        self._merchants: dict[str, Any] = {}
        self._clocks: dict[str, Any] = {}
        self._making = threading.RLock()

    def keep(self, closable: Any) -> Any:
        """Close ``closable`` when the runtime closes; returns it."""
        self._closers.append(closable.close)
        return closable

    def mock_url(self) -> str:
        with self._making:
            if self._mock is None:
                from asyncpay.mock import create_app
                from asyncpay.wire.server import BackgroundServer
                self._mock = BackgroundServer(create_app(self.state.mock_config)).start()
                self._closers.append(self._mock.stop)
            return str(self._mock.url)

    def receiver(self) -> Any:
        with self._making:
            if self._receiver is None:
                from asyncpay.waiting.receiver import Receiver
                rc = self.profile.receiver
                port = rc.listen_port
                worker = os.environ.get("PYTEST_XDIST_WORKER", "")
                if port and worker.startswith("gw"):
                    port += int(worker[2:])  # one receiver per worker: consecutive ports
                self._receiver = Receiver(rc.listen_host, port, rc.public_url).start()
                self._closers.append(self._receiver.stop)
            return self._receiver

    def clock(self, timing: Any, base_url: str) -> Any:
        """One clock per target server: two gateways on one mock must share its virtual time."""
        from asyncpay.waiting.clock import RealClock, VirtualClock
        if timing.clock != "virtual":
            return RealClock(timing.max_wait)
        with self._making:
            if base_url not in self._clocks:
                clock = self._clocks[base_url] = VirtualClock(base_url)
                self._closers.append(clock.close)
            return self._clocks[base_url]

    def target(self, name: str, missing_rule: str) -> Any:
        """The profile's target ``name`` as this process talks to it (the mock's address filled
        in); NotVerified(``missing_rule``) when the profile has none."""
        with self._making:
            if name not in self._targets:
                target = getattr(self.profile, name)
                if target is None:
                    raise NotVerified(missing_rule, f"the profile has no [{name}] target")
                if target.embedded:
                    target = dataclasses.replace(target, base_url=self.mock_url())
                self._targets[name] = target
            return self._targets[name]

    def merchant(self, fixture: str) -> Any:
        """The merchant role registered as ``fixture`` (shared ones made once)."""
        registered = role(fixture)
        with self._making:
            target = self.target(registered.target, registered.missing_rule)
            if not registered.shared:
                return registered.make(self, target)
            if fixture not in self._merchants:
                self._merchants[fixture] = registered.make(self, target)
            return self._merchants[fixture]

    def fixture(self, name: str) -> Any:
        """A session-level fixture by name."""
        return self.receiver() if name == "receiver" else self.merchant(name)

    def close(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except Exception:  # closing must not hide the run's real outcome
                pass
