"""How one mock gateway instance is set up: credentials, clock, timing, fault and variant
switches. Every duration is in seconds on the mock's clock."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from asyncpay.mock.faults import check_fault_names
from asyncpay.mock.variants import VARIANTS, check_variant_names, expand_variant_names
from asyncpay.wire.testdata import (
    MOCK_ENTITY_ID,
    MOCK_SECRET_KEY,
    MOCK_SHOP_ID,
    MOCK_TOKEN,
    MOCK_WEBHOOK_SECRET,
)

CLOCK_MODES = ("virtual", "real")
#: What a COPYandPAY notification names (the docs leave it open): the checkout or its payment.
CHECKOUT_NOTIFICATIONS = ("checkout", "payment")
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


class _Default(float):
    """A timing default, marked so that a variant's setting may replace it (an explicitly
    given value is a plain float and is kept)."""


class _DefaultInt(int):
    """An integer default, marked like ``_Default``."""


#: Settings a variant may set, in the order they are applied.
_VARIANT_SETTINGS = ("processing_delay", "processing_delay_max", "pending_delay", "retention",
                     "status_reads_per_minute", "notification_delay")


@dataclass
class MockConfig:
    """Settings of one mock gateway; every field has the embedded profile's value by default.

    ``processing_delay`` alone is a fixed delay; with ``processing_delay_max`` each task draws
    its delay uniformly from the range. A variant's settings replace defaults only.

    >>> from asyncpay.mock import create_app
    >>> app = create_app(MockConfig(clock="real", retention=20, processing_delay=1))
    >>> MockConfig(variants=["short-retention"]).retention
    6.0
    """

    shop_id: str = MOCK_SHOP_ID
    secret_key: str = MOCK_SECRET_KEY
    entity_id: str = MOCK_ENTITY_ID
    token: str = MOCK_TOKEN
    #: OPP encrypted webhooks: the AES-256 key as 64 hex characters; None turns them off.
    webhook_secret: str | None = MOCK_WEBHOOK_SECRET
    clock: str = "virtual"
    #: Seconds (on the mock's clock) from task creation to its completion (the range's low end).
    processing_delay: float = _Default(2.0)
    #: The range's high end; None: every task takes exactly ``processing_delay``.
    processing_delay_max: float | None = None
    #: OPP: a pending payment becomes final after this, if the shopper never follows the redirect.
    pending_delay: float = _Default(5.0)
    #: Overpay: 200 results are kept this long from the task's creation.
    retention: float = _Default(86400.0)
    faults: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    #: OPP: status reads allowed per payment id per 60 clock seconds; 0 means unlimited.
    status_reads_per_minute: int = _DefaultInt(0)
    #: Webhooks and notifications go out after a random delay of up to this many seconds.
    notification_delay: float = _Default(0.0)
    #: OPP COPYandPAY: a checkout lives this long from its creation (documented: 30 minutes).
    checkout_lifetime: float = 1800.0
    #: OPP COPYandPAY: "checkout" notifies /v1/checkouts/{id}/payment, "payment" /v1/payments/{id}.
    checkout_notification: str = "checkout"
    #: OPP COPYandPAY: status reads allowed per checkout per 60 clock seconds (documented: 9).
    checkout_reads_per_minute: int = 9

    def __post_init__(self) -> None:
        check_variant_names(self.variants)
        self.variants = expand_variant_names(self.variants)
        explicit = {name for name in _VARIANT_SETTINGS
                    if not isinstance(getattr(self, name), _Default | _DefaultInt | None)}
        if "processing_delay" in explicit:  # a delay and its range are set together
            explicit.add("processing_delay_max")
        for variant in self.variants:
            for name, value in VARIANTS[variant].settings.items():
                if name not in explicit:
                    setattr(self, name, value)
        for name in _VARIANT_SETTINGS:  # drop the markers: plain values from here on
            value = getattr(self, name)
            if isinstance(value, _DefaultInt):
                setattr(self, name, int(value))
            elif isinstance(value, _Default):
                setattr(self, name, float(value))
        self.validate()

    def validate(self) -> None:
        """Raise ValueError on any setting the mock cannot run with."""
        if self.clock not in CLOCK_MODES:
            raise ValueError(f"clock must be one of {', '.join(CLOCK_MODES)}, got {self.clock!r}")
        for name in ("processing_delay", "pending_delay", "retention", "notification_delay", "checkout_lifetime"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.processing_delay_max is not None and self.processing_delay_max < self.processing_delay:
            raise ValueError(f"processing_delay_max ({self.processing_delay_max}) must not be "
                             f"below processing_delay ({self.processing_delay})")
        if self.status_reads_per_minute < 0:
            raise ValueError("status_reads_per_minute must not be negative")
        if self.checkout_reads_per_minute < 0:
            raise ValueError("checkout_reads_per_minute must not be negative")
        if self.checkout_notification not in CHECKOUT_NOTIFICATIONS:
            raise ValueError(f"checkout_notification must be one of {', '.join(CHECKOUT_NOTIFICATIONS)}, "
                             f"got {self.checkout_notification!r}")
        if self.webhook_secret is not None and not _HEX_KEY.match(self.webhook_secret):
            raise ValueError("webhook_secret must be 64 hex characters (a 32-byte AES key)")
        check_fault_names(self.faults)
        check_variant_names(self.variants)

    @property
    def longest_processing(self) -> float:
        """The longest a task takes, in seconds: the range's high end."""
        return max(self.processing_delay, self.processing_delay_max or 0.0)

    def draw_processing_delay(self) -> float:
        """One task's delay in seconds: fixed, or uniform over the range."""
        if self.processing_delay_max is None:
            return self.processing_delay
        return random.uniform(self.processing_delay, self.processing_delay_max)

    def draw_notification_delay(self) -> float:
        """One delivery's delay in seconds: uniform over [0, notification_delay]."""
        return random.uniform(0.0, self.notification_delay) if self.notification_delay else 0.0

    def effective(self) -> dict[str, Any]:
        """The settings the mock runs with (no credentials), as ``GET /_asyncpay/config`` shows
        them; a harness adopts its timing from these."""
        return {
            "clock": self.clock,
            "processing_delay": [self.processing_delay, self.longest_processing],
            "pending_delay": self.pending_delay,
            "retention": self.retention,
            "status_reads_per_minute": self.status_reads_per_minute,
            "notification_delay": self.notification_delay,
            "checkout_lifetime": self.checkout_lifetime,
            "checkout_reads_per_minute": self.checkout_reads_per_minute,
            # The Overpay API versions this mock speaks, for a profile to declare.
            "api_versions": [2] if "v2-only" in self.variants else [2, 3],
            "faults": sorted(self.faults),
            "variants": sorted(self.variants),
        }
