"""The merchant scenarios: each drives the shop through one situation the platform creates —
the legitimate one, or the documented attack or accident — and hands what the platform saw to
the check of its rule (:mod:`asyncpay.checks.merchant`). The suites under ``suites/merchant``
call these; so does the merchant matrix.

Every scenario takes a started :class:`~asyncpay.platform.driver.Platform` and returns nothing
(or raises the check's ``ContractViolation``, or ``NotVerified`` when the profile does not
describe what it needs).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

from asyncpay.checks.merchant import (
    checkout_outcome,
    fulfils_once,
    honours_throttle,
    reads_status,
    refuses_forged,
    same_request_id,
    settled_after_retention,
    spaces_status_reads,
    status_origin,
)
from asyncpay.errors import HarnessError, NotVerified
from asyncpay.platform.driver import Order, Platform
from asyncpay.platform.lures import lures
from asyncpay.platform.tap import Seen
from asyncpay.wire.webhooks import TAG_HEADER, basic_authorization, encrypt_opp_webhook

#: Seconds the platform moves its clock to complete an Overpay task / finalise a pending OPP payment.
OVERPAY_COMPLETES = 5.0
OPP_FINALISES = 6.0
#: How long a shop may take after its answer to send a request off its own bat (seconds): a leak
#: or a status read from a background task still lands inside this.
SETTLE = 1.0
#: Where the platform's held-back webhooks go: a closed loopback port (refused at once).
UNREACHABLE = "http://127.0.0.1:1/webhook"
#: The Retry-After the platform sends with a planted 429 (seconds).
RETRY_AFTER = 1
#: What the platform's forged Overpay webhooks carry instead of the shop's credentials.
FORGERIES = ("no credentials", "wrong secret key", "bad Content-Signature")
#: What the platform's forged OPP encrypted webhooks get wrong.
ENCRYPTED_FORGERIES = ("bad authentication tag", "wrong key")
#: Fulfilment requests that must reach the platform once per order.
_FOLLOW_UP_PATHS = ("/transactions/captures", "/transactions/voids", "/transactions/refunds",
                    "/async/transactions/captures", "/async/transactions/voids", "/async/transactions/refunds")


def _needs(platform: Platform, rule: str, method: str) -> None:
    if method not in platform.merchant.pay:
        raise NotVerified(rule, f"the profile has no [merchant.pay.{method}]: the shop cannot be made to pay")


def credentials(platform: Platform) -> dict[str, str]:
    config = platform.mock_config
    return {"OPP bearer token": config.token, "Overpay secret key": config.secret_key,
            "Overpay Basic credentials": basic_authorization(config.shop_id, config.secret_key)}


def _canary_host(platform: Platform) -> str:
    return f"127.0.0.1:{platform.canary.port}"


# --- OPP Server-to-Server --------------------------------------------------------------------

def _pending_opp(platform: Platform, rule: str) -> tuple[Order, str, str]:
    """A pending OPP payment the shop started: (order, payment id, the shop's notificationUrl)."""
    _needs(platform, rule, "opp")
    mark = platform.mark()
    order = platform.start_payment("opp", "pending")
    created = [s for s in platform.sent_by_shop("POST", "/v1/payments", mark) if s.path == "/v1/payments"]
    answer = created[-1].answer_json() if created else None
    if not isinstance(answer, dict) or not isinstance(answer.get("id"), str):
        raise HarnessError("the shop started no OPP payment at the platform (no POST /v1/payments)")
    target = created[-1].form().get("notificationUrl") or created[-1].form().get("shopperResultUrl")
    if not target:
        raise NotVerified(rule, "the shop's payment carried neither notificationUrl nor shopperResultUrl")
    return order, answer["id"], target


def _with_query(url: str, **params: str) -> str:
    return str(httpx.URL(url).copy_merge_params(params))


def _lured(platform: Platform, sent: Callable[[str], object], resource_path: str, what: str) -> None:
    """Send every lure through ``sent``, then judge what the canary got for each."""
    marks: list[tuple[str, int]] = []
    for name, lure in lures(_canary_host(platform), resource_path):
        marks.append((name, len(platform.canary)))
        try:
            sent(lure)
        except httpx.HTTPError:
            pass  # the answer to a crafted delivery is the shop's choice (the docs are silent)
    end = len(platform.canary)
    platform.wait_for(lambda: len(platform.canary) > end, SETTLE)
    bounds = [m for _, m in marks[1:]] + [len(platform.canary) + 1]
    for (name, start), stop in zip(marks, bounds, strict=True):
        landed = platform.canary.since(start)[:max(stop - start, 0)]
        status_origin(landed, credentials(platform), lure=f"{what} with a {name} resourcePath")


def opp_notification_lures(platform: Platform) -> None:
    """Notifications whose resourcePath names another host: the shop's token stays home."""
    _, payment_id, target = _pending_opp(platform, "merchant.status-origin")
    _lured(platform, lambda lure: platform.send("GET", _with_query(target, id=payment_id, resourcePath=lure)),
           f"/v1/payments/{payment_id}", "a notification")


def opp_genuine_notification(platform: Platform) -> None:
    """A genuine notification: the shop reads the status at its server, and nowhere else."""
    _, _, _ = _pending_opp(platform, "merchant.status-origin")
    mark = platform.mark()
    platform.advance(OPP_FINALISES)
    status_origin(platform.landed_since(mark), credentials(platform), lure="a genuine notification")


def opp_notification_read(platform: Platform) -> None:
    """A genuine notification is answered 2xx and followed by a status read."""
    _, payment_id, target = _pending_opp(platform, "merchant.reads-status")
    mark = platform.mark()
    platform.advance(OPP_FINALISES)
    resource = f"/v1/payments/{payment_id}"
    within = platform.merchant.status_read_within
    platform.wait_for(lambda: resource in _reads(platform, mark), within)
    answer = _answer(platform, lambda url: url.startswith(target) and payment_id in url, within)
    reads_status(answer, _reads(platform, mark), delivery="an OPP notification", resource=resource, within=within)


def opp_repeated_notification(platform: Platform) -> None:
    """The same notification again, twice at once and once more: one capture, one final state."""
    order, payment_id, target = _pending_opp(platform, "merchant.fulfils-once")
    platform.advance(OPP_FINALISES)
    url = _with_query(target, id=payment_id, resourcePath=f"/v1/payments/{payment_id}")
    states = [_final(platform, order)]
    answers = _at_once(lambda: platform.send("GET", url).status_code, 2)
    answers.append(platform.send("GET", url).status_code)
    states.append(_final(platform, order))
    follow_ups = [s.describe() for s in platform.sent_by_shop("POST", f"/v1/payments/{payment_id}")]
    fulfils_once(follow_ups, answers, states, deliveries="the same OPP notification three times")


def opp_notification_repeats_read_sparingly(platform: Platform) -> None:
    """The settled payment's notification again, three times: the shop's reads stay within the
    documented rate."""
    _, payment_id, target = _pending_opp(platform, "merchant.spaces-status-reads")
    platform.advance(OPP_FINALISES)
    resource = f"/v1/payments/{payment_id}"
    url = _with_query(target, id=payment_id, resourcePath=resource)
    for _ in range(3):
        platform.send("GET", url)
    reads = [s.at for s in platform.tap.since(0) if s.method == "GET" and s.path == resource]
    spaces_status_reads(reads, platform.merchant.status_reads_per_minute, resource=resource)


def _encrypted_webhook_target(platform: Platform, rule: str) -> str:
    path = platform.merchant.opp_webhook_path
    if path is None:
        raise NotVerified(rule, "the profile has no [merchant] opp_webhook_path: the shop takes no "
                                "encrypted webhooks")
    if not platform.mock_config.webhook_secret:
        raise NotVerified(rule, "the platform has no webhook secret to seal encrypted webhooks with")
    return platform.shop_url + path


def _sealed(payment: dict[str, Any], secret_hex: str) -> tuple[bytes, dict[str, str]]:
    body, headers = encrypt_opp_webhook({"type": "PAYMENT", "action": "UPDATED", "payload": payment}, secret_hex)
    return body, {"Content-Type": "text/plain", **headers}


def opp_encrypted_webhook_acknowledged(platform: Platform) -> None:
    """A genuine encrypted webhook (the payment as the platform has it, sealed with the shop's
    secret) is answered 2xx."""
    target = _encrypted_webhook_target(platform, "merchant.reads-status")
    _, payment_id, _ = _pending_opp(platform, "merchant.reads-status")
    config = platform.mock_config
    payment = platform.http.get(f"{platform.origin}/v1/payments/{payment_id}", params={"entityId": config.entity_id},
                                headers={"Authorization": f"Bearer {config.token}"}).json()
    body, headers = _sealed(payment, str(config.webhook_secret))
    answer = platform.send("POST", target, content=body, headers=headers).status_code
    reads_status(answer, [], delivery="a genuine encrypted webhook", resource=None,
                 within=platform.merchant.status_read_within)


def opp_forged_encrypted_webhook(platform: Platform, forgery: str) -> None:
    """An encrypted webhook claiming a pending payment succeeded, sealed wrongly (``forgery``, one
    of ENCRYPTED_FORGERIES): refused, and the order does not change."""
    target = _encrypted_webhook_target(platform, "merchant.refuses-forged")
    order, payment_id, _ = _pending_opp(platform, "merchant.refuses-forged")
    sent = [s for s in platform.sent_by_shop("POST", "/v1/payments") if s.path == "/v1/payments"][-1].form()
    claim = {"id": payment_id, "paymentType": sent.get("paymentType", "DB"), "amount": sent.get("amount"),
             "currency": sent.get("currency"), "merchantTransactionId": sent.get("merchantTransactionId"),
             "result": {"code": "000.000.000", "description": "Transaction succeeded"}}
    secret = str(platform.mock_config.webhook_secret)
    if forgery == "wrong key":
        body, headers = _sealed(claim, os.urandom(32).hex())
    elif forgery == "bad authentication tag":
        body, headers = _sealed(claim, secret)
        headers[TAG_HEADER] = bytes(b ^ 0xFF for b in bytes.fromhex(headers[TAG_HEADER])).hex().upper()
    else:
        raise HarnessError(f"unknown forgery {forgery!r}; known: {', '.join(ENCRYPTED_FORGERIES)}")
    before = platform.order_state(order.order_id)
    answer = platform.send("POST", target, content=body, headers=headers).status_code
    refuses_forged(answer, before, platform.order_state(order.order_id),
                   forgery=f"an encrypted webhook with a {forgery}")


# --- COPYandPAY --------------------------------------------------------------------------

def _paid_checkout(platform: Platform, rule: str) -> tuple[Order, str]:
    """A checkout the shop prepared and the shopper paid: (order, the redirect back to the shop)."""
    _needs(platform, rule, "checkout")
    mark = platform.mark()
    order = platform.start_payment("checkout")
    prepared = [s for s in platform.sent_by_shop("POST", "/v1/checkouts", mark) if s.path == "/v1/checkouts"]
    if not prepared or not order.checkout_id:
        raise HarnessError("the shop prepared no checkout at the platform (no POST /v1/checkouts)")
    result_url = _shopper_result_url(platform, prepared[-1], rule)
    # The shopper's browser posts the payment form to the platform, without the shop's token.
    paid = platform.send("POST", f"{platform.origin}/v1/checkouts/{order.checkout_id}/payment", data={
        "paymentBrand": "VISA", "card.number": "4200000000000000", "card.holder": "Jane Roe",
        "card.expiryMonth": "12", "card.expiryYear": "2035", "card.cvv": "123",
        "shopperResultUrl": result_url})
    location = paid.headers.get("location")
    if paid.status_code not in (302, 303) or not location:
        raise HarnessError(f"the platform did not send the shopper back: HTTP {paid.status_code}")
    return order, location


def _shopper_result_url(platform: Platform, prepared: Seen, rule: str) -> str:
    """Where the shopper goes back to: the checkout's shopperResultUrl, else the profile's
    ``shopper_result_path`` (the shop's payment form carries it)."""
    found = prepared.form().get("shopperResultUrl")
    if found:
        return found
    path = platform.merchant.pay["checkout"].shopper_result_path
    if path is None:
        raise NotVerified(rule, "the shop's checkout carried no shopperResultUrl and [merchant.pay.checkout] "
                                "has no shopper_result_path: the shopper cannot return")
    return platform.shop_url + path


def checkout_return_lures(platform: Platform) -> None:
    """The shopper comes back with a resourcePath naming another host: the token stays home."""
    order, location = _paid_checkout(platform, "merchant.status-origin")
    base = location.split("?", 1)[0]
    _lured(platform, lambda lure: platform.send("GET", _with_query(base, id=str(order.checkout_id),
                                                                   resourcePath=lure)),
           f"/v1/checkouts/{order.checkout_id}/payment", "the shopper's return")


def checkout_return_read(platform: Platform) -> None:
    """The shopper's genuine return: answered, the checkout's status read at the server only."""
    order, location = _paid_checkout(platform, "merchant.reads-status")
    mark = platform.mark()
    answer = platform.send("GET", location).status_code
    resource = f"/v1/checkouts/{order.checkout_id}/payment"
    within = platform.merchant.status_read_within
    platform.wait_for(lambda: resource in _reads(platform, mark), within)
    status_origin(platform.landed_since(mark), credentials(platform), lure="the shopper's genuine return")
    reads_status(answer, _reads(platform, mark), delivery="the shopper's return", resource=resource,
                 within=within)


def _final(platform: Platform, order: Order) -> str | None:
    """The order's state if it is final (paid or failed by ``[merchant.order]``), else None."""
    endpoint = platform.merchant.order
    state = platform.order_state(order.order_id)
    if endpoint is None or state not in (*endpoint.paid, *endpoint.failed):
        return None
    return state


def _order_endpoint(platform: Platform, rule: str) -> tuple[str, ...]:
    if platform.merchant.order is None:
        raise NotVerified(rule, "the profile has no [merchant.order]: the order's state cannot be seen")
    return platform.merchant.order.paid


def checkout_paid_in_time(platform: Platform) -> None:
    """The shopper pays the live checkout and comes back: the order is paid."""
    paid = _order_endpoint(platform, "merchant.checkout-expired")
    order, location = _paid_checkout(platform, "merchant.checkout-expired")
    platform.send("GET", location)
    checkout_outcome(platform.order_state(order.order_id), paid, expired=False)


def checkout_return_after_lifetime(platform: Platform) -> None:
    """The shopper comes back (a stale tab) after the checkout's 30 minutes without having paid:
    the platform answers the status read with 200.300.404, and the order is not paid."""
    paid = _order_endpoint(platform, "merchant.checkout-expired")
    _needs(platform, "merchant.checkout-expired", "checkout")
    mark = platform.mark()
    order = platform.start_payment("checkout")
    prepared = [s for s in platform.sent_by_shop("POST", "/v1/checkouts", mark) if s.path == "/v1/checkouts"]
    if not prepared or not order.checkout_id:
        raise HarnessError("the shop prepared no checkout at the platform (no POST /v1/checkouts)")
    result_url = _shopper_result_url(platform, prepared[-1], "merchant.checkout-expired")
    platform.advance(platform.mock_config.checkout_lifetime + 60)
    resource = f"/v1/checkouts/{order.checkout_id}/payment"
    platform.send("GET", _with_query(result_url, id=order.checkout_id, resourcePath=resource))
    checkout_outcome(platform.order_state(order.order_id), paid, expired=True)


# --- Overpay -----------------------------------------------------------------------------

def _overpay(platform: Platform, rule: str, outcome: str = "successful") -> tuple[Order, Seen]:
    """An Overpay payment the shop started: (order, its first task request as the platform saw it)."""
    _needs(platform, rule, "overpay")
    mark = platform.mark()
    order = platform.start_payment("overpay", outcome)
    posted = platform.sent_by_shop("POST", "/async/transactions/", mark)
    if not posted:
        raise HarnessError("the shop started no Overpay task at the platform (no POST /async/transactions/…)")
    return order, posted[0]


def _request_of(seen: Seen) -> dict[str, Any]:
    body = seen.json()
    return dict(body.get("request") or {}) if isinstance(body, dict) else {}


def overpay_task_url_lure(platform: Platform) -> None:
    """The task's status_url and response_url point at another host: the shop does not follow."""
    _needs(platform, "merchant.status-origin", "overpay")
    canary = platform.canary.origin

    def elsewhere(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        if not path.startswith("/async/transactions/") or "status_url" not in body:
            return None
        return {**body, **{key: canary + urlsplit(str(body[key])).path
                           for key in ("status_url", "response_url") if key in body}}

    mark = platform.mark()
    platform.tap.tamper = elsewhere
    try:
        platform.start_payment("overpay")
    except (HarnessError, httpx.HTTPError):
        pass  # refusing the payment is a fair answer to a task that points elsewhere
    finally:
        platform.tap.tamper = None
    platform.wait_for(lambda: len(platform.canary) > mark[1], SETTLE)
    status_origin(platform.landed_since(mark), credentials(platform),
                  lure="a task answer whose status_url and response_url name another host")


def overpay_webhook_acknowledged(platform: Platform) -> None:
    """The genuine webhook (HTTP Basic) is answered 2xx."""
    _, task = _overpay(platform, "merchant.reads-status")
    target = str(_request_of(task).get("notification_url") or "")
    if not target:
        raise NotVerified("merchant.reads-status", "the shop's task carried no notification_url")
    attempted = len(platform.deliveries())
    platform.advance(OVERPAY_COMPLETES)
    within = platform.merchant.status_read_within
    platform.wait_for(lambda: any(a["url"] == target for a in platform.deliveries()[attempted:]), within)
    # Every webhook delivered meanwhile goes to this URL (other orders' too): each must be acknowledged.
    answers = [a["status"] for a in platform.deliveries()[attempted:] if a["url"] == target]
    refused = [a for a in answers if a is None or not 200 <= a < 300]
    reads_status((refused or answers or [None])[0], [], delivery="an Overpay webhook", resource=None, within=within)


def overpay_forged_webhook(platform: Platform, forgery: str) -> None:
    """A webhook the platform did not send (``forgery``, one of FORGERIES): refused, nothing changes."""
    order, task = _overpay(platform, "merchant.refuses-forged")
    request = _request_of(task)
    target = str(request.get("notification_url") or "")
    if not target:
        raise NotVerified("merchant.refuses-forged", "the shop's task carried no notification_url")
    uid = str(uuid.uuid4())
    body = json.dumps({"transaction": {
        "uid": uid, "id": uid, "type": "authorization", "status": "successful", "test": True,
        "amount": request.get("amount"), "currency": request.get("currency"),
        "tracking_id": request.get("tracking_id"), "message": "Successfully processed"}}).encode()
    headers = {"Content-Type": "application/json"}
    config = platform.mock_config
    if forgery == "wrong secret key":
        headers["Authorization"] = basic_authorization(config.shop_id, config.secret_key[::-1])
    elif forgery == "bad Content-Signature":
        headers["Content-Signature"] = base64.b64encode(os.urandom(256)).decode()
    elif forgery != "no credentials":
        raise HarnessError(f"unknown forgery {forgery!r}; known: {', '.join(FORGERIES)}")
    before = platform.order_state(order.order_id)
    answer = platform.send("POST", target, content=body, headers=headers).status_code
    refuses_forged(answer, before, platform.order_state(order.order_id), forgery=f"a webhook with {forgery}")


def overpay_repeated_webhook(platform: Platform) -> None:
    """The genuine webhook again (twice at once, once more), then a failed attempt's webhook under
    the same tracking_id: one capture, every delivery acknowledged, one final state."""
    order, task = _overpay(platform, "merchant.fulfils-once")
    request = _request_of(task)
    target, tracking_id = str(request.get("notification_url") or ""), request.get("tracking_id")
    if not target or not tracking_id:
        raise NotVerified("merchant.fulfils-once", "the shop's task carried no notification_url or tracking_id")
    platform.advance(OVERPAY_COMPLETES)
    transaction = _transaction(platform, str(tracking_id), task.path.rsplit("/", 1)[-1].rstrip("s"))
    headers = {"Content-Type": "application/json", "Authorization": _basic(platform)}
    genuine = json.dumps({"transaction": transaction}).encode()
    states = [_final(platform, order)]
    answers = _at_once(lambda: platform.send("POST", target, content=genuine, headers=headers).status_code, 2)
    answers.append(platform.send("POST", target, content=genuine, headers=headers).status_code)
    states.append(_final(platform, order))
    failed_uid = str(uuid.uuid4())
    failed = json.dumps({"transaction": {**transaction, "uid": failed_uid, "id": failed_uid, "status": "failed",
                                         "message": "Authorization was declined"}}).encode()
    answers.append(platform.send("POST", target, content=failed, headers=headers).status_code)
    states.append(_final(platform, order))
    follow_ups = [s.describe() for s in platform.tap.since(0)
                  if s.method == "POST" and s.path in _FOLLOW_UP_PATHS
                  and _request_of(s).get("parent_uid") == transaction.get("uid")]
    fulfils_once(follow_ups, answers, states,
                 deliveries="the same webhook three times and a failed attempt's webhook after it")


def overpay_webhook_after_retention(platform: Platform) -> None:
    """The genuine webhook reaches the shop only after the task's 24 h retention (its earlier
    attempts went nowhere): it still settles the order."""
    paid = _order_endpoint(platform, "merchant.result-retention")
    _needs(platform, "merchant.result-retention", "overpay")
    held: dict[str, Any] = {}

    def hold_back(seen: Seen) -> bytes | None:
        # The task's webhook goes to a closed port: as if every attempt within the retention failed.
        body = seen.json()
        if held or seen.method != "POST" or not seen.path.startswith("/async/transactions/") \
                or not isinstance(body, dict) or not isinstance(body.get("request"), dict):
            return None
        held.update(body["request"])
        return json.dumps({"request": {**body["request"], "notification_url": UNREACHABLE}}).encode()

    platform.tap.rewrite = hold_back
    try:
        order = platform.start_payment("overpay")
    finally:
        platform.tap.rewrite = None
    target, tracking_id = held.get("notification_url"), held.get("tracking_id")
    if not target or not tracking_id:
        raise NotVerified("merchant.result-retention", "the shop's task carried no notification_url or tracking_id")
    platform.advance(platform.mock_config.retention + 3600)
    transaction = _transaction(platform, str(tracking_id), "authorization")
    answer = platform.send("POST", str(target), content=json.dumps({"transaction": transaction}).encode(),
                           headers={"Content-Type": "application/json", "Authorization": _basic(platform)})
    settled_after_retention(answer.status_code, platform.order_state(order.order_id), paid)


def _basic(platform: Platform) -> str:
    return basic_authorization(platform.mock_config.shop_id, platform.mock_config.secret_key)


def _transaction(platform: Platform, tracking_id: str, kind: str) -> dict[str, Any]:
    """The platform's own record of the shop's transaction (the tracking_id query)."""
    found = platform.http.get(f"{platform.origin}/v2/transactions/tracking_id/{tracking_id}",
                              headers={"Authorization": _basic(platform)}).json().get("transactions") or []
    transaction = next((t for t in found if t.get("type") == kind), None)
    if transaction is None:
        raise HarnessError(f"the platform has no {kind} under tracking_id {tracking_id!r}: {found}")
    return dict(transaction)


def _planted_first(platform: Platform, status: int, headers: dict[str, str]) -> Callable[[Seen], Any]:
    planted: list[Seen] = []

    def override(seen: Seen) -> tuple[int, dict[str, str], dict[str, Any]] | None:
        if planted or seen.method != "POST" or not seen.path.startswith("/async/transactions/"):
            return None
        planted.append(seen)
        return status, headers, {"message": "Too many requests: retry later" if status == 429
                                 else "Service temporarily unavailable"}
    return override


def overpay_throttled_post(platform: Platform) -> None:
    """The shop's first task POST gets 429 with Retry-After: its repeat waits that long."""
    _needs(platform, "merchant.honours-throttle", "overpay")
    mark = platform.mark()
    platform.tap.override = _planted_first(platform, 429, {"Retry-After": str(RETRY_AFTER)})
    try:
        platform.start_payment("overpay")
    finally:
        platform.tap.override = None
    posts = platform.sent_by_shop("POST", "/async/transactions/", mark)
    waited = posts[1].at - posts[0].at if len(posts) > 1 else None
    honours_throttle(float(RETRY_AFTER), waited, request=f"POST {posts[0].path}" if posts else "its POST")


def overpay_post_after_5xx(platform: Platform) -> None:
    """The shop's first task POST gets 503: a repeat carries the same RequestID."""
    _needs(platform, "merchant.same-request-id", "overpay")
    mark = platform.mark()
    platform.tap.override = _planted_first(platform, 503, {})
    try:
        platform.start_payment("overpay")
    finally:
        platform.tap.override = None
    posts = platform.sent_by_shop("POST", "/async/transactions/", mark)
    same_request_id([s.headers.get("requestid") for s in posts],
                    request=f"POST {posts[0].path}" if posts else "its POST")


# --- helpers -----------------------------------------------------------------------------

def _answer(platform: Platform, names: Callable[[str], bool], within: float) -> int | None:
    """The shop's answer to the platform's latest delivery whose URL ``names`` picks (waiting
    ``within`` seconds for it); None when there was none or no answer."""
    def latest() -> dict[str, Any] | None:
        return next((a for a in reversed(platform.deliveries()) if names(a["url"])), None)
    platform.wait_for(lambda: latest() is not None, within)
    attempt = latest()
    return None if attempt is None else attempt["status"]


def _reads(platform: Platform, mark: tuple[int, int]) -> list[str]:
    return [s.path for s in platform.seen_since(mark) if s.method == "GET"]


def _at_once(send: Callable[[], int], copies: int) -> list[int | None]:
    with ThreadPoolExecutor(max_workers=copies) as pool:
        return list(pool.map(lambda _: send(), range(copies)))


#: Every scenario, by the rule it judges, for the suites and the merchant matrix.
SCENARIOS: dict[str, list[Callable[[Platform], None]]] = {
    "merchant.status-origin": [opp_genuine_notification, opp_notification_lures, checkout_return_lures,
                               overpay_task_url_lure],
    "merchant.reads-status": [opp_notification_read, checkout_return_read, overpay_webhook_acknowledged,
                              opp_encrypted_webhook_acknowledged],
    "merchant.refuses-forged": [
        *(functools.partial(overpay_forged_webhook, forgery=f) for f in FORGERIES),
        *(functools.partial(opp_forged_encrypted_webhook, forgery=f) for f in ENCRYPTED_FORGERIES)],
    "merchant.fulfils-once": [opp_repeated_notification, overpay_repeated_webhook],
    "merchant.honours-throttle": [overpay_throttled_post],
    "merchant.same-request-id": [overpay_post_after_5xx],
    "merchant.spaces-status-reads": [opp_notification_repeats_read_sparingly],
    "merchant.result-retention": [overpay_webhook_after_retention],
    "merchant.checkout-expired": [checkout_paid_in_time, checkout_return_after_lifetime],
}
