"""Playing the merchant against the Open Payment Platform's async notifications.

The merchant asks for a payment with a ``notificationUrl`` (our receiver), the platform calls it
with ``GET ?id=…&resourcePath=…``, and the merchant reads the status from ``resourcePath`` on
its *configured* server with its own token. A ``resourcePath`` that would leave that server is
a violation and is never requested. Status reads are spaced (live systems allow 2 a minute per
payment) and back off on HTTP 429 / ``800.120.100``.

>>> payment = opp.pay("pending", label="flow")
>>> final = opp.follow_to_final(payment)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from asyncpay import contracts
from asyncpay.client import Answer, GatewayClient, bearer
from asyncpay.clock import TargetClock
from asyncpay.errors import ContractViolation
from asyncpay.polling import await_delivery
from asyncpay.profile import OppTarget
from asyncpay.receiver import ReceivedRequest, Receiver

THROTTLED = "800.120.100"
_counter = itertools.count(1)


@dataclass
class Payment:
    id: str
    form: dict[str, str]
    answer: dict[str, Any]
    hook_path: str  # the receiver path notifications for this payment go to
    label: str
    seen: set[int] = field(default_factory=set)  # notifications already taken (by identity)
    reads: list[str] = field(default_factory=list)


def amounts_equal(a: Any, b: Any) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return False


@dataclass
class OppMerchant:
    target: OppTarget
    client: GatewayClient
    clock: TargetClock
    receiver: Receiver
    run_id: str
    _last_read: dict[str, float] = field(default_factory=dict)

    # --- paying -------------------------------------------------------------------------
    def form(self, outcome: str, label: str) -> dict[str, str]:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        form = {
            "entityId": self.target.entity_id,
            "amount": f"{random.randint(1, 9999)}.{random.randint(0, 99):02d}",
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
        body = self.payment_answer(answer, form)
        payment = Payment(body["id"], form, body, hook[len(self.receiver.public_url):], label)
        self.client.recording.event(payment.id, "created", f"{outcome}: {body['result']['code']}",
                                    self.clock.now())
        return payment

    def payment_answer(self, answer: Answer, form: dict[str, str]) -> dict[str, Any]:
        if answer.status_code != 200:
            raise ContractViolation("opp.payment-answer", "POST /v1/payments of a valid payment was not processed",
                                    expected="HTTP 200 with a payment (declines are 200 too)",
                                    received=answer.summary())
        contracts.check("opp/payment", answer.json, rule="opp.payment-answer", what="payment answer")
        body = answer.json
        self.result_group(body["result"]["code"], "payment answer")
        self.same_payment(body, form, "opp.payment-answer", "payment answer")
        return body

    def same_payment(self, body: dict[str, Any], form: dict[str, str], rule: str, what: str,
                     payment_id: str | None = None) -> None:
        want = {"amount": form["amount"], "currency": form["currency"],
                "paymentBrand": form["paymentBrand"], "paymentType": form["paymentType"]}
        got = {k: body.get(k) for k in want}
        if payment_id is not None:
            want["id"], got["id"] = payment_id, body.get("id")
        mismatched = {k for k in want if k != "amount" and got[k] is not None and got[k] != want[k]}
        if got["amount"] is not None and not amounts_equal(got["amount"], want["amount"]):
            mismatched.add("amount")
        if payment_id is not None and got["id"] != payment_id:
            mismatched.add("id")
        if mismatched:
            raise ContractViolation(rule, f"the {what} does not match the payment",
                                    expected={k: want[k] for k in sorted(mismatched)},
                                    received={k: got[k] for k in sorted(mismatched)})

    def result_group(self, code: str, what: str) -> contracts.ResultCodeGroup:
        group = contracts.classify_result_code(code)
        if group is None:
            raise ContractViolation("opp.result-code-documented", f"the {what} has an undocumented result code",
                                    expected="ddd.ddd.ddd in a documented result-code group",
                                    received=code)
        return group

    # --- notifications ------------------------------------------------------------------
    def next_notification(self, payment: Payment, *, rule: str = "opp.notification-arrives",
                          timeout: float | None = None) -> str:
        """Wait for the next notification for ``payment``, check its documented form, return resourcePath."""

        def wait_for(seconds: float) -> ReceivedRequest:
            return self.receiver.wait_for(
                lambda r: r.path == payment.hook_path and id(r) not in payment.seen,
                seconds, describe=f"notification {len(payment.seen) + 1} for {payment.id}")

        request = await_delivery(
            wait_for, clock=self.clock,
            timeout=self.target.timing.notification_timeout if timeout is None else timeout, step=1.0,
            rule=rule, describe=f"a notification for payment {payment.id}",
            seen=lambda: [(r.method, r.path, r.raw_query[:80]) for r in self.receiver.requests()][-5:])
        payment.seen.add(id(request))
        self.client.recording.event(payment.id, "notified", f"{request.method} ?{request.raw_query[:120]}",
                                    self.clock.now())
        return self.check_notification(request, payment)

    def check_notification(self, request: ReceivedRequest, payment: Payment) -> str:
        if request.method != "GET":
            raise ContractViolation("opp.notification-get", "the notification is not a GET",
                                    expected="GET {notificationUrl}?id={id}&resourcePath={resourcePath}",
                                    received={"method": request.method, "query": request.raw_query[:200]})
        query = {"id": request.param("id"), "resourcePath": request.param("resourcePath")}
        if query["id"] is None or query["resourcePath"] is None:
            raise ContractViolation("opp.notification-get", "the notification lacks id or resourcePath",
                                    expected="?id={id}&resourcePath={resourcePath}",
                                    received={"query": request.raw_query[:200]})
        if query["id"] != payment.id:
            raise ContractViolation("opp.notification-id", "the notification names another payment",
                                    expected={"id": payment.id}, received={"id": query["id"]})
        contracts.check("opp/notification-query", query, rule="opp.resource-path",
                        what="notification query")
        # Refuses (without any request) a path that would leave the configured server.
        self.client.resolve(query["resourcePath"], rule="opp.resource-path", what="resourcePath")
        return query["resourcePath"]

    # --- status reads ---------------------------------------------------------------------
    def read_status(self, resource_path: str, *, token: bool = True, entity: bool = True,
                    rule: str = "opp.status-read", label: str = "status read") -> Answer:
        """GET {server}{resourcePath}?entityId=…, spaced per the profile and backing off on 429."""
        timing = self.target.timing
        for attempt in range(6):
            last = self._last_read.get(resource_path)
            if last is not None and timing.status_read_interval:
                self.clock.advance(last + timing.status_read_interval - self.clock.now())
            self._last_read[resource_path] = self.clock.now()
            answer = self.client.send("GET", resource_path, rule="opp.resource-path", what="resourcePath",
                                      params={"entityId": self.target.entity_id} if entity else None,
                                      authenticated=token, label=label)
            body = answer.json if isinstance(answer.json, dict) else {}
            throttled = answer.status_code == 429 or (body.get("result") or {}).get("code") == THROTTLED
            if not throttled or not token:
                return answer
            retry_after = answer.headers.get("retry-after", "")
            wait = float(retry_after) if retry_after.isdigit() else max(timing.status_read_interval, 30.0)
            if not self.clock.can_wait(wait):
                break
            self.clock.advance(wait * (attempt + 1))
        raise ContractViolation(rule, f"status reads of {resource_path} stayed throttled",
                                expected="a status answer after polite, spaced reads",
                                received=answer.summary())

    def status(self, payment: Payment, resource_path: str) -> dict[str, Any]:
        answer = self.read_status(resource_path, label=f"status {payment.label}")
        if answer.status_code != 200:
            raise ContractViolation("opp.status-read", f"reading {resource_path} was not answered 200",
                                    expected="HTTP 200 with the payment's status", received=answer.summary())
        contracts.check("opp/status", answer.json, rule="opp.status-read", what=f"status read of {resource_path}")
        body = answer.json
        self.same_payment(body, payment.form, "opp.status-read", "status read", payment_id=payment.id)
        group = self.result_group(body["result"]["code"], "status read")
        payment.reads.append(f"{body['result']['code']} ({group.name})")
        self.client.recording.event(payment.id, "status", f"{body['result']['code']} {group.name}",
                                    self.clock.now())
        return body

    def follow_to_final(self, payment: Payment) -> dict[str, Any]:
        """Follow notifications until a status read is final (documented groups), within bound."""
        while True:
            try:
                resource_path = self.next_notification(payment)
            except ContractViolation as exc:
                if exc.rule != "opp.notification-arrives":
                    raise
                self._no_notification(payment, exc)
            body = self.status(payment, resource_path)
            if contracts.classify_result_code(body["result"]["code"]).final:  # type: ignore[union-attr]
                return body

    def _no_notification(self, payment: Payment, exc: ContractViolation) -> None:
        """No (further) notification: is the payment still pending (final-state) or silent?"""
        answer = self.read_status(f"/v1/payments/{payment.id}", label="status read without notification")
        body = answer.json if isinstance(answer.json, dict) else {}
        code = (body.get("result") or {}).get("code", "")
        group = contracts.classify_result_code(code) if isinstance(code, str) else None
        if group is not None and not group.final:
            raise ContractViolation("opp.final-state",
                                    f"payment {payment.id} is still pending after "
                                    f"{self.target.timing.notification_timeout:g} s",
                                    expected="a final result and a notification of it",
                                    received={"result.code": code, "group": group.name,
                                              "reads": payment.reads}) from None
        raise exc


def make_client(target: OppTarget, redactor: Any, **kwargs: Any) -> GatewayClient:
    for secret in target.secrets:
        redactor.add(secret)
    return GatewayClient(target.base_url, auth=bearer(target.token), timeout=target.timing.request_timeout,
                         redactor=redactor, origin_rule="opp.resource-path", **kwargs)
