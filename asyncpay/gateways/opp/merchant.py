"""Playing the merchant against the Open Payment Platform's async notifications.

The merchant asks for a payment with a ``notificationUrl`` (our receiver), the platform calls it
with ``GET ?id=…&resourcePath=…``, and the merchant reads the status from ``resourcePath`` on
its *configured* server with its own token. A ``resourcePath`` that would leave that server is
a violation and is never requested. Status reads are spaced (live systems allow 2 a minute per
payment) and back off on HTTP 429 / ``800.120.100``.

Usage (against an OPP target)::

    payment = opp.pay("pending", label="flow")
    final = opp.follow_to_final(payment)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from asyncpay.checks import opp as checks
from asyncpay.checks import timeline as timeline_checks
from asyncpay.checks import transport
from asyncpay.config.profile import OppTarget
from asyncpay.gateways.randomness import RANDOM
from asyncpay.http.client import Answer, GatewayClient, bearer
from asyncpay.http.throttle import Throttle
from asyncpay.schemas import contracts
from asyncpay.timeline import Timeline, from_recording
from asyncpay.waiting.clock import TargetClock
from asyncpay.waiting.polling import await_delivery
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

THROTTLED = "800.120.100"
_counter = itertools.count(1)
#: Amounts and ids the harness picks (asyncpay.gateways.randomness).
_RANDOM = RANDOM


@dataclass
class Payment:
    id: str
    form: dict[str, str]
    answer: dict[str, Any]
    hook_path: str  # the receiver path notifications for this payment go to
    label: str
    seen: set[int] = field(default_factory=set)  # notifications already taken (by identity)
    #: ids a notification may name: the payment's (and, for a checkout, the checkout's)
    ids: tuple[str, ...] = ()
    reads: list[str] = field(default_factory=list)


@dataclass
class OppMerchant:
    target: OppTarget
    client: GatewayClient
    clock: TargetClock
    receiver: Receiver
    run_id: str
    _last_read: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- paying -------------------------------------------------------------------------
    def form(self, outcome: str, label: str) -> dict[str, str]:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        form = {
            "entityId": self.target.entity_id,
            "amount": f"{_RANDOM.randint(1, 9999)}.{_RANDOM.randint(0, 99):02d}",
            "currency": "EUR",
            "paymentBrand": "VISA",
            "paymentType": "DB",
            "card.number": "4200000000000000",
            "card.holder": "Jane Jones",
            "card.expiryMonth": "05",
            "card.expiryYear": str(dt.date.today().year + 3),
            "card.cvv": "123",
            "merchantTransactionId": f"asyncpay-{self.run_id}-{worker}-{next(_counter)}-{label}"[:255],
        }
        form.update(self.target.outcomes[outcome])
        return form

    def pay(self, outcome: str, *, label: str, notify: str = "notificationUrl",
            expect_ok: bool = True) -> Payment:
        """POST /v1/payments; ``notify`` names where the notification should go (or "")."""
        form = self.form(outcome, label)
        hook = self.receiver.endpoint(f"opp-{label}")
        if notify:
            form[notify] = hook
        answer = self.client.send("POST", "/v1/payments", form=form, label=f"pay {label}")
        if not expect_ok:
            return Payment("", form, {"http": answer.status_code, "body": answer.json}, "", label)
        body = checks.payment_answer(answer, form)
        checks.result_code_documented(body["result"]["code"], "payment answer")
        payment = Payment(body["id"], form, body, hook[len(self.receiver.public_url):], label, ids=(body["id"],))
        self.client.recording.event(payment.id, "created", f"{outcome}: {body['result']['code']}",
                                    self.clock.now())
        return payment

    # --- notifications ------------------------------------------------------------------
    def _wait_notification(self, payment: Payment, timeout: float,
                           on_timeout: Any = checks.notification_arrives) -> ReceivedRequest:
        def wait_for(seconds: float) -> ReceivedRequest:
            return self.receiver.wait_for(
                lambda r: r.path == payment.hook_path and id(r) not in payment.seen,
                seconds, describe=f"notification {len(payment.seen) + 1} for {payment.id}")

        request = await_delivery(
            wait_for, clock=self.clock, timeout=timeout, step=1.0, on_timeout=on_timeout,
            describe=f"a notification for payment {payment.id}",
            seen=lambda: [(r.method, r.path, r.raw_query[:80]) for r in self.receiver.requests()][-5:])
        payment.seen.add(id(request))
        self.client.recording.event(payment.id, "notified", f"{request.method} ?{request.raw_query[:120]}",
                                    self.clock.now())
        return request

    def next_notification(self, payment: Payment, *, on_timeout: Any = checks.notification_arrives,
                          timeout: float | None = None) -> str:
        """Wait for the next notification for ``payment``, check its documented form, return resourcePath.

        ``timeout`` defaults to the profile's notification_timeout (seconds); ``on_timeout`` is the
        check whose rule a missing notification breaks.
        """
        wait = self.target.timing.notification_timeout if timeout is None else timeout
        return self.check_notification(self._wait_notification(payment, wait, on_timeout), payment)

    def check_notification(self, request: ReceivedRequest, payment: Payment) -> str:
        """The notification's documented form; returns the resourcePath (on the configured origin)."""
        query = checks.notification_get(request)
        checks.notification_id(query, payment.ids or (payment.id,))
        return checks.resource_path(self.client, query["resourcePath"])

    # --- status reads ---------------------------------------------------------------------
    def read_status(self, resource_path: str, *, token: bool = True, entity: bool = True,
                    label: str = "status read", task: str | None = None) -> Answer:
        """GET {server}{resourcePath}?entityId=…, spaced per the profile and backing off on 429;
        ``task`` (a payment id) puts the read on that payment's timeline."""
        timing = self.target.timing
        waited = 0.0
        for attempt in range(6):
            with self._lock:
                last = self._last_read.get(resource_path)
                now = self.clock.now()
                due = now if last is None or not timing.status_read_interval else \
                    max(now, last + timing.status_read_interval)
                self._last_read[resource_path] = due
            self.clock.advance(due - now)
            answer = self.client.send("GET", resource_path, rule="opp.resource-path", what="resourcePath",
                                      params={"entityId": self.target.entity_id} if entity else None,
                                      authenticated=token, label=label, task=task)
            body = answer.json if isinstance(answer.json, dict) else {}
            throttled = answer.status_code == 429 or (body.get("result") or {}).get("code") == THROTTLED
            if not throttled or not token:
                return answer
            wait = self.client.throttle.back_off(answer.headers.get("retry-after"), attempt=attempt, waited=waited,
                                                 first=max(timing.status_read_interval, 30.0))
            if wait is None:
                break
            waited += wait
        checks.status_not_throttled_forever(resource_path, answer)

    def status(self, payment: Payment, resource_path: str) -> dict[str, Any]:
        """Read and check the payment's status at ``resource_path``."""
        answer = self.read_status(resource_path, label=f"status {payment.label}", task=payment.id)
        body = checks.status_read(answer, payment.form, payment.id, resource_path)
        group = checks.result_code_documented(body["result"]["code"], "status read")
        payment.reads.append(f"{body['result']['code']} ({group.name})")
        self.client.recording.event(payment.id, "status", f"{body['result']['code']} {group.name}",
                                    self.clock.now())
        return body

    def judge_timeline(self, payment: Payment) -> Timeline:
        """Judge the payment's whole timeline — its answer, every status read, every notification
        that reached the receiver: a final result never changes (``opp.final-result-kept``)."""
        line = from_recording(self.client.recording, payment.id, channel=lambda exchange: "status read")
        sent = [e.started for e in self.client.recording.exchanges if e.label == f"pay {payment.label}"]
        line.add("payment answer", "POST /v1/payments", 200, payment.answer, at=sent[-1] if sent else 0.0)
        line.deliveries("notification", self.receiver.requests(payment.hook_path))
        timeline_checks.opp_final_result(line)
        return line

    def follow_to_final(self, payment: Payment, resource_path: str | None = None) -> dict[str, Any]:
        """Follow the payment to a final status: a notification is a hint to read the status.

        After the first notification (or ``resource_path``, one already taken), the status it names
        is read; while it is still pending it is read again — sooner when another notification
        comes, else spaced by the profile's polling — until final, within notification_timeout.
        Fails ``opp.notification-arrives`` only when no notification came at all.
        """
        timing = self.target.timing
        if resource_path is None:
            resource_path = self._first_notification(payment)
        deadline = self.clock.now() + timing.notification_timeout
        wait = max(timing.poll_interval, 0.05)
        while True:
            body = self.status(payment, resource_path)
            code = body["result"]["code"]
            group = checks.result_code_documented(code, "status read")
            if group.final:
                return body
            left = deadline - self.clock.now()
            if left <= 0:
                checks.final_state(payment.id, code, group.name, timing.notification_timeout, payment.reads)
            try:
                resource_path = self.check_notification(
                    self._wait_notification(payment, min(wait, left), on_timeout=_no_news), payment)
            except _NoNews:
                pass
            wait = min(wait * 1.5, max(timing.poll_interval * 4, 1.0))

    def _first_notification(self, payment: Payment) -> str:
        try:
            return self.next_notification(payment)
        except Exception as exc:
            if getattr(exc, "rule", None) != "opp.notification-arrives":
                raise
            # No notification at all: is the payment still pending (final-state) or merely silent?
            answer = self.read_status(f"/v1/payments/{payment.id}", label="status read without notification")
            body = answer.json if isinstance(answer.json, dict) else {}
            code = (body.get("result") or {}).get("code", "")
            group = contracts.classify_result_code(code) if isinstance(code, str) else None
            if group is not None and not group.final:
                checks.final_state(payment.id, code, group.name, self.target.timing.notification_timeout,
                                   payment.reads)
            raise


class _NoNews(Exception):
    """No further notification within a short wait: read the status again anyway."""


def _no_news(describe: str, timeout: float, arrived: object) -> NoReturn:
    raise _NoNews(describe)


def make_client(target: OppTarget, redactor: Any, *, pause: Callable[[float], None] = time.sleep,
                **kwargs: Any) -> GatewayClient:
    """The OPP client for ``target``; ``pause`` waits out a 429 (pass the target clock's
    ``advance``: on a virtual clock, time moves on instead of sleeping)."""
    for secret in target.secrets:
        redactor.add(secret)
    return GatewayClient(target.base_url, auth=bearer(target.token), timeout=target.timing.request_timeout,
                         redactor=redactor, origin_rule="opp.resource-path", checks=transport,
                         throttle=Throttle(budget=target.timing.max_wait, pause=pause), **kwargs)
