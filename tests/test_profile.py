"""Profiles: a valid one reads as written; every mistake stops the run with one line naming the
file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncpay.config.profile import (
    MOCK_SECRET_KEY,
    MOCK_TOKEN,
    OPP_OUTCOMES,
    OVERPAY_OUTCOMES,
    load_profile,
)
from asyncpay.errors import ProfileError
from asyncpay.testing.runs import run_suites

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_KEY = ROOT / "tests" / "data" / "overpay_webhook_public.pem"

FULL = """
name = "overpay and opp sandboxes"

[overpay]
base_url = "https://gateway.overpay.test/"
shop_id_env = "T_SHOP_ID"
secret_key_env = "T_SECRET_KEY"
webhooks = "signature"
webhook_public_key_file = "keys/overpay.pem"

[overpay.timing]
request_timeout = 5
processing_timeout = 30.5
poll_interval = 0.5
retention = 600
max_wait = 45
notification_timeout = 20
clock = "real"

[overpay.outcomes.successful]
credit_card = { number = "4111111111111111" }
[overpay.outcomes.task_failure]
description = "make the task fail"

[opp]
base_url = "https://eu-test.oppwa.test/api"
entity_id_env = "T_ENTITY_ID"
token_env = "T_TOKEN"
webhook_secret_env = "T_WEBHOOK_SECRET"

[opp.timing]
notification_timeout = 600
status_read_interval = 30

[opp.outcomes.declined]
card = { number = "4200000000000000", holder = "800.100.152" }
[opp.outcomes.pending]
"card.number" = "4711100000000000"
customParameters = { SHOPPER_note = "pending" }

