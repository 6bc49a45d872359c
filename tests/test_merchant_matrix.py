"""The merchant half of the mutation matrix: the reference shop (``examples/shop``) passes every
merchant rule, each of its naive switches fails exactly its own rule, and the canary sees no
credential from the correct shop.

The scenarios run in process against one platform per case (the shop is a subprocess started
with ``SHOP_NAIVE``; ``python -m asyncpay.tools.merchant_matrix`` prints the same rows); one case
runs ``pytest suites/merchant`` as a user does, to prove the suites and their report agree.
"""

import importlib.util
import sys
from types import ModuleType

import pytest

from asyncpay.platform.scenarios import SCENARIOS
from asyncpay.rules import RULES
from asyncpay.testing.runs import run_suites
from asyncpay.tools.merchant_matrix import NAIVE_RULES, PROFILE, ROOT, judge


def reference_shop() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_shop", ROOT / "examples" / "shop" / "shop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_merchant_rule_has_a_scenario_and_a_naive_switch():
    merchant_rules = {rule_id for rule_id, rule in RULES.items() if rule.gateway == "merchant"}
    assert set(SCENARIOS) == merchant_rules
    assert set(NAIVE_RULES.values()) == merchant_rules
    assert set(NAIVE_RULES) == set(reference_shop().NAIVE)


def test_reference_shop_passes_every_merchant_rule_and_leaks_nothing():
    row = judge("")
    assert row.failed == {}, row.failed
    assert row.leaked == [], "the canary got credentials from the correct shop"


@pytest.mark.parametrize("naive", sorted(NAIVE_RULES))
def test_naive_switch_fails_exactly_its_rule(naive):
    row = judge(naive)
    assert set(row.failed) == {NAIVE_RULES[naive]}, row.failed


def test_merchant_suites_report_the_naive_shop_on_its_rule(tmp_path):
    run = run_suites(["suites/merchant"], profile=PROFILE, reports=tmp_path / "reports", cwd=ROOT,
                     timeout=180, args=["-p", "no:randomly", "-n", "0"],
                     env={"SHOP_NAIVE": "no-webhook-auth"})
    assert not run.hung and run.returncode == 1, run.output[-3000:]
    verdicts = {rule_id: row["verdict"] for rule_id, row in run.summary()["rules"].items()
                if rule_id.startswith("merchant.")}
    assert verdicts == {rule_id: "failed" if rule_id == "merchant.refuses-forged" else "passed"
                        for rule_id in NAIVE_RULES.values()}
    # The shop's exchanges were answered by the platform asyncpay plays, not by a gateway under test.
    assert {rule_id: row["verdict"] for rule_id, row in run.summary()["rules"].items()
            if rule_id.startswith("transport.")} == dict.fromkeys(
        ("transport.answers", "transport.json-content-type", "transport.no-redirect"), "not verified")
