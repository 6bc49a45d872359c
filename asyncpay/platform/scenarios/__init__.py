"""The merchant scenarios: each drives the shop through one situation the platform creates —
the legitimate one, or the documented attack or accident — and hands what the platform saw to
the check of its rule (:mod:`asyncpay.checks.merchant`). The suites under ``suites/merchant``
call these; so does the merchant matrix.

Every scenario takes a started :class:`~asyncpay.platform.driver.Platform` and returns nothing
(or raises the check's ``ContractViolation``, or ``NotVerified`` when the profile does not
describe what it needs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from asyncpay.platform.driver import Platform
from asyncpay.platform.scenarios.checkout import (
    checkout_paid_in_time,
    checkout_return_after_lifetime,
    checkout_return_lures,
    checkout_return_read,
)
from asyncpay.platform.scenarios.common import credentials, whole_run_leaks
from asyncpay.platform.scenarios.opp import (
    ENCRYPTED_FORGERIES,
    opp_encrypted_webhook_acknowledged,
    opp_forged_encrypted_webhook,
    opp_genuine_notification,
    opp_notification_lures,
    opp_notification_read,
    opp_notification_repeats_read_sparingly,
    opp_repeated_notification,
)
from asyncpay.platform.scenarios.overpay import (
    FORGERIES,
    overpay_forged_webhook,
    overpay_one_time_error,
    overpay_post_after_5xx,
    overpay_repeated_webhook,
    overpay_task_url_lure,
    overpay_throttled_post,
    overpay_webhook_acknowledged,
    overpay_webhook_after_retention,
)

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
    "merchant.one-time-result": [overpay_one_time_error],
    "merchant.result-retention": [overpay_webhook_after_retention],
    "merchant.checkout-expired": [checkout_paid_in_time, checkout_return_after_lifetime],
}

__all__ = [
    "ENCRYPTED_FORGERIES",
    "FORGERIES",
    "SCENARIOS",
    "checkout_paid_in_time",
    "checkout_return_after_lifetime",
    "checkout_return_lures",
    "checkout_return_read",
    "credentials",
    "opp_encrypted_webhook_acknowledged",
    "opp_forged_encrypted_webhook",
    "opp_genuine_notification",
    "opp_notification_lures",
    "opp_notification_read",
    "opp_notification_repeats_read_sparingly",
    "opp_repeated_notification",
    "overpay_forged_webhook",
    "overpay_one_time_error",
    "overpay_repeated_webhook",
    "overpay_task_url_lure",
    "overpay_throttled_post",
    "overpay_webhook_acknowledged",
    "overpay_webhook_after_retention",
    "whole_run_leaks",
]
