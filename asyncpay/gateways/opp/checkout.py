"""Playing the shop and its shopper through an OPP COPYandPAY checkout.

COPYandPAY is OPP's second integration method with async notifications
(https://peachpayments.docs.oppwa.com/widget). The shop's server prepares a checkout with its
bearer token; the shopper's browser posts the card to the platform *without* any credentials and
is sent back to the shop with ``?id=…&resourcePath=…``; the platform notifies the shop; the shop
reads the status from ``resourcePath`` on its configured server only. We play both parts: the
shop through the OPP client, the shopper through the same client with ``authenticated=False`` —
the bearer token is never attached to the shopper's request.

Times are on the target's clock (virtual on the embedded mock), in seconds.

Usage (against an OPP target)::

    checkout = shop.prepare(label="flow")
    back = shop.shopper_pays(checkout)
    payment = shop.status(checkout, back.resource_path)
    resource_path = shop.next_notification(checkout)
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from asyncpay.checks import checkout as checks
from asyncpay.checks import opp as opp_checks
from asyncpay.checks import timeline as timeline_checks
from asyncpay.config.profile import OppTarget
from asyncpay.errors import ContractViolation, NotVerified
from asyncpay.gateways.opp.merchant import OppMerchant
from asyncpay.gateways.randomness import RANDOM
from asyncpay.http.client import Answer, GatewayClient
from asyncpay.http.recording import Recording
from asyncpay.schemas import contracts
from asyncpay.timeline import Timeline, from_recording
from asyncpay.waiting.clock import TargetClock
from asyncpay.waiting.polling import await_delivery
from asyncpay.waiting.receiver import ReceivedRequest, Receiver

#: Documented live rate of status reads per checkout: 9 a minute.
DOCUMENTED_READS_PER_MINUTE = 9
_counter = itertools.count(1)


@dataclass
class Checkout:
    """A checkout we prepared: what we sent, where the platform should call us, what we saw."""

    id: str
    form: dict[str, str]  # the POST /v1/checkouts form (amount, currency, merchantTransactionId, ...)
    answer: dict[str, Any]
    label: str
    sent_at: float  # target clock, just before the POST
    answered_at: float  # target clock, once answered
    return_url: str  # shopperResultUrl, with the shop's own parameters
    hook_path: str  # the receiver path its notifications go to (notificationUrl, else shopperResultUrl)
    payments: list[str] = field(default_factory=list)  # payment ids seen, oldest first
    seen: set[int] = field(default_factory=set)  # notifications already taken (by identity)

    @property
    def resource_path(self) -> str:
        """``/v1/checkouts/{id}/payment``."""
        return checks.checkout_path(self.id)


@dataclass
class ShopperReturn:
    """How the shopper's form submission was answered: a redirect back to the shop (``location``,
    with its checked ``resource_path``) or, on a platform that answers in place, neither."""

    answer: Answer
    location: str | None = None
    resource_path: str | None = None


@dataclass
class CheckoutMerchant:
    """The shop (with the OPP target's credentials) and its shopper (with none).

    Usage (``opp`` is the session's :class:`~asyncpay.gateways.opp.merchant.OppMerchant`)::

        shop = CheckoutMerchant(opp)
    """

    opp: OppMerchant
    _last_read: dict[str, float] = field(default_factory=dict)
    _reads: dict[str, list[float]] = field(default_factory=dict)  # checkout id → read times

    @property
    def target(self) -> OppTarget:
        return self.opp.target

    @property
    def client(self) -> GatewayClient:
        return self.opp.client

    @property
    def clock(self) -> TargetClock:
        return self.opp.clock

    @property
    def receiver(self) -> Receiver:
        return self.opp.receiver

    @property
    def recording(self) -> Recording:
        return self.client.recording

    @property
    def slack(self) -> float:
        """Seconds of tolerance around the lifetime: clocks and round trips differ."""
        return 0.5 if self.clock.virtual else max(1.0, 0.02 * self.target.timing.checkout_lifetime)

    # --- 1. the shop prepares the checkout --------------------------------------------------
    def form(self, label: str, **fields: str) -> dict[str, str]:
        """A valid POST /v1/checkouts form with a run-unique merchantTransactionId."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw")
        return {"entityId": self.target.entity_id,
                "amount": f"{RANDOM.randint(1, 9999)}.{RANDOM.randint(0, 99):02d}",
                "currency": "EUR", "paymentType": "DB",
                "merchantTransactionId": f"asyncpay-{self.opp.run_id}-{worker}-c{next(_counter)}-{label}"[:255],
                **fields}

    def send_checkout(self, form: dict[str, str], *, label: str) -> Answer:
        """POST /v1/checkouts with exactly ``form`` (bearer token): the raw answer."""
        return self.client.send("POST", "/v1/checkouts", form=form, label=f"checkout {label}")

    def prepare(self, *, label: str, notify: bool = True) -> Checkout:
        """Prepare a checkout whose notifications come to our receiver; checks the answer.

        ``notify=False`` leaves out notificationUrl, so the notification goes to shopperResultUrl.
        The shopperResultUrl carries parameters of the shop's own, which the redirect must keep.
        """
        notify_url = self.receiver.endpoint(f"checkout-{label}")
        return_url = f"{self.receiver.endpoint(f'checkout-back-{label}')}?shop=asyncpay&order={next(_counter)}"
        form = self.form(label, shopperResultUrl=return_url)
        if notify:
            form["notificationUrl"] = notify_url
        sent_at = self.clock.now()
        answer = self.send_checkout(form, label=label)
        answered_at = self.clock.now()
        checkout_id = checks.checkout_answer(answer)
        hook = notify_url if notify else return_url
        checkout = Checkout(checkout_id, form, answer.json, label, sent_at, answered_at, return_url,
                            self._receiver_path(hook))
        self.recording.event(checkout.id, "created", f"checkout {label} ({answer.json['result']['code']})",
                             answered_at)
        return checkout

    # --- 2. the shopper pays; 3. back to the shop ------------------------------------------
    def shopper_form(self, checkout: Checkout, outcome: str = "checkout") -> dict[str, str]:
        """What the payment form posts: the card fields of ``[opp.outcomes.<outcome>]``."""
        return {"paymentBrand": "VISA", "card.number": "4200000000000000", "card.holder": "Jane Jones",
                "card.expiryMonth": "05", "card.expiryYear": str(dt.date.today().year + 3), "card.cvv": "123",
                "shopperResultUrl": checkout.return_url, **self.target.outcomes[outcome]}

    def submit_payment(self, checkout: Checkout, outcome: str = "checkout") -> Answer:
        """The shopper's browser posts the card to ``/v1/checkouts/{id}/payment``: no token, ever.

        A redirect is the expected answer; it is returned, not followed.
        """
        answer = self.client.send("POST", checkout.resource_path, form=self.shopper_form(checkout, outcome),
                                  authenticated=False, redirect_expected=True,
                                  headers={"Accept": "text/html,application/json;q=0.9"},
                                  label=f"shopper pays {checkout.label}", task=checkout.id)
        self.recording.event(checkout.id, "shopper paid", f"{outcome}: HTTP {answer.status_code}", self.clock.now())
        return answer

    def shopper_pays(self, checkout: Checkout, outcome: str = "checkout", *,
                     rule: str = "opp.checkout-redirect") -> ShopperReturn:
        """The shopper pays and is sent back to the shop; the redirect is checked.

        A platform whose form cannot be submitted over plain HTTP (it answers an error page, a
        script, a redirect to anywhere but shopperResultUrl, anything but the way back or a
        payment) makes the steps after it *not verified*, under ``rule``.
        """
        answer = self.submit_payment(checkout, outcome)
        location = answer.headers.get("location")
        if 300 <= answer.status_code < 400 and location and not checks.lands_on(location, checkout.return_url):
            # Silent in the docs: the shopper may first pass other pages (3-D Secure, the widget).
            raise NotVerified(rule, f"the shopper's form submission sends the browser on to {location!r}, not "
                              "back to shopperResultUrl: the shopper's way continues in a browser, so the steps "
                              "after it are not verified")
        if 300 <= answer.status_code < 400 and location:
            query = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
            if "resourcePath" in query:
                checks.resource_path_relative(query["resourcePath"], "the redirect's resourcePath")
            resource_path = checks.redirect(location, checkout.return_url, checkout.id)
            self.recording.event(checkout.id, "redirect", f"back to the shop, resourcePath {resource_path}",
                                 self.clock.now())
            return ShopperReturn(answer, location, resource_path)
        body = answer.json if isinstance(answer.json, dict) else {}
        code = checks.result_code(answer)
        group = contracts.classify_result_code(code) if code else None
        if 200 <= answer.status_code < 300 and group is not None and group.kind != "error":
            if isinstance(body.get("id"), str):
                checkout.payments.append(body["id"])
            return ShopperReturn(answer)  # paid in place: there is no redirect to look at
        raise NotVerified(rule, f"the shopper's form submission to {checkout.resource_path} was answered "
                          f"HTTP {answer.status_code} ({answer.headers.get('content-type', 'no content type')}"
                          f"{', result ' + code if code else ''}): this platform's payment form cannot be "
                          "submitted over plain HTTP, so the steps after it are not verified; set "
                          "[opp.outcomes.checkout] if the card fields are the reason")

    def paid(self, checkout: Checkout, outcome: str = "checkout", *, rule: str) -> dict[str, Any]:
        """The shopper pays, comes back, and the shop reads the payment (checked): its status body.

        ``rule`` is the one a platform whose form cannot be submitted leaves not verified.
        """
        back = self.shopper_pays(checkout, outcome, rule=rule)
        if back.resource_path is None and rule == "opp.checkout-redirect":
            raise NotVerified(rule, "the shopper's payment was answered in place, without a redirect "
                              f"back to the shop (HTTP {back.answer.status_code})")
        return self.status(checkout, back.resource_path or checkout.resource_path, rule=rule)

    # --- 4. the notification -----------------------------------------------------------------
    def next_notification(self, checkout: Checkout, *, rule: str = "opp.checkout-notification",
                          timeout: float | None = None) -> str:
        """Wait for the next notification of ``checkout``, check it, return its resourcePath.

        Either documented-silent style is accepted: the checkout (``/v1/checkouts/{id}/payment``)
        or one of its payments (``/v1/payments/{id}``). The resourcePath is refused, before any
        credentialed request, if it could lead off the configured server.
        """

        def wait_for(seconds: float) -> ReceivedRequest:
            return self.receiver.wait_for(
                lambda r: r.path == checkout.hook_path and id(r) not in checkout.seen, seconds,
                describe=f"notification {len(checkout.seen) + 1} for checkout {checkout.id}")

        request = await_delivery(
            wait_for, clock=self.clock,
            timeout=self.target.timing.notification_timeout if timeout is None else timeout, step=1.0,
            on_timeout=_NEVER_ARRIVED[rule], describe=f"a notification for checkout {checkout.id}",
            seen=lambda: [(r.method, r.path, r.raw_query[:80]) for r in self.receiver.requests()][-5:])
        checkout.seen.add(id(request))
        self.recording.event(checkout.id, "notified", f"{request.method} ?{request.raw_query[:160]}", self.clock.now())
        notified_id, resource_path = checks.notification_request(
            request.method, request.param("id"), request.param("resourcePath"), request.raw_query)
        checks.resource_path_relative(resource_path, "the notification's resourcePath")
        self.client.resolve(resource_path, rule="opp.resource-path", what="the notification's resourcePath")
        named = resource_path.removeprefix("/v1/payments/") if resource_path.startswith("/v1/payments/") else None
        if {notified_id, named} - {None, checkout.id, *checkout.payments}:
            self._learn_payment(checkout)  # a payment we have not seen yet may be the checkout's
        checks.notification_names_checkout(notified_id, resource_path, checkout.id, checkout.payments)
        return resource_path

    def _learn_payment(self, checkout: Checkout) -> None:
        """Read the checkout once more to learn its latest payment's id (a notification may name it)."""
        answer = self.read(checkout, checkout.resource_path, label=f"status {checkout.label} (payment id)")
        body = answer.json if isinstance(answer.json, dict) else {}
        if answer.status_code == 200 and isinstance(body.get("id"), str) and body["id"] not in checkout.payments:
            checkout.payments.append(body["id"])

    # --- 5. status reads ---------------------------------------------------------------------
    def read(self, checkout: Checkout, resource_path: str, *, token: bool = True, entity: bool = True,
             back_off: bool = True, label: str = "status read") -> Answer:
        """GET {server}{resourcePath}?entityId=…, from the configured origin only.

        Reads of one checkout are spaced by ``checkout_read_interval`` (payments by
        ``status_read_interval``); a throttled answer is checked and, with ``back_off``, waited
        out (Retry-After, else 60/9 s, doubling: :mod:`asyncpay.http.throttle`), as long as the
        profile's ``max_wait`` allows.
        """
        checks.resource_path_relative(resource_path, "resourcePath")
        if resource_path != checkout.resource_path:
            return self.opp.read_status(resource_path, token=token, entity=entity, label=label)
        timing = self.target.timing
        answer: Answer | None = None
        waited = 0.0
        for attempt in range(6):
            last = self._last_read.get(resource_path)
            if last is not None and timing.checkout_read_interval:
                self.clock.advance(last + timing.checkout_read_interval - self.clock.now())
            self._last_read[resource_path] = self.clock.now()
            self._reads.setdefault(checkout.id, []).append(self.clock.now())
            answer = self.client.send("GET", resource_path, rule="opp.resource-path", what="resourcePath",
                                      params={"entityId": self.target.entity_id} if entity else None,
                                      authenticated=token, label=label, task=checkout.id)
            if not checks.throttle_answer(answer) or not token or not back_off:
                return answer
            self.recording.event(checkout.id, "throttled", f"HTTP 429 on read {attempt + 1}", self.clock.now())
            wait = self.client.throttle.back_off(
                answer.headers.get("retry-after"), attempt=attempt, waited=waited,
                first=max(timing.checkout_read_interval, 60.0 / DOCUMENTED_READS_PER_MINUTE))
            if wait is None:
                break
            waited += wait
        raise ContractViolation("opp.checkout-throttle", f"status reads of checkout {checkout.id} stayed throttled",
                                expected="a status answer after polite, spaced reads",
                                received=answer.summary() if answer is not None else None)

    def _rate_pause(self, checkout: Checkout) -> float:
        """Seconds to wait so the next read keeps within the documented 9 a minute per checkout."""
        recent = [at for at in self._reads.get(checkout.id, []) if at > self.clock.now() - 60.0]
        if len(recent) < DOCUMENTED_READS_PER_MINUTE:
            return 0.0
        return recent[-DOCUMENTED_READS_PER_MINUTE] + 60.0 - self.clock.now()

    def status(self, checkout: Checkout, resource_path: str, *, rule: str = "opp.checkout-status") -> dict[str, Any]:
        """Read a paid checkout's payment from ``resource_path`` and check it (``opp.checkout-status``).

        A payment still pending (``000.200``: "changes within ~30 min") is read again, spaced
        politely (never more than 9 reads a minute per checkout), until final; still pending at
        the profile's ``notification_timeout``, the steps after it are *not verified* under ``rule``.
        """
        timing = self.target.timing
        deadline = self.clock.now() + timing.notification_timeout
        wait = max(timing.poll_interval, timing.checkout_read_interval, 0.05)
        while True:
            answer = self.read(checkout, resource_path, label=f"status {checkout.label}")
            if not (answer.status_code == 200 and checks.pending_code(checks.result_code(answer))):
                break
            pending = checks.pending_status(answer, f"status read of {resource_path}")
            self.recording.event(checkout.id, "status", f"{pending['result']['code']} (pending)", self.clock.now())
            pause = max(min(wait, deadline - self.clock.now()), self._rate_pause(checkout))
            if self.clock.now() >= deadline or not self.clock.can_wait(pause):
                raise NotVerified(rule, f"checkout {checkout.id}'s payment still reads pending "
                                  f"({pending['result']['code']}) {timing.notification_timeout:g} s after the "
                                  "shopper paid (notification_timeout in the profile)")
            self.clock.advance(pause)
            wait = min(wait * 1.5, 60.0 / DOCUMENTED_READS_PER_MINUTE)
        body = checks.paid_status(answer, checkout.form, f"status read of {resource_path}")
        group = opp_checks.result_code_documented(body["result"]["code"], "checkout status read")
        if body["id"] not in checkout.payments:
            checkout.payments.append(body["id"])
        self.recording.event(checkout.id, "status", f"{body['result']['code']} ({group.name})", self.clock.now())
        return body

    # --- the timeline ------------------------------------------------------------------------
    def timeline(self, checkout: Checkout) -> Timeline:
        """Every observation of ``checkout`` in this test: the shopper's payment and its redirect,
        each status read, each notification that reached the receiver, in time order."""
        line = from_recording(self.recording, checkout.id, channel=lambda exchange: (
            "shopper's payment" if exchange.method == "POST" else "checkout status"))
        return line.deliveries("notification", self.receiver.requests(checkout.hook_path))

    def judge_timeline(self, checkout: Checkout) -> Timeline:
        """Judge the checkout's whole timeline: a payment's final result never changes
        (``opp.final-result-kept``). Returns the timeline."""
        line = self.timeline(checkout)
        try:
            timeline_checks.opp_final_result(line)
        except ContractViolation as exc:
            # Marked on the checkout's row of the report, where the reads that disagree are drawn.
            self.recording.event(checkout.id, "reads disagree", str(exc).splitlines()[0], self.clock.now())
            raise
        return line

    # --- 6. the lifetime -----------------------------------------------------------------------
    def expiry(self, checkout: Checkout) -> float:
        """The target time by which the checkout must be gone: creation + lifetime + slack."""
        return checkout.answered_at + self.target.timing.checkout_lifetime + self.slack

    def check_expired(self, checkout: Checkout) -> Answer:
        """Read the checkout after its lifetime: no longer alive (``opp.checkout-lifetime``), and
        answered with the documented session error (``opp.checkout-session-error``)."""
        answer = self.read(checkout, checkout.resource_path, label=f"status {checkout.label} after its lifetime")
        checks.expired(answer, checkout.id, self.clock.now() - checkout.sent_at)
        checks.session_error(answer, "status read of an expired checkout")
        self.recording.event(checkout.id, "expired", f"HTTP {answer.status_code} {checks.result_code(answer)}",
                             self.clock.now())
        return answer

    def ledger_data(self, checkout: Checkout) -> dict[str, Any]:
        """What a later run needs to check this checkout's expiry (kept in reports/ledger.json)."""
        return {"gateway": "opp", "kind": "checkout", "base_url": self.target.base_url, "id": checkout.id,
                "sent_at": checkout.sent_at, "answered_at": checkout.answered_at,
                "lifetime": self.target.timing.checkout_lifetime}

    def _receiver_path(self, url: str) -> str:
        """The path a request for one of our receiver URLs arrives at (query left off)."""
        return urlsplit(url[len(self.receiver.public_url):]).path


#: The check a missing checkout notification fails, by the rule the caller waits on.
_NEVER_ARRIVED = {
    "opp.checkout-notification": checks.checkout_notification_arrives,
    "opp.shopper-result-fallback": opp_checks.shopper_result_fallback,
}
