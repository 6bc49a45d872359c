"""Merchant scenarios for OPP Server-to-Server: notifications (genuine, crafted, repeated) and
encrypted webhooks."""

from __future__ import annotations

import os
from typing import Any

from asyncpay.checks.merchant import (
    fulfils_once,
    reads_status,
    refuses_forged,
    spaces_status_reads,
    status_origin,
)
from asyncpay.errors import HarnessError, NotVerified
from asyncpay.platform.driver import Order, Platform
from asyncpay.platform.scenarios.common import (
    OPP_FINALISES,
    at_once,
    credentials,
    delivery_answer,
    final_state,
    judge_lures,
    needs_method,
    status_reads,
    with_query,
)
from asyncpay.wire.webhooks import TAG_HEADER, encrypt_opp_webhook

#: What the platform's forged OPP encrypted webhooks get wrong.
ENCRYPTED_FORGERIES = ("bad authentication tag", "wrong key")

def _pending_opp(platform: Platform, rule: str) -> tuple[Order, str, str]:
    """A pending OPP payment the shop started: (order, payment id, the shop's notificationUrl)."""
    needs_method(platform, rule, "opp")
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


def opp_notification_lures(platform: Platform) -> None:
    """Notifications whose resourcePath names another host: the shop's token stays home."""
    _, payment_id, target = _pending_opp(platform, "merchant.status-origin")
    judge_lures(platform, lambda lure: platform.send("GET", with_query(target, id=payment_id, resourcePath=lure)),
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
    platform.wait_for(lambda: resource in status_reads(platform, mark), within)
    answer = delivery_answer(platform, lambda url: url.startswith(target) and payment_id in url, within)
    reads_status(answer, status_reads(platform, mark), delivery="an OPP notification", resource=resource, within=within)


def opp_repeated_notification(platform: Platform) -> None:
    """The same notification again, twice at once and once more: one capture, one final state."""
    order, payment_id, target = _pending_opp(platform, "merchant.fulfils-once")
    platform.advance(OPP_FINALISES)
    url = with_query(target, id=payment_id, resourcePath=f"/v1/payments/{payment_id}")
    states = [final_state(platform, order)]
    answers = at_once(lambda: platform.send("GET", url).status_code, 2)
    answers.append(platform.send("GET", url).status_code)
    states.append(final_state(platform, order))
    follow_ups = [s.describe() for s in platform.sent_by_shop("POST", f"/v1/payments/{payment_id}")]
    fulfils_once(follow_ups, answers, states, deliveries="the same OPP notification three times")


def opp_notification_repeats_read_sparingly(platform: Platform) -> None:
    """The settled payment's notification again, three times: the shop's reads stay within the
    documented rate."""
    _, payment_id, target = _pending_opp(platform, "merchant.spaces-status-reads")
    platform.advance(OPP_FINALISES)
    resource = f"/v1/payments/{payment_id}"
    url = with_query(target, id=payment_id, resourcePath=resource)
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
