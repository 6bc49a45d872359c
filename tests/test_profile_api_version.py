"""The profile's Overpay API versions: [overpay] api_versions (or the older api_version),
[mock] overpay_api_versions."""

from pathlib import Path

import pytest

from asyncpay.config.profile import embedded_profile, load_profile
from asyncpay.errors import NotVerified, ProfileError
from asyncpay.gateways.overpay.merchant import make_client
from asyncpay.http.redaction import Redactor
from asyncpay.pytest.session import embedded_mock
from asyncpay.schemas.api_versions import declared_view, speaking

TARGET = """
[overpay]
base_url = "https://gateway.overpay.test"
shop_id_env = "T_SHOP_ID"
secret_key_env = "T_SECRET_KEY"
"""


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_SHOP_ID", "361")
    monkeypatch.setenv("T_SECRET_KEY", "sk-profile-test-0003")


def load(tmp_path: Path, text: str):
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def test_the_default_is_v2_only_and_sends_no_header(tmp_path: Path) -> None:
    target = load(tmp_path, TARGET).overpay
    assert (target.api_versions, target.api_version) == ((2,), 2)
    assert make_client(target, Redactor([])).headers == {}


def test_the_embedded_mock_declares_what_the_mock_speaks() -> None:
    profile = embedded_profile()
    assert (profile.overpay.api_versions, profile.overpay.api_version) == ((2, 3), 2)
    _, adopted = embedded_mock(embedded_profile(variants=["v2-only"]))
    assert adopted.overpay.api_versions == (2,)
    _, declared = embedded_mock(embedded_profile(variants=["v2-only"], overpay_api_versions=(2, 3)))
    assert declared.overpay.api_versions == (2, 3)  # declared in [mock]: kept, so v3 is demanded


@pytest.mark.parametrize(("text", "versions"), [("api_versions = [2, 3]\n", (2, 3)),
                                                ("api_versions = [3, 2]\n", (3, 2)),
                                                ("api_versions = [3]\n", (3,)),
                                                ("api_version = 3\n", (3,)),
                                                ("api_version = 2\n", (2,))])
def test_declared_versions_and_the_older_single_key(tmp_path: Path, text: str, versions: tuple) -> None:
    target = load(tmp_path, TARGET + text).overpay
    assert (target.api_versions, target.api_version) == (versions, versions[0])


@pytest.mark.parametrize("value", ["[]", "[2, 2]", "[4]", '["3"]', "3"])
def test_other_version_lists_are_refused_in_one_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError, match=r"\[overpay\] api_versions") as caught:
        load(tmp_path, TARGET + f"api_versions = {value}\n")
    assert "\n" not in str(caught.value)


def test_both_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="set api_versions only"):
        load(tmp_path, TARGET + "api_version = 2\napi_versions = [2, 3]\n")


def test_an_undeclared_version_is_not_verified_naming_the_key(tmp_path: Path) -> None:
    from asyncpay.gateways.overpay.merchant import OverpayMerchant
    from asyncpay.waiting.clock import RealClock

    target = load(tmp_path, TARGET).overpay
    gateway = OverpayMerchant(target, make_client(target, Redactor([])), RealClock(1.0), "run")
    assert declared_view(gateway, 2).client.headers == {}
    with pytest.raises(NotVerified, match=r"declare it: \[overpay\] api_versions = \[2, 3\]") as caught:
        declared_view(gateway, 3)
    assert caught.value.rule == "overpay.api-version"


def test_api_version_3_makes_the_client_send_the_header(tmp_path: Path) -> None:
    target = load(tmp_path, TARGET + "api_version = 3\n").overpay
    assert target.api_version == 3
    client = make_client(target, Redactor([]))
    assert client.headers == {"X-API-Version": "3"}
    assert client.throttle.budget == target.timing.max_wait


@pytest.mark.parametrize("value", ["1", "4", '"3"', "3.0", "true"])
def test_other_versions_are_refused_in_one_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError, match=r"\[overpay\] api_version") as caught:
        load(tmp_path, TARGET + f"api_version = {value}\n")
    assert "\n" not in str(caught.value)


def test_the_embedded_mock_speaks_v3_from_the_mock_table(tmp_path: Path) -> None:
    profile = load(tmp_path, "[mock]\noverpay_api_version = 3\n")
    assert profile.embedded and profile.overpay.api_versions == (3,)
    profile = load(tmp_path, "[mock]\noverpay_api_versions = [3, 2]\n")
    assert profile.embedded and profile.overpay.api_versions == (3, 2)


def test_the_mock_table_version_is_refused_for_a_real_target(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="overpay_api_versions applies only to the embedded mock"):
        load(tmp_path, TARGET + "[mock]\noverpay_api_version = 3\n")


def test_a_gateway_view_speaks_another_version(tmp_path: Path) -> None:
    from asyncpay.gateways.overpay.merchant import OverpayMerchant
    from asyncpay.waiting.clock import RealClock

    target = load(tmp_path, TARGET + "api_version = 3\n").overpay
    clock = RealClock(1.0)
    gateway = OverpayMerchant(target, make_client(target, Redactor([]), pause=clock.advance), clock, "run")
    classic = speaking(gateway, 2)
    assert (classic.target.api_versions, classic.client.headers) == ((2, 3), {})
    assert (gateway.target.api_version, gateway.client.headers) == (3, {"X-API-Version": "3"})
    assert classic.client.throttle.pause == gateway.clock.advance
