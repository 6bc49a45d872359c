"""Suite order: the longest tests first, so parallel workers share them out.

The state machine and the property-based suites send hundreds of requests each; the scenarios a
handful. Run with ``-n 2 --dist loadgroup`` (the main job, ``tox -e suites``), pytest-xdist deals
the tests to its workers one at a time in this order, so the two longest run side by side and the
short ones fill in around them. Without xdist pytest's order is kept: there each test stands
alone, and against a real-time gateway every test starts at once anyway (asyncpay.realtime.early).
"""

from pathlib import Path

import pytest

#: Paths (relative to this directory) whose tests run first, longest first; the rest follow in
#: pytest's order.
FIRST = ("stateful", "contract/test_overpay_contract.py", "contract")
HERE = Path(__file__).resolve().parent


def _rank(item: pytest.Item) -> int:
    path = item.path.resolve()
    where = path.relative_to(HERE).as_posix() if path.is_relative_to(HERE) else ""
    for rank, prefix in enumerate(FIRST):
        if where == prefix or where.startswith(prefix + "/"):
            return rank
    return len(FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker
        items.sort(key=_rank)  # a stable sort: pytest's order within each group
