"""Merchant scenarios for COPYandPAY: the shopper pays the checkout and comes back (genuinely,
with a crafted resourcePath, or after the checkout's lifetime)."""

from __future__ import annotations

from asyncpay.checks.merchant import (
    checkout_outcome,
    reads_status,
    status_origin,
)
from asyncpay.errors import HarnessError, NotVerified
from asyncpay.platform.driver import Order, Platform
from asyncpay.platform.scenarios.common import (
    credentials,
    judge_lures,
    needs_method,
    paid_states,
    status_reads,
    with_query,
)
from asyncpay.platform.tap import Seen


def _paid_checkout(platform: Platform, rule: str) -> tuple[Order, str]:
    """A checkout the shop prepared and the shopper paid: (order, the redirect back to the shop)."""
    needs_method(platform, rule, "checkout")
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
    judge_lures(platform, lambda lure: platform.send("GET", with_query(base, id=str(order.checkout_id),
                                                                   resourcePath=lure)),
           f"/v1/checkouts/{order.checkout_id}/payment", "the shopper's return")


def checkout_return_read(platform: Platform) -> None:
    """The shopper's genuine return: answered, the checkout's status read at the server only."""
    order, location = _paid_checkout(platform, "merchant.reads-status")
    mark = platform.mark()
    answer = platform.send("GET", location).status_code
    resource = f"/v1/checkouts/{order.checkout_id}/payment"
    within = platform.merchant.status_read_within
    platform.wait_for(lambda: resource in status_reads(platform, mark), within)
    status_origin(platform.landed_since(mark), credentials(platform), lure="the shopper's genuine return")
    reads_status(answer, status_reads(platform, mark), delivery="the shopper's return", resource=resource,
                 within=within)


def checkout_paid_in_time(platform: Platform) -> None:
    """The shopper pays the live checkout and comes back: the order is paid."""
    paid = paid_states(platform, "merchant.checkout-expired")
    order, location = _paid_checkout(platform, "merchant.checkout-expired")
    platform.send("GET", location)
    checkout_outcome(platform.order_state(order.order_id), paid, expired=False)


def checkout_return_after_lifetime(platform: Platform) -> None:
    """The shopper comes back (a stale tab) after the checkout's 30 minutes without having paid:
    the platform answers the status read with 200.300.404, and the order is not paid."""
    paid = paid_states(platform, "merchant.checkout-expired")
    needs_method(platform, "merchant.checkout-expired", "checkout")
    mark = platform.mark()
    order = platform.start_payment("checkout")
    prepared = [s for s in platform.sent_by_shop("POST", "/v1/checkouts", mark) if s.path == "/v1/checkouts"]
    if not prepared or not order.checkout_id:
        raise HarnessError("the shop prepared no checkout at the platform (no POST /v1/checkouts)")
    result_url = _shopper_result_url(platform, prepared[-1], "merchant.checkout-expired")
    platform.advance(platform.mock_config.checkout_lifetime + 60)
    resource = f"/v1/checkouts/{order.checkout_id}/payment"
    platform.send("GET", with_query(result_url, id=order.checkout_id, resourcePath=resource))
    checkout_outcome(platform.order_state(order.order_id), paid, expired=True)
