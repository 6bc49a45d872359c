"""The plugin's session state is derived, never written into the loaded profile, and the gateways a
test can ask for come from one registry (fixture, marker, target, merchant factory)."""

from __future__ import annotations

import copy

import pytest

from asyncpay.config.profile import embedded_profile
from asyncpay.pytest import fixtures, plugin, registry
from asyncpay.pytest.session import embedded_mock, with_request_timeout


def test_a_request_timeout_override_derives_a_profile_and_leaves_the_loaded_one() -> None:
    loaded = embedded_profile()
    before = copy.deepcopy(loaded)
    effective = with_request_timeout(loaded, 3.5)
    assert loaded == before
    assert effective.overpay is not None and effective.opp is not None
    assert (effective.overpay.timing.request_timeout, effective.opp.timing.request_timeout) == (3.5, 3.5)
    assert with_request_timeout(loaded, None) is loaded


def test_the_embedded_mock_settings_derive_a_profile_and_leave_the_loaded_one() -> None:
    loaded = embedded_profile(variants=["all"])
    before = copy.deepcopy(loaded)
    _, effective = embedded_mock(loaded)
    assert loaded == before
    assert effective.mock_variants != ["all"]


def test_every_registered_gateway_has_its_fixture_and_makes_a_test_an_asyncpay_test() -> None:
    assert [role.fixture for role in registry.GATEWAYS] == ["overpay", "opp", "checkout"]
    for role in registry.GATEWAYS:
        made = getattr(fixtures, f"{role.fixture}_fixture")
        assert callable(made)
        assert role.fixture in plugin.SUITE_FIXTURES
    assert set(registry.markers()) == {"overpay", "opp"} <= set(plugin.SUITE_MARKERS)


def test_a_fixture_name_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register(registry.role("opp"))
