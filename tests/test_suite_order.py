"""The suites' own order under pytest-xdist: the longest tests are dealt out first."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
SUITES = ROOT / "suites"
COLLECTED = ["contract/test_opp_checkout_contract.py", "contract/test_opp_contract.py",
             "contract/test_overpay_contract.py", "scenarios/opp/test_payment.py",
             "scenarios/overpay/test_retention.py", "stateful/test_task_lifecycle.py"]


def _suites_conftest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("suites_conftest", SUITES / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _items() -> list[SimpleNamespace]:
    return [SimpleNamespace(path=SUITES / where, name=where) for where in COLLECTED]


def test_an_xdist_worker_runs_the_state_machine_and_the_property_based_suites_first() -> None:
    items = _items()
    _suites_conftest().pytest_collection_modifyitems(SimpleNamespace(workerinput={"workerid": "gw0"}), items)

    assert [item.name for item in items] == [
        "stateful/test_task_lifecycle.py", "contract/test_overpay_contract.py",
        "contract/test_opp_checkout_contract.py", "contract/test_opp_contract.py",
        "scenarios/opp/test_payment.py", "scenarios/overpay/test_retention.py"]


def test_without_xdist_pytest_s_order_is_kept() -> None:
    items = _items()
    _suites_conftest().pytest_collection_modifyitems(SimpleNamespace(), items)

    assert [item.name for item in items] == COLLECTED


def test_the_main_job_deals_tests_out_one_at_a_time() -> None:
    # loadgroup hands each worker one test at a time, in the order above; plain load hands out
    # runs of consecutive tests, which would give both long tests to the same worker.
    tox = (ROOT / "tox.ini").read_text()
    assert "pytest suites -n 2 --dist loadgroup --ignore=suites/merchant {posargs}" in tox
