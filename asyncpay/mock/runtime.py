"""One running mock gateway: its settings, fault and variant switches, clock, timeline, store,
answers and notifier, and the two ways time moves on — a virtual advance, or a real-time ticker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time

from asyncpay.mock.answers import Answers
from asyncpay.mock.clock import Clock, Timeline
from asyncpay.mock.config import MockConfig
from asyncpay.mock.faults import FaultSwitches
from asyncpay.mock.notifier import Delivery, Notifier
from asyncpay.mock.store import Store
from asyncpay.mock.variants import VariantSwitches

#: How long an advance waits for the deliveries it set off (wall seconds, all steps together).
ADVANCE_DELIVERY_WAIT = 5.0
#: Real mode: how often due actions are run when no request comes in.
TICK = 0.05


class MockRuntime:
    def __init__(self, config: MockConfig) -> None:
        self.config = config
        self.faults = FaultSwitches(config.faults)
        self.variants = VariantSwitches(config.variants)
        self.answers = Answers(self.variants)
        self.clock = Clock(config.clock)
        self.timeline = Timeline()
        self.store = Store()
        self.notifier = Notifier(self.clock, self.timeline)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._advancing: asyncio.Lock | None = None

    def on_request(self) -> None:
        """Before serving a request: make sure time runs (real mode), then catch up on it."""
        self._bind_loop()
        self.run_due()

    def deliver(self, delivery: Delivery) -> None:
        """Send a webhook or notification: after the configured random delay, and twice (header
        names in lower case) under the duplicate-deliveries variant. On the serving loop."""
        copies = 1
        if self.variants.on("duplicate-deliveries"):
            headers = {name.lower(): value for name, value in delivery.headers.items()}
            delivery = dataclasses.replace(delivery, headers=headers)
            copies = 2
        for _ in range(copies):
            delay = self.config.draw_notification_delay()
            if delay > 0:
                self.timeline.at(self.clock.now() + delay, lambda: self.notifier.send(delivery))
            else:
                self.notifier.send(delivery)

    def run_due(self) -> None:
        now = self.clock.now()
        while (due := self.timeline.pop_due(now)) is not None:
            due.action()

    async def advance(self, seconds: float) -> float:
        """Move a virtual clock on, running every action that falls due on the way, each at its
        own time, and wait (5 s at most in all) for the deliveries they set off."""
        self._bind_loop()
        assert self._advancing is not None
        async with self._advancing:
            target = self.clock.now() + seconds
            deadline = time.monotonic() + ADVANCE_DELIVERY_WAIT
            while (due := self.timeline.pop_due(target)) is not None:
                self.clock.move_to(due.when)
                due.action()
                # A failed attempt schedules its retry when it ends, so wait before looking
                # for the next due action.
                await self.notifier.drain(deadline)
            self.clock.move_to(target)
            return self.clock.now()

    async def shutdown(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.notifier.aclose()

    def _bind_loop(self) -> None:
        # Lazily, on the serving loop: lifespan is off when served by BackgroundServer.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._advancing = asyncio.Lock()
            self._ticker = None
        if not self.clock.virtual and (self._ticker is None or self._ticker.done()):
            self._ticker = loop.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            self.run_due()
