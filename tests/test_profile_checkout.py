"""The profile's COPYandPAY keys: [opp.timing] checkout_lifetime and checkout_read_interval,
[opp.outcomes.checkout] — read as written, defaulted as documented, mistakes refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncpay.config.profile import OPP_OUTCOMES, embedded_profile, load_profile
from asyncpay.errors import ProfileError

OPP = """
[opp]
base_url = "https://eu-test.oppwa.test"
entity_id_env = "T_ENTITY_ID"
token_env = "T_TOKEN"
"""


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_ENTITY_ID", "8a8294174b7e")
    monkeypatch.setenv("T_TOKEN", "token-profile-test-0002")


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def test_checkout_keys_read_as_written(tmp_path: Path) -> None:
    profile = load(tmp_path, OPP + """
[opp.timing]
checkout_lifetime = 600
checkout_read_interval = 7
[opp.outcomes.checkout]
paymentBrand = "MASTER"
card = { number = "5454545454545454", holder = "Jane Jones" }
""")
    opp = profile.opp  # type: ignore[attr-defined]
    assert (opp.timing.checkout_lifetime, opp.timing.checkout_read_interval) == (600.0, 7.0)
    assert opp.outcomes["checkout"] == {"paymentBrand": "MASTER", "card.number": "5454545454545454",
                                        "card.holder": "Jane Jones"}


def test_checkout_defaults_are_the_documented_ones(tmp_path: Path) -> None:
    opp = load(tmp_path, OPP).opp  # type: ignore[attr-defined]
    assert (opp.timing.checkout_lifetime, opp.timing.checkout_read_interval) == (1800.0, 0.0)
    assert opp.outcomes["checkout"] == OPP_OUTCOMES["checkout"] == {"paymentBrand": "VISA",
                                                                    "card.number": "4200000000000000"}
    embedded = embedded_profile().opp
    assert embedded is not None and embedded.timing.checkout_lifetime == 1800.0


@pytest.mark.parametrize(("text", "message"), [
    (OPP + "[opp.timing]\ncheckout_lifetime = -1\n", "[opp.timing] checkout_lifetime: must not be negative"),
    (OPP + "[opp.timing]\ncheckout_lifetime = \"30 min\"\n", "[opp.timing] checkout_lifetime: expected float"),
    (OPP + "[opp.timing]\ncheckout_read_interval = nan\n",
     "[opp.timing] checkout_read_interval: must be a finite number"),
    ("""
[overpay]
base_url = "https://gateway.overpay.test"
shop_id_env = "T_ENTITY_ID"
secret_key_env = "T_TOKEN"
[overpay.timing]
checkout_lifetime = 1800
""", "[overpay.timing] unknown key(s): checkout_lifetime"),
])
def test_checkout_key_mistakes_are_refused_in_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError) as refused:
        load(tmp_path, text)
    assert message in str(refused.value) and "\n" not in str(refused.value)
