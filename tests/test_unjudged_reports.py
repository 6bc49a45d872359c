"""A check that ends *not verified* is reported by its reason, without pytest's traceback."""

from __future__ import annotations

pytest_plugins = ["pytester"]

UNJUDGED = '''
import pytest
from asyncpay.errors import NotVerified

@pytest.mark.rule("overpay.task-answer")
def test_cannot_be_checked_here(overpay):
    raise NotVerified("overpay.task-answer", "this target does not honour the trigger")

@pytest.mark.rule("overpay.task-answer")
def test_fails(overpay):
    assert 1 == 2
'''


def test_not_verified_is_reported_by_its_reason_without_a_rendered_traceback(pytester, monkeypatch) -> None:
    import _pytest.reports

    rendered: list[str] = []
    render = _pytest.reports._format_failed_longrepr
    monkeypatch.setattr(_pytest.reports, "_format_failed_longrepr",
                        lambda item, call, excinfo: (rendered.append(item.name), render(item, call, excinfo))[1])
    pytester.makepyfile(test_unjudged=UNJUDGED)
    result = pytester.runpytest("-p", "no:cacheprovider", "--asyncpay-no-reports", "-rs")

    result.assert_outcomes(passed=0, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*not verified: this target does not honour the trigger*"])
    assert rendered == ["test_fails"]  # the failure keeps its traceback; the unjudged check needs none
