"""The merchant suites: asyncpay plays the platform against the shop the profile's ``[merchant]``
table describes (``pytest suites/merchant --asyncpay-profile examples/shop/shop.toml``).

One platform (embedded mock, canary, shop process) per process: every merchant test is in one
xdist group, so a parallel run starts the shop once. Without a ``[merchant]`` table the tests
are skipped: there is no shop to judge.
"""

from collections.abc import Iterator

import pytest

from asyncpay.config.profile import Profile
from asyncpay.http.recording import Recording
from asyncpay.http.redaction import Redactor
from asyncpay.platform.driver import Platform

#: Runs after every other merchant test: it looks at the whole run.
LAST = "test_nothing_reached_another_host_during_the_run"


def pytest_itemcollected(item: pytest.Item) -> None:
    # At collection, before pytest-xdist reads the groups: one worker (one shop) for them all.
    if str(item.path).startswith(str(item.config.rootpath / "suites" / "merchant")):
        item.add_marker(pytest.mark.xdist_group("merchant"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: getattr(item, "name", "") == LAST)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def merchant_platform(asyncpay_profile: Profile) -> Iterator[Platform]:
    """The simulated platform with the merchant's shop started against it."""
    if asyncpay_profile.merchant is None:
        pytest.skip("the profile has no [merchant] table: no shop to judge "
                    "(try --asyncpay-profile examples/shop/shop.toml)")
    with Platform(asyncpay_profile.merchant) as platform:
        yield platform


@pytest.fixture(autouse=True)
def merchant_exchanges(request: pytest.FixtureRequest, recording: Recording, redactor: Redactor) -> Iterator[None]:
    """Everything the shop sends during a merchant test goes into its recording, redacted."""
    if "merchant_platform" not in request.fixturenames:
        yield
        return
    platform: Platform = request.getfixturevalue("merchant_platform")
    config = platform.mock_config
    redactor.add_basic(config.shop_id, config.secret_key)
    platform.record_into(recording, redactor)
    yield
    platform.record_into(None)
