"""``checks.load_all`` imports every listed check module, and a listed module that is missing stops
it: a rule map without that module would silently lose its rules."""

from __future__ import annotations

import pytest

import asyncpay.checks as checks


def test_every_listed_check_module_loads() -> None:
    registry = checks.load_all()
    assert "transport.answers" in registry and "overpay.task-answer" in registry


def test_a_listed_module_that_is_missing_stops_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "_MODULES", (*checks._MODULES, "no_such_checks"))
    with pytest.raises(ModuleNotFoundError, match="no_such_checks"):
        checks.load_all()
