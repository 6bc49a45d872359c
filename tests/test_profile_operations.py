"""The profile's [overpay] operations: which operations the shop's account may use. An operation
left out is not verified, with that reason — never passed, never failed."""

import json
from pathlib import Path

import pytest

from asyncpay.config.profile import embedded_profile, load_profile
from asyncpay.errors import NotVerified, ProfileError
from asyncpay.gateways.overpay.children import create_child, money_out
from asyncpay.gateways.overpay.merchant import OverpayMerchant, make_client
from asyncpay.http.recording import Recording, activate
from asyncpay.http.redaction import Redactor
from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import ROOT
from asyncpay.waiting.clock import RealClock
from asyncpay.wire.testdata import OVERPAY_TRANSACTION_TYPES

TARGET = """
[overpay]
base_url = "https://gateway.overpay.test"
shop_id_env = "T_SHOP_ID"
secret_key_env = "T_SECRET_KEY"
"""
WITHOUT_PAYOUTS = '["payments", "authorizations", "captures", "voids", "refunds", "credits"]'


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_SHOP_ID", "361")
    monkeypatch.setenv("T_SECRET_KEY", "sk-profile-test-0004")


def load(tmp_path: Path, text: str):
    path = tmp_path / "target.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def test_every_documented_operation_by_default(tmp_path: Path) -> None:
    assert load(tmp_path, TARGET).overpay.operations == tuple(OVERPAY_TRANSACTION_TYPES)
    assert embedded_profile().overpay.operations == tuple(OVERPAY_TRANSACTION_TYPES)


def test_the_profile_names_the_operations(tmp_path: Path) -> None:
    target = load(tmp_path, TARGET + 'operations = ["payments", "refunds", "payments"]\n').overpay
    assert target.operations == ("payments", "refunds")


@pytest.mark.parametrize("value", ['["payment"]', '"payments"', '["transfers", "payments"]'])
def test_an_unknown_operation_is_refused_in_one_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(ProfileError, match=r"\[overpay\] operations") as caught:
        load(tmp_path, TARGET + f"operations = {value}\n")
    assert "\n" not in str(caught.value)


def test_an_operation_left_out_is_not_verified_before_any_request(tmp_path: Path) -> None:
    target = load(tmp_path, TARGET + 'operations = ["payments"]\n').overpay
    sent = Recording()
    activate(sent)  # this test's own: another test's recording may still be active in this thread
    client = make_client(target, Redactor([]))
    gateway = OverpayMerchant(target, client, RealClock(1.0), "run")
    with pytest.raises(NotVerified, match="operations leave out payouts") as caught:
        money_out(gateway, "payouts", rule="overpay.result-matches-request")
    assert caught.value.rule == "overpay.result-matches-request"
    with pytest.raises(NotVerified, match="operations leave out refunds"):
        create_child(gateway, "refunds", {"uid": "1-310b0da80b"}, 50, rule="overpay.child-amount")
    assert sent.exchanges == []  # nothing was sent


def test_a_run_without_payouts_reports_them_not_verified(tmp_path: Path) -> None:
    with MockProcess("--processing-delay", "0.2", cwd=ROOT) as mock:
        profile = mock.write_profile(tmp_path / "no-payouts.toml")
        text = profile.read_text(encoding="utf-8")
        profile.write_text(text.replace("[overpay.timing]", f"operations = {WITHOUT_PAYOUTS}\n[overpay.timing]", 1),
                           encoding="utf-8")
        run = run_suites(["suites/scenarios/overpay/test_money_out.py", "suites/contract/test_overpay_contract.py"],
                         profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=300)
    verdicts = {c["test"].rsplit("[", 1)[-1].rstrip("]"): c for c in run.checks()}
    assert run.returncode == 0, run.tail()
    assert verdicts["payouts"]["verdict"] == "not verified"
    assert "operations leave out payouts" in verdicts["payouts"]["message"]
    assert verdicts["credits"]["verdict"] == "passed"
    # The property-based suite sends no payout either: an operation left out is never demanded.
    records = json.loads((tmp_path / "reports" / "records.json").read_text(encoding="utf-8"))["records"]
    sent = [e["url"] for r in records for e in (r["recording"] or {}).get("exchanges", []) if e["method"] == "POST"]
    assert any("/async/transactions/credits" in url for url in sent)
    assert not any("/async/transactions/payouts" in url for url in sent)
