"""How one mock gateway instance is set up: credentials, clock, timing and fault switches."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from asyncpay.mock.faults import check_fault_names
from asyncpay.profile import (
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


@dataclass
class MockConfig:
    """Settings of one mock gateway; every field has the embedded profile's value by default.

    >>> app = create_app(MockConfig(clock="real", retention=20, processing_delay=1))
    """

    shop_id: str = MOCK_SHOP_ID
    secret_key: str = MOCK_SECRET_KEY
    entity_id: str = MOCK_ENTITY_ID
    token: str = MOCK_TOKEN
    #: OPP encrypted webhooks: the AES-256 key as 64 hex characters; None turns them off.
    webhook_secret: str | None = MOCK_WEBHOOK_SECRET
    clock: str = "virtual"
    #: Seconds (on the mock's clock) from task or payment creation to its completion.
    processing_delay: float = 2.0
    #: OPP: a pending payment becomes final after this, if the shopper never follows the redirect.
    pending_delay: float = 5.0
    #: Overpay: 200 results are kept this long from the task's creation.
    retention: float = 86400.0
    faults: list[str] = field(default_factory=list)
    #: OPP: status reads allowed per payment id per 60 clock seconds; 0 means unlimited.
    status_reads_per_minute: int = 0
    #: OPP COPYandPAY: a checkout lives this long from its creation (documented: 30 minutes).
    checkout_lifetime: float = 1800.0
    #: OPP COPYandPAY: "checkout" notifies /v1/checkouts/{id}/payment, "payment" /v1/payments/{id}.
    checkout_notification: str = "checkout"
    #: OPP COPYandPAY: status reads allowed per checkout per 60 clock seconds (documented: 9).
    checkout_reads_per_minute: int = 9

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError on any setting the mock cannot run with."""
        if self.clock not in CLOCK_MODES:
            raise ValueError(f"clock must be one of {', '.join(CLOCK_MODES)}, got {self.clock!r}")
        for name in ("processing_delay", "pending_delay", "retention", "checkout_lifetime"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("status_reads_per_minute", "checkout_reads_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.checkout_notification not in CHECKOUT_NOTIFICATIONS:
            raise ValueError(f"checkout_notification must be one of {', '.join(CHECKOUT_NOTIFICATIONS)}, "
                             f"got {self.checkout_notification!r}")
        if self.webhook_secret is not None and not _HEX_KEY.match(self.webhook_secret):
            raise ValueError("webhook_secret must be 64 hex characters (a 32-byte AES key)")
        check_fault_names(self.faults)
