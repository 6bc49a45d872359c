"""Status only from the configured server: a crafted resourcePath or task URL never carries the
shop's credentials to another host (the canary)."""

import pytest

from asyncpay.platform import scenarios


@pytest.mark.rule("merchant.status-origin")
def test_genuine_notification_is_read_at_the_configured_server(merchant_platform):
    scenarios.opp_genuine_notification(merchant_platform)


@pytest.mark.rule("merchant.status-origin")
def test_notification_naming_another_host_sends_no_token_there(merchant_platform):
    scenarios.opp_notification_lures(merchant_platform)


@pytest.mark.rule("merchant.status-origin")
def test_shopper_return_naming_another_host_sends_no_token_there(merchant_platform):
    scenarios.checkout_return_lures(merchant_platform)


@pytest.mark.rule("merchant.status-origin")
def test_task_urls_on_another_host_are_not_followed_with_credentials(merchant_platform):
    scenarios.overpay_task_url_lure(merchant_platform)


@pytest.mark.rule("merchant.status-origin")
def test_nothing_reached_another_host_during_the_run(merchant_platform):
    scenarios.whole_run_leaks(merchant_platform)
