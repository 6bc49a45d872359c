"""What the mock gateway remembers: Overpay tasks and transactions, OPP payments.

Plain records; the rules about them live with the routes that serve them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Task:
    """An Overpay asynchronous task: the request, and once done its result."""

    request_id: str
    kind: str  # the URL's transaction kind: "payments", "authorizations", ...
    request: dict[str, Any]  # the body's "request" object
    base_url: str  # the public origin the task was created on
    created_at: float
    completed_at: float | None = None
    result_status: int | None = None  # the result's HTTP code, once done
    failed: bool = False  # the task itself failed: its result is {"message": ...}
    result_body: dict[str, Any] | None = None
    deliveries: int = 0  # how often a one-time (non-200) result was handed out
    gone: bool = False  # the one-time result is used up, or the result vanished
    completed_reads: int = 0
    api_version: int = 2  # X-API-Version of the request: the webhook of its transaction speaks it
    went_back: bool = False
    result_reads: int = 0

    @property
    def done(self) -> bool:
        return self.result_status is not None

    @property
    def one_time(self) -> bool:
        """Documented: a result other than HTTP 200 is returned once."""
        return self.done and self.result_status != 200


@dataclass
class Transaction:
    """An Overpay transaction; it exists once the task that created it has completed."""

    uid: str
    type: str  # "payment", "authorization", "capture", ...
    status: str  # "successful", "failed", "incomplete", "expired"
    amount: int
    currency: str
    request: dict[str, Any]
    base_url: str
    created_at: float
    updated_at: float
    message: str
    paid_at: float | None = None
    three_d_secure: str | None = None  # the verification's status: "pending", "successful", None
    verification_url: str | None = None  # where the shopper completes 3-D Secure
    parent_uid: str | None = None
    credit_card: dict[str, Any] | None = None
    api_version: int = 2  # X-API-Version of the request that created it: its webhook's shape


@dataclass
class Payment:
    """An OPP payment: the form it was created from and its result, pending or final."""

    id: str
    form: dict[str, str]
    custom_parameters: dict[str, str]
    base_url: str
    created_at: float
    result_code: str
    final_code: str | None = None  # the code a pending payment turns into
    referenced_id: str | None = None
    reads: deque[float] = field(default_factory=deque)  # status-read times, for throttling

    @property
    def pending(self) -> bool:
        return self.result_code.startswith("000.200")


class Store:
    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.transactions: dict[str, Transaction] = {}
        self.payments: dict[str, Payment] = {}
        self._by_tracking_id: dict[str, list[str]] = {}
        #: (amount, card number) -> clock time of the last transaction, for duplicate_check.
        self.recent_cards: dict[tuple[int, str], float] = {}
        #: (kind, parent_uid, amount) -> clock time of the last capture, void or refund.
        self.recent_children: dict[tuple[str, str, int], float] = {}

    def add_transaction(self, transaction: Transaction) -> None:
        self.transactions[transaction.uid] = transaction
        tracking_id = transaction.request.get("tracking_id")
        if isinstance(tracking_id, str):
            self._by_tracking_id.setdefault(tracking_id, []).append(transaction.uid)

    def by_tracking_id(self, tracking_id: str, limit: int = 10) -> list[Transaction]:
        """The most recent transactions with this tracking_id, newest first."""
        uids = self._by_tracking_id.get(tracking_id, [])
        return [self.transactions[uid] for uid in reversed(uids[-limit:])]
