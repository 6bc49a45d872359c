"""Overpay processing: what a request becomes — a transaction (decided by the documented test
cards), a validation error, or a failed task — and the webhook a final transaction sets off.

The routes (``overpay.py``) call this for the synchronous endpoints at once and for a task
when it completes (``processing_delay`` seconds after its creation, on the mock's clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from asyncpay.mock import overpay_v3
from asyncpay.mock.notifier import OVERPAY_WEBHOOK_RETRIES, Delivery
from asyncpay.mock.overpay_children import child_errors, declined_child
from asyncpay.mock.overpay_validation import as_amount, card_number, error_body, validate
from asyncpay.mock.runtime import MockRuntime
from asyncpay.mock.store import Task, Transaction
from asyncpay.mock.transactions import complete_verification, new_transaction, render
from asyncpay.wire.testdata import MOCK_OVERPAY_OUTCOMES
from asyncpay.wire.webhooks import basic_authorization

FAIL_THE_TASK = MOCK_OVERPAY_OUTCOMES["task_failure"]["description"]
TASK_FAILURE = {"message": "We're sorry, but something went wrong"}
TASK_FAILURE_STATUS = 500  # documented only as "not 200"
TASK_FAILURE_STATUS_VARIANT = 503  # the task-failure-503 variant
VALIDATION_STATUS = 422  # the official client's validation-error code
VALIDATION_STATUS_VARIANT = 400  # the validation-400 variant: live traffic's code
DUPLICATE_WINDOW = 30.0  # seconds: documented for duplicate_check
#: webhook-contradicts: the final status a second webhook claims instead of the stored one.
CONTRADICTION = {"successful": "failed", "failed": "successful"}


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    transaction: Transaction | None = None
    failed_task: bool = False


class Processor:
    def __init__(self, runtime: MockRuntime) -> None:
        self.rt = runtime
        self.faults = runtime.faults
        self.variants = runtime.variants
        self.store = runtime.store

    def complete(self, task: Task) -> None:
        """The task is done: its result is decided and stored (result faults applied once)."""
        outcome = self.decide(task.kind, task.request, task.base_url, api_version=task.api_version)
        task.completed_at = self.rt.clock.now()
        task.failed = outcome.failed_task
        task.result_status = outcome.status
        if outcome.transaction is not None and self.faults.on("result-missing-uid"):
            del outcome.body["transaction"]["uid"]
        task.result_body = outcome.body

    def decide(self, kind: str, request: dict[str, Any], base_url: str, *, api_version: int = 2) -> Outcome:
        """What the gateway answers to ``request`` now; creates the transaction if valid (its
        webhook in the ``api_version`` of the request that created it)."""
        now = self.rt.clock.now()
        if request.get("description") == FAIL_THE_TASK:
            status = (TASK_FAILURE_STATUS_VARIANT if self.variants.on("task-failure-503")
                      else TASK_FAILURE_STATUS)
            return Outcome(status, dict(TASK_FAILURE), failed_task=True)
        errors = validate(kind, request, now, self.store.transactions,
                          odd_echoes=self.variants.on("odd-echoes"),
                          reason_required=not self.faults.on("refund-reason-not-required"))
        errors = errors or child_errors(kind, request, self.store.transactions)
        if self.faults.on("invalid-amount-accepted"):
            errors.pop("amount", None)
            if not isinstance(request.get("amount"), int) or request["amount"] <= 0:
                request = {**request, "amount": 1}
        if errors:
            return self.validation_error(errors)
        if self._duplicate(request, now) or self._duplicate_child(kind, request, now):
            return self.validation_error({"base": ["Duplicate transaction"]}, "Duplicate transaction")
        declined = declined_child(kind, request, self.store.transactions,
                                  over_capture_fails=self.variants.on("capture-above-authorized-fails"),
                                  second_void_fails=self.variants.on("second-void-fails"))
        if declined is not None and not declined.startswith("failed: "):
            return self.validation_error({"base": [declined]}, declined.capitalize())
        parent = self.store.transactions.get(request.get("parent_uid") or "")
        tx = new_transaction(kind, self._as_recorded(kind, request), base_url, now, parent)
        if declined is not None:
            tx.status, tx.message, tx.paid_at = "failed", declined.removeprefix("failed: ").capitalize(), None
        tx.api_version = api_version
        if kind == "refunds" and self.faults.on("refund-other-parent"):
            tx.parent_uid = self._another_uid(tx.parent_uid)
        if self.faults.on("incomplete-without-redirect") and tx.verification_url is not None:
            tx.verification_url = f"{base_url}/"
        self.store.add_transaction(tx)
        if tx.status == "incomplete":
            # The shopper may never follow the redirect; the mock then completes it itself.
            self.rt.timeline.at(now + 2 * self.rt.config.longest_processing,
                                lambda: self.finish_incomplete(tx))
        else:
            self._send_webhook(tx)
        return Outcome(200, {"transaction": render(tx)}, tx)

    def validation_error(self, errors: dict[str, Any], message: str | None = None) -> Outcome:
        """The documented error shape, with the code and wrapping the variants choose."""
        body = error_body(errors, message)
        if self.variants.on("validation-wrapped"):
            body = {"response": body}
        status = VALIDATION_STATUS_VARIANT if self.variants.on("validation-400") else VALIDATION_STATUS
        return Outcome(status, body)

    def finish_incomplete(self, tx: Transaction) -> None:
        if tx.status != "incomplete":
            return
        complete_verification(tx, self.rt.clock.now())
        self._send_webhook(tx)

    def _duplicate(self, request: dict[str, Any], now: float) -> bool:
        number = card_number(request.get("credit_card"))
        amount = as_amount(request.get("amount"))
        if number is None or amount is None:
            return False
        last = self.store.recent_cards.get((amount, number))
        self.store.recent_cards[(amount, number)] = now
        return request.get("duplicate_check", True) is not False and last is not None \
            and now - last < DUPLICATE_WINDOW

    def _duplicate_child(self, kind: str, request: dict[str, Any], now: float) -> bool:
        """Documented for captures, voids and refunds: with duplicate_check (default true) the
        same parent_uid and amount within 30 s is rejected."""
        parent_uid, amount = request.get("parent_uid"), as_amount(request.get("amount"))
        if not isinstance(parent_uid, str) or amount is None:
            return False
        key = (kind, parent_uid, amount)
        last = self.store.recent_children.get(key)
        self.store.recent_children[key] = now
        return (request.get("duplicate_check", True) is not False
                and not self.faults.on("duplicate-refund-accepted")
                and last is not None and now - last < DUPLICATE_WINDOW)

    def _another_uid(self, uid: str | None) -> str:
        """The uid of a transaction other than ``uid`` (the refund-other-parent fault)."""
        others = [other for other in self.store.transactions if other != uid]
        return others[-1] if others else f"{uid}-other"

    def _as_recorded(self, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        """The request as the transaction records it. The mismatch faults alter the record
        itself, so the result, the queries and the webhook still agree with one another."""
        if kind == "captures" and self.faults.on("capture-amount-mismatch"):
            request = {**request, "amount": int(request["amount"]) + 1}
        if self.faults.on("result-amount-mismatch"):
            request = {**request, "amount": int(request["amount"]) + 1}
        if self.faults.on("result-tracking-id-mismatch"):
            request = {**request, "tracking_id": f"{request.get('tracking_id') or 'none'}-other"}
        return request

    def _send_webhook(self, tx: Transaction) -> None:
        url = tx.request.get("notification_url")
        if not url or self.faults.on("webhook-never-sent"):
            return
        body = {"transaction": render(tx)}
        if self.faults.on("webhook-other-amount"):
            body["transaction"]["amount"] += 1
        headers = {"Content-Type": self.rt.answers.media_type, "Accept": "application/json"}
        if not self.faults.on("webhook-without-credentials"):
            headers["Authorization"] = basic_authorization(self.rt.config.shop_id,
                                                           self.rt.config.secret_key)
        if tx.api_version == 3 and not self.faults.on("api-version-ignored"):
            body = overpay_v3.to_v3(body, 200)
        payload = json.dumps(self.rt.answers.overpay_body(body)).encode()
        self.rt.deliver(Delivery("overpay webhook", "POST", url, headers, payload,
                                 OVERPAY_WEBHOOK_RETRIES))
        if self.faults.on("webhook-contradicts") and tx.status in CONTRADICTION:
            body["transaction"]["status"] = CONTRADICTION[tx.status]
            payload = json.dumps(self.rt.answers.overpay_body(body)).encode()
            self.rt.deliver(Delivery("overpay webhook", "POST", url, headers, payload,
                                     OVERPAY_WEBHOOK_RETRIES))
