"""Overpay child transactions: captures, voids and refunds of an earlier transaction.

What the documentation says of them (bePaid/beGateway card API, the pages Overpay mirrors):

* capture and void take ``parent_uid`` (the authorization) and ``amount``
  (https://docs.bepaid.by/en/integration/card_api/transactions/capture/,
  https://docs.bepaid.by/en/integration/card_api/transactions/void/);
* a refund takes ``parent_uid`` (a payment or a capture), ``amount`` and ``reason``; only an
  amount up to the parent's can be refunded, in several partial refunds
  (https://docs.bepaid.by/en/integration/card_api/transactions/refund/);
* with ``duplicate_check`` (default true) a request with the same ``parent_uid`` and amount
  within 30 s is rejected.

Where the documentation is silent the mock makes one choice and a variant switch the other: a
capture above what the authorization has left is refused (``capture-above-authorized-fails``:
a failed capture), a second void is refused (``second-void-fails``: a failed void), a parent's
uid query shows its amount as created (``parent-shows-children``: the amount left).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asyncpay.mock.overpay_validation import Errors, as_amount
from asyncpay.mock.store import Transaction

#: The URL's kind of a child → the parent types it may name.
PARENT_TYPES = {"captures": ("authorization",), "voids": ("authorization",),
                "refunds": ("payment", "capture")}
OVER_AMOUNT = "exceeds the amount left on the parent transaction"
ALREADY_VOIDED = "the authorization is already voided"


def children(parent: Transaction, transactions: Mapping[str, Transaction], child_type: str) -> list[Transaction]:
    """The successful ``child_type`` transactions recorded against ``parent``."""
    return [tx for tx in transactions.values()
            if tx.parent_uid == parent.uid and tx.type == child_type and tx.status == "successful"]


def left(parent: Transaction, transactions: Mapping[str, Transaction], kind: str) -> int:
    """Minor units still open on ``parent`` for a child of ``kind``."""
    taken = children(parent, transactions, "refund" if kind == "refunds" else "capture")
    if kind != "refunds":
        taken += children(parent, transactions, "void")
    return parent.amount - sum(tx.amount for tx in taken)


def amount_left(transaction: Transaction, transactions: Mapping[str, Transaction]) -> int:
    """What the parent-shows-children variant shows as a parent's amount: an authorization less
    its captures and voids, a payment or capture less its refunds (minor units)."""
    kind = "refunds" if transaction.type in ("payment", "capture") else "captures"
    return left(transaction, transactions, kind)


def child_errors(kind: str, request: dict[str, Any], transactions: Mapping[str, Transaction]) -> Errors:
    """What a capture, void or refund of a known parent breaks: a parent of the wrong type or not
    successful, a refund above what is left. Errors of the request's own fields (a missing
    ``parent_uid``, ``amount`` or ``reason``) are :func:`validate`'s."""
    parent = transactions.get(str(request.get("parent_uid")))
    amount = as_amount(request.get("amount"))
    if parent is None or amount is None or kind not in PARENT_TYPES:
        return {}
    if parent.type not in PARENT_TYPES[kind] or parent.status != "successful":
        return {"parent_uid": [f"is not a successful {' or '.join(PARENT_TYPES[kind])}"]}
    if kind == "refunds" and amount > left(parent, transactions, kind):
        return {"amount": [OVER_AMOUNT]}
    return {}


def declined_child(kind: str, request: dict[str, Any], transactions: Mapping[str, Transaction], *,
                   over_capture_fails: bool, second_void_fails: bool) -> str | None:
    """The docs' silences: why this capture or void is refused (a message) or, under the
    variants, declined as a failed transaction (``"failed: " + message``); None when neither."""
    parent = transactions.get(str(request.get("parent_uid")))
    amount = as_amount(request.get("amount"))
    if parent is None or amount is None:
        return None
    if kind == "voids" and children(parent, transactions, "void"):
        return ("failed: " if second_void_fails else "") + ALREADY_VOIDED
    if kind == "captures" and amount > left(parent, transactions, kind):
        return ("failed: " if over_capture_fails else "") + OVER_AMOUNT
    return None
