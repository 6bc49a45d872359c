"""Merchant scenarios for Overpay's asynchronous API: task URLs elsewhere, webhooks (genuine,
forged, repeated, late), 429 and 5xx answers to the shop's POST."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from asyncpay.checks.merchant import (
    fulfils_once,
    honours_throttle,
    kept_one_time_result,
    reads_status,
    refuses_forged,
    same_request_id,
    settled_after_retention,
    status_origin,
)
from asyncpay.errors import HarnessError, NotVerified
from asyncpay.platform.driver import Order, Platform
from asyncpay.platform.scenarios.common import (
    OVERPAY_COMPLETES,
    RETRY_AFTER,
    SETTLE,
    UNREACHABLE,
    at_once,
    credentials,
    final_state,
    needs_method,
    paid_states,
    platform_basic,
)
from asyncpay.platform.tap import Seen
from asyncpay.wire.webhooks import basic_authorization

#: What the platform's forged Overpay webhooks carry instead of the shop's credentials.
FORGERIES = ("no credentials", "wrong secret key", "bad Content-Signature")
#: Fulfilment requests that must reach the platform once per order.
_FOLLOW_UP_PATHS = ("/transactions/captures", "/transactions/voids", "/transactions/refunds",
                    "/async/transactions/captures", "/async/transactions/voids", "/async/transactions/refunds")

def _overpay(platform: Platform, rule: str, outcome: str = "successful") -> tuple[Order, Seen]:
    """An Overpay payment the shop started: (order, its first task request as the platform saw it)."""
    needs_method(platform, rule, "overpay")
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
    needs_method(platform, "merchant.status-origin", "overpay")
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
    headers = {"Content-Type": "application/json", "Authorization": platform_basic(platform)}
    genuine = json.dumps({"transaction": transaction}).encode()
    states = [final_state(platform, order)]
    answers = at_once(lambda: platform.send("POST", target, content=genuine, headers=headers).status_code, 2)
    answers.append(platform.send("POST", target, content=genuine, headers=headers).status_code)
    states.append(final_state(platform, order))
    failed_uid = str(uuid.uuid4())
    failed = json.dumps({"transaction": {**transaction, "uid": failed_uid, "id": failed_uid, "status": "failed",
                                         "message": "Authorization was declined"}}).encode()
    answers.append(platform.send("POST", target, content=failed, headers=headers).status_code)
    states.append(final_state(platform, order))
    follow_ups = [s.describe() for s in platform.tap.since(0)
                  if s.method == "POST" and s.path in _FOLLOW_UP_PATHS
                  and _request_of(s).get("parent_uid") == transaction.get("uid")]
    fulfils_once(follow_ups, answers, states,
                 deliveries="the same webhook three times and a failed attempt's webhook after it")


def overpay_webhook_after_retention(platform: Platform) -> None:
    """The genuine webhook reaches the shop only after the task's 24 h retention (its earlier
    attempts went nowhere): it still settles the order."""
    paid = paid_states(platform, "merchant.result-retention")
    needs_method(platform, "merchant.result-retention", "overpay")
    held: dict[str, Any] = {}
    kinds: list[str] = []  # the kind of transaction the shop asked for, from its POST path

    def hold_back(seen: Seen) -> bytes | None:
        # The task's webhook goes to a closed port: as if every attempt within the retention failed.
        body = seen.json()
        if held or seen.method != "POST" or not seen.path.startswith("/async/transactions/") \
                or not isinstance(body, dict) or not isinstance(body.get("request"), dict):
            return None
        held.update(body["request"])
        kinds.append(seen.path.rsplit("/", 1)[-1].rstrip("s"))  # payment, authorization...
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
    transaction = _transaction(platform, str(tracking_id), kinds[0])
    answer = platform.send("POST", str(target), content=json.dumps({"transaction": transaction}).encode(),
                           headers={"Content-Type": "application/json", "Authorization": platform_basic(platform)})
    settled_after_retention(answer.status_code, platform.order_state(order.order_id), paid)


def _transaction(platform: Platform, tracking_id: str, kind: str) -> dict[str, Any]:
    """The platform's own record of the shop's transaction (the tracking_id query)."""
    found = platform.http.get(f"{platform.origin}/v2/transactions/tracking_id/{tracking_id}",
                              headers={"Authorization": platform_basic(platform)}).json().get("transactions") or []
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
    needs_method(platform, "merchant.honours-throttle", "overpay")
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
    needs_method(platform, "merchant.same-request-id", "overpay")
    mark = platform.mark()
    platform.tap.override = _planted_first(platform, 503, {})
    try:
        platform.start_payment("overpay")
    finally:
        platform.tap.override = None
    posts = platform.sent_by_shop("POST", "/async/transactions/", mark)
    same_request_id([s.headers.get("requestid") for s in posts],
                    request=f"POST {posts[0].path}" if posts else "its POST")


def overpay_one_time_error(platform: Platform) -> None:
    """A task whose result is a validation error (an expired card), done at once: the shop's
    order ends failed, from the one read the platform answers."""
    paid_states(platform, "merchant.one-time-result")  # the order endpoint is needed
    assert platform.merchant.order is not None
    failed = platform.merchant.order.failed
    needs_method(platform, "merchant.one-time-result", "overpay")
    mark = platform.mark()
    with platform.tasks_done_at_once():
        order = platform.start_payment("overpay", "validation_error")
    within = platform.merchant.status_read_within
    platform.wait_for(lambda: platform.order_state(order.order_id) in failed, within)
    answers = [s.status for s in platform.seen_since(mark) if s.method == "GET" and "/result/" in s.path]
    kept_one_time_result(platform.order_state(order.order_id), failed, answers)
