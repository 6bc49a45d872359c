"""What every merchant scenario shares: timing constants, the credentials a leak is looked
for, the lures' sender, and small readers of what the platform saw."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from asyncpay.checks.merchant import (
    status_origin,
)
from asyncpay.errors import NotVerified
from asyncpay.platform.driver import Order, Platform
from asyncpay.platform.lures import lures
from asyncpay.wire.webhooks import basic_authorization

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


def needs_method(platform: Platform, rule: str, method: str) -> None:
    if method not in platform.merchant.pay:
        raise NotVerified(rule, f"the profile has no [merchant.pay.{method}]: the shop cannot be made to pay")


def credentials(platform: Platform) -> dict[str, str]:
    config = platform.mock_config
    return {"OPP bearer token": config.token, "Overpay secret key": config.secret_key,
            "Overpay Basic credentials": basic_authorization(config.shop_id, config.secret_key)}


def canary_host(platform: Platform) -> str:
    return f"127.0.0.1:{platform.canary.port}"


def with_query(url: str, **params: str) -> str:
    return str(httpx.URL(url).copy_merge_params(params))


def judge_lures(platform: Platform, sent: Callable[[str], object], resource_path: str, what: str) -> None:
    """Send every lure through ``sent``, then judge what the canary got for each."""
    marks: list[tuple[str, int]] = []
    for name, lure in lures(canary_host(platform), resource_path):
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


def final_state(platform: Platform, order: Order) -> str | None:
    """The order's state if it is final (paid or failed by ``[merchant.order]``), else None."""
    endpoint = platform.merchant.order
    state = platform.order_state(order.order_id)
    if endpoint is None or state not in (*endpoint.paid, *endpoint.failed):
        return None
    return state


def paid_states(platform: Platform, rule: str) -> tuple[str, ...]:
    if platform.merchant.order is None:
        raise NotVerified(rule, "the profile has no [merchant.order]: the order's state cannot be seen")
    return platform.merchant.order.paid


def platform_basic(platform: Platform) -> str:
    return basic_authorization(platform.mock_config.shop_id, platform.mock_config.secret_key)


def delivery_answer(platform: Platform, names: Callable[[str], bool], within: float) -> int | None:
    """The shop's answer to the platform's latest delivery whose URL ``names`` picks (waiting
    ``within`` seconds for it); None when there was none or no answer."""
    def latest() -> dict[str, Any] | None:
        return next((a for a in reversed(platform.deliveries()) if names(a["url"])), None)
    platform.wait_for(lambda: latest() is not None, within)
    attempt = latest()
    return None if attempt is None else attempt["status"]


def status_reads(platform: Platform, mark: tuple[int, int]) -> list[str]:
    return [s.path for s in platform.seen_since(mark) if s.method == "GET"]


def at_once(send: Callable[[], int], copies: int) -> list[int | None]:
    with ThreadPoolExecutor(max_workers=copies) as pool:
        return list(pool.map(lambda _: send(), range(copies)))


def whole_run_leaks(platform: Platform) -> None:
    """Every request another host got during the run so far: a shop may send a leak after the
    scenario that provoked it has been judged (a stored URL followed on a later delivery)."""
    if not len(platform.tap):
        raise NotVerified("merchant.status-origin", "no scenario ran before this one: there is no run to look at")
    status_origin(platform.canary.since(0), credentials(platform), lure="the merchant scenarios of this run")
