"""The merchant half of the mutation matrix: the reference shop (``examples/shop``) passes every
merchant rule, each of its naive switches fails exactly its own rule, and the canary sees no
credential from the correct shop.

The scenarios run in process against one platform per case (the shop is a subprocess started
with ``SHOP_NAIVE``); one case runs ``pytest suites/merchant`` as a user does, to prove the suites
and their report say the same.
"""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from asyncpay.checks.merchant import credentials_in
from asyncpay.config.profile import load_profile
from asyncpay.errors import ContractViolation
from asyncpay.platform.driver import Platform
from asyncpay.platform.scenarios import SCENARIOS, credentials
from asyncpay.rules import RULES
from asyncpay.testing.runs import run_suites

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop"
PROFILE = SHOP / "shop.toml"
#: Each naive behaviour of the reference shop → the one merchant rule it breaks.
NAIVE_RULES = {
    "base-plus-resourcepath": "merchant.status-origin",
    "follow-any-status-url": "merchant.status-origin",
    "no-status-read": "merchant.reads-status",
    "no-webhook-auth": "merchant.refuses-forged",
    "fulfil-every-delivery": "merchant.fulfils-once",
    "ignore-429": "merchant.honours-throttle",
    "reread-every-notification": "merchant.spaces-status-reads",
    "new-requestid-on-retry": "merchant.same-request-id",
    "paid-on-return": "merchant.checkout-expired",
    "result-url-on-webhook": "merchant.result-retention",
}


def reference_shop() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_shop", SHOP / "shop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def judge(naive: str) -> tuple[set[str], list[str], list[list[str]]]:
    """Every merchant scenario against the reference shop with ``naive`` switched on: (the rules
    that failed, their messages, the credentials each canary request carried)."""
    failed: set[str] = set()
    messages: list[str] = []
    with Platform(load_profile(PROFILE).merchant, shop_env={"SHOP_NAIVE": naive}) as platform:
        for scenarios in SCENARIOS.values():
            for scenario in scenarios:
                try:
                    scenario(platform)
                except ContractViolation as violation:
                    failed.add(violation.rule)
                    messages.append(str(violation).splitlines()[0])
        carried = [credentials_in(landed, credentials(platform)) for landed in platform.canary.landed]
    return failed, messages, carried


def test_every_merchant_rule_has_a_scenario_and_a_naive_switch():
    merchant_rules = {rule_id for rule_id, rule in RULES.items() if rule.gateway == "merchant"}
    assert set(SCENARIOS) == merchant_rules
    assert set(NAIVE_RULES.values()) == merchant_rules
    assert set(NAIVE_RULES) == set(reference_shop().NAIVE)


def test_reference_shop_passes_every_merchant_rule_and_leaks_nothing():
    failed, messages, carried = judge("")
    assert failed == set(), messages
    assert [kinds for kinds in carried if kinds] == [], "the canary got credentials from the correct shop"


@pytest.mark.parametrize("naive", sorted(NAIVE_RULES))
def test_naive_switch_fails_exactly_its_rule(naive):
    failed, messages, _ = judge(naive)
    assert failed == {NAIVE_RULES[naive]}, messages


def test_merchant_suites_report_the_naive_shop_on_its_rule(tmp_path):
    run = run_suites(["suites/merchant"], profile=PROFILE, reports=tmp_path / "reports", cwd=ROOT,
                     timeout=180, args=["-p", "no:randomly", "-n", "0"],
                     env={"SHOP_NAIVE": "no-webhook-auth"})
    assert not run.hung and run.returncode == 1, run.output[-3000:]
    verdicts = {rule_id: row["verdict"] for rule_id, row in run.summary()["rules"].items()
                if rule_id.startswith("merchant.")}
    assert verdicts == {rule_id: "failed" if rule_id == "merchant.refuses-forged" else "passed"
                        for rule_id in NAIVE_RULES.values()}