[receiver]
listen = "0.0.0.0:8765"
public_url = "https://hooks.example.test/asyncpay/"
"""
ENV = {"T_SHOP_ID": "361", "T_SECRET_KEY": "sk-profile-test-0001", "T_ENTITY_ID": "8a8294174b7e",
       "T_TOKEN": "token-profile-test-0002", "T_WEBHOOK_SECRET": "ab" * 32}
# The smallest valid profile the mistakes below are made in.
MINIMAL = """
[overpay]
base_url = "https://gateway.overpay.test"
shop_id_env = "T_SHOP_ID"
secret_key_env = "T_SECRET_KEY"
"""


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("T_UNSET", raising=False)


def write(tmp_path: Path, text: str, name: str = "target.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_profile_reads_as_written(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "overpay.pem").write_bytes(PUBLIC_KEY.read_bytes())

    profile = load_profile(write(tmp_path, FULL))

    assert profile.name == "overpay and opp sandboxes"
    assert profile.path == tmp_path / "target.toml"
    assert not profile.embedded and profile.mock_faults == []
    overpay, opp = profile.overpay, profile.opp
    assert overpay is not None and opp is not None
    assert overpay.base_url == "https://gateway.overpay.test"
    assert (overpay.shop_id, overpay.secret_key) == ("361", "sk-profile-test-0001")
    assert overpay.webhooks == "signature" and overpay.webhook_public_key == PUBLIC_KEY.read_bytes()
    timing = overpay.timing
    assert (timing.request_timeout, timing.processing_timeout, timing.poll_interval, timing.retention,
            timing.max_wait, timing.notification_timeout, timing.clock) == (5.0, 30.5, 0.5, 600.0, 45.0,
                                                                            20.0, "real")
    assert isinstance(timing.request_timeout, float)
    assert timing.status_read_interval == 0.0  # not given: the default
    assert opp.base_url == "https://eu-test.oppwa.test/api"
    assert (opp.entity_id, opp.token, opp.webhook_secret) == ("8a8294174b7e", "token-profile-test-0002",
                                                              "ab" * 32)
    assert (opp.timing.notification_timeout, opp.timing.status_read_interval) == (600.0, 30.0)
    assert opp.timing.request_timeout == 10.0  # a gateway's timing does not leak into the other's
    assert profile.receiver.listen_host == "0.0.0.0" and profile.receiver.listen_port == 8765
    assert profile.receiver.public_url == "https://hooks.example.test/asyncpay"
    assert set(profile.secrets) == {"sk-profile-test-0001", "token-profile-test-0002", "ab" * 32}


def test_outcomes_are_the_documented_triggers_with_the_profile_s_overrides(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "overpay.pem").write_bytes(PUBLIC_KEY.read_bytes())

    profile = load_profile(write(tmp_path, FULL))

    assert profile.overpay is not None and profile.opp is not None
    assert profile.overpay.outcomes == {
        **OVERPAY_OUTCOMES,
        "successful": {"credit_card": {"number": "4111111111111111"}},  # replaced, not merged
        "task_failure": {"description": "make the task fail"},  # added
    }
    assert profile.opp.outcomes == {
        **OPP_OUTCOMES,
        # OPP triggers are form fields: nested tables flatten to dotted names.
        "declined": {"card.number": "4200000000000000", "card.holder": "800.100.152"},
        "pending": {"card.number": "4711100000000000", "customParameters.SHOPPER_note": "pending"},
    }


def test_a_profile_with_one_gateway_leaves_the_other_untested(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, MINIMAL))

    assert profile.opp is None and profile.overpay is not None
    assert profile.overpay.webhooks == "basic" and profile.overpay.webhook_public_key is None
    assert profile.overpay.outcomes == OVERPAY_OUTCOMES
    assert (profile.receiver.listen_host, profile.receiver.listen_port) == ("127.0.0.1", 0)
    assert profile.name == "target"  # the file's stem


def test_a_mock_only_profile_is_the_embedded_mock_with_its_faults(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "broken mock"\n[mock]\nfaults = ["stuck-processing"]\n')

    profile = load_profile(path, faults=["result-changes"])

    assert profile.embedded and profile.name == "broken mock" and profile.path == path
    assert profile.mock_faults == ["stuck-processing", "result-changes"]
    assert profile.overpay is not None and profile.overpay.embedded
    assert profile.opp is not None and profile.opp.embedded
    assert profile.overpay.secret_key == MOCK_SECRET_KEY and profile.opp.token == MOCK_TOKEN
    assert profile.overpay.timing.clock == "virtual"
    assert "task_failure" in profile.overpay.outcomes


def test_an_empty_profile_is_the_embedded_mock(tmp_path: Path) -> None:
    profile = load_profile(write(tmp_path, ""))

    assert profile.embedded and profile.mock_faults == []


def _after(section: str, text: str) -> str:
    """MINIMAL with ``text`` added to ``section`` (a new table if MINIMAL has none)."""
    if section == "overpay":
        return MINIMAL + text
    return f"{MINIMAL}\n[{section}]\n{text}"


OPP_TABLE = """
[opp]
base_url = "https://eu-test.oppwa.com"
entity_id_env = "T_SHOP_ID"
token_env = "T_SECRET_KEY"
"""


MISTAKES = {
    "missing base_url": ('[overpay]\nshop_id_env = "T_SHOP_ID"\nsecret_key_env = "T_SECRET_KEY"\n',
                         "[overpay] base_url: missing (required)"),
    "missing credential key": ('[overpay]\nbase_url = "https://gw.test"\nshop_id_env = "T_SHOP_ID"\n',
                               "[overpay] secret_key_env: missing (required)"),
    "not a URL": (MINIMAL.replace("https://gateway.overpay.test", "gateway overpay"),
                  "[overpay] base_url: expected an http(s) URL, got 'gateway overpay'"),
    "not http": (MINIMAL.replace("https://", "ftp://"), "[overpay] base_url: expected an http(s) URL"),
    "no host": (MINIMAL.replace("https://gateway.overpay.test", "https://"),
                "[overpay] base_url: expected an http(s) URL"),
    "unset variable": (MINIMAL.replace('"T_SECRET_KEY"', '"T_UNSET"'),
                       "[overpay] secret_key_env: environment variable T_UNSET is not set"),
    "empty variable": (MINIMAL.replace('"T_SECRET_KEY"', '"T_EMPTY"'),
                       "[overpay] secret_key_env: environment variable T_EMPTY is not set"),
    "unknown key": (_after("overpay", 'secret_key = "sk-in-the-file"\n'),
                    "[overpay] unknown key(s): secret_key"),
    "unknown timing key": (_after("overpay.timing", "timeout = 5\n"),
                           "[overpay.timing] unknown key(s): timeout"),
    "unknown top-level key": ('nmae = "typo"\n' + MINIMAL, "[profile] unknown key(s): nmae"),
    "wrong type": (_after("overpay.timing", 'request_timeout = "10"\n'),
                   "[overpay.timing] request_timeout: expected float, got '10'"),
    "boolean for a number": (_after("overpay.timing", "retention = true\n"),
                             "[overpay.timing] retention: expected float, got True"),
    "table expected": ("overpay = 5\n", "[profile] overpay: expected dict, got 5"),
    "bad clock": (_after("overpay.timing", 'clock = "wall"\n'),
                  "[overpay.timing] clock: expected \"real\" or \"virtual\", got 'wall'"),
    "negative timing": (_after("overpay.timing", "max_wait = -1\n"),
                        "[overpay.timing] max_wait: must not be negative, got -1.0"),
    "zero request timeout": (_after("overpay.timing", "request_timeout = 0\n"),
                             "[overpay.timing] request_timeout: must be greater than 0"),
    "zero retention": (_after("overpay.timing", "retention = 0\n"),
                       "[overpay.timing] retention: must be greater than 0"),
    "zero processing timeout": (_after("overpay.timing", "processing_timeout = 0\n"),
                                "[overpay.timing] processing_timeout: must be greater than 0"),
    "zero checkout lifetime": (MINIMAL + OPP_TABLE + "[opp.timing]\ncheckout_lifetime = 0\n",
                               "[opp.timing] checkout_lifetime: must be greater than 0"),
    "retention within the slack": (_after("overpay.timing", "retention = 2\n"),
                                   "[overpay.timing] retention: must be more than 2 s on a real clock"),
    "poll slower than processing": (_after("overpay.timing", "poll_interval = 60\n"),
                                    "[overpay.timing] poll_interval: must be shorter than processing_timeout"),
    "bad webhooks": (_after("overpay", 'webhooks = "sometimes"\n'),
                     "[overpay] webhooks: expected basic, signature or off, got 'sometimes'"),
    "signature without key file": (_after("overpay", 'webhooks = "signature"\n'),
                                   "[overpay] webhook_public_key_file: required when webhooks = \"signature\""),
    "key file missing": (_after("overpay", 'webhooks = "signature"\nwebhook_public_key_file = "no.pem"\n'),
                         "[overpay] webhook_public_key_file: cannot read"),
    "unknown outcome": (_after("overpay.outcomes.declined", 'description = "x"\n'),
                        "[overpay.outcomes] unknown outcome 'declined'"),
    "outcome not a table": (_after("overpay.outcomes", 'failed = "4005550000000019"\n'),
                            "[overpay.outcomes.failed] must be a table of request fields"),
    "bad listen address": (_after("receiver", 'listen = "8765"\n'),
                           "[receiver] listen: expected HOST:PORT, got '8765'"),
    "faults for a real target": (_after("mock", 'faults = ["stuck-processing"]\n'),
                                 "[mock] faults apply only to the embedded mock"),
    "not TOML": ("[overpay\nbase_url = 1\n", "not valid TOML"),
}


@pytest.mark.parametrize(("text", "expected"), list(MISTAKES.values()), ids=list(MISTAKES))
def test_a_mistake_is_one_line_naming_the_file_and_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    monkeypatch.setenv("T_EMPTY", "")
    path = write(tmp_path, text)

    with pytest.raises(ProfileError) as mistake:
        load_profile(path)

    message = str(mistake.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message, message
    assert "\n" not in message, message


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"^\S+nowhere\.toml: no such profile file$"):
        load_profile(tmp_path / "nowhere.toml")


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_timing_is_a_mistake(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError, match="request_timeout"):
        load_profile(write(tmp_path, _after("overpay.timing", f"request_timeout = {value}\n")))


def test_a_listen_port_out_of_range_is_a_mistake(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"\[receiver\] listen"):
        load_profile(write(tmp_path, _after("receiver", 'listen = "127.0.0.1:99999"\n')))


# --- the command line ---------------------------------------------------------------------

def test_a_bad_profile_stops_the_run_with_one_error_line(tmp_path: Path) -> None:
    # run_suites drops ASYNCPAY_* variables from the environment: this one is surely unset.
    path = write(tmp_path, '[overpay]\nbase_url = "https://gw.test"\nshop_id_env = "MOCK_SHOP_ID"\n'
                           'secret_key_env = "ASYNCPAY_TEST_UNSET"\n', "bad.toml")
    expected = "[overpay] secret_key_env: environment variable ASYNCPAY_TEST_UNSET is not set"

    run = run_suites(["suites"], profile=path, reports=tmp_path / "reports", cwd=ROOT, timeout=60)

    assert run.returncode == 4, f"exit code {run.returncode} (4 is a usage error):\n{run.tail()}"
    errors = [line for line in run.output.splitlines() if line.startswith("ERROR:")]
    assert errors == [f"ERROR: {path}: {expected}"], run.tail()
    assert "Traceback" not in run.output, run.tail()
    assert not (tmp_path / "reports").exists(), "a run stopped by its profile wrote reports"
