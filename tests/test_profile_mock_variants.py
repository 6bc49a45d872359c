"""The embedded mock's variants reach it from the profile (``[mock] variants``) or the command
line (``--asyncpay-mock-variant``), and the profile adopts the mock's effective timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncpay.config.profile import DAY, Timing, embedded_profile, load_profile, mock_timing
from asyncpay.errors import ProfileError
from asyncpay.mock import VARIANTS, MockConfig
from asyncpay.mock.variants import THROTTLED_READS_PER_MINUTE
from asyncpay.pytest.session import embedded_mock


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text)
    return path


def test_mock_variants_key_starts_the_embedded_mock_with_them(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, '[mock]\nvariants = ["url-layout"]\nfaults = []\n'),
                           variants=["processing-425"])
    assert profile.embedded and profile.mock_variants == ["url-layout", "processing-425"]


def test_mock_variants_need_the_embedded_mock(tmp_path: Path) -> None:
    path = write(tmp_path, '[mock]\nvariants = ["url-layout"]\n[overpay]\nbase_url = "https://gw.test"\n'
                           'shop_id_env = "MOCK_SHOP_ID"\nsecret_key_env = "MOCK_SECRET_KEY"\n')
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOCK_SHOP_ID", "1")
        env.setenv("MOCK_SECRET_KEY", "k")
        with pytest.raises(ProfileError, match=r"\[mock\] variants apply only to the embedded mock"):
            load_profile(path)


def test_profile_adopts_the_mock_timing_a_variant_sets() -> None:
    loaded = embedded_profile(variants=["short-retention", "throttles"])
    config, profile = embedded_mock(loaded)
    assert loaded.overpay is not None and loaded.overpay.timing.retention != 6.0, "the loaded profile is left as it is"
    assert (config.retention, config.longest_processing) == (6.0, 3.0)
    for target in (profile.overpay, profile.opp):
        assert target is not None
        assert target.timing.retention == 6.0
        assert target.timing.status_read_interval == 60 / THROTTLED_READS_PER_MINUTE
        assert target.timing.clock == "virtual"


def test_all_is_spelt_out_and_unknown_variants_stop_the_run() -> None:
    config, profile = embedded_mock(embedded_profile(variants=["all"]))
    assert sorted(config.variants) == sorted(profile.mock_variants) == sorted(VARIANTS)
    with pytest.raises(ProfileError, match="no-such-variant.*--list-variants"):
        embedded_mock(embedded_profile(variants=["no-such-variant"]))


def test_mock_timing_only_lengthens_timeouts() -> None:
    settings = MockConfig(processing_delay=0.3, processing_delay_max=1.2, retention=4,
                          notification_delay=2).effective()
    timing = mock_timing(settings, Timing(processing_timeout=1, notification_timeout=100, max_wait=5))
    assert timing.retention == 4
    assert timing.processing_timeout >= 2 * 1.2 and timing.notification_timeout == 100
    assert timing.max_wait >= timing.processing_timeout
    assert mock_timing(MockConfig().effective(), Timing()).retention == DAY
