"""Named checks: one function per documented rule (or sub-rule), registered under the rule's id.

The lifecycle model, the merchant roles (:mod:`asyncpay.gateways.overpay.merchant`,
:mod:`asyncpay.gateways.opp.merchant`) and the suites call these functions; none of them raises
a violation by hand. Each check raises
:class:`~asyncpay.errors.ContractViolation` for its rule, saying Expected / Received, and
returns quietly (or returns what it validated) when the gateway kept the rule.

Modules, one per gateway: :mod:`asyncpay.checks.transport` (every answer), ``overpay`` (the
asynchronous task API) and ``overpay_availability`` (a 200 result kept, a non-200 one handed out
once), ``overpay_children`` (captures, voids, refunds, credits, payouts), ``opp`` (Server-to-Server
payments and notifications), ``checkout`` (COPYandPAY), ``api_version`` (Overpay's v2/v3 answer
shapes), ``idempotency`` (RequestID), ``timeline`` (every channel of one transaction agrees). From a
rule id to its check in two hops: ``CHECKS[rule_id]`` (or ``python -m asyncpay.tools.rulemap``),
then the function.

>>> from asyncpay.checks import CHECKS, load_all
>>> _ = load_all()     # imports every check module, which fills CHECKS
>>> sorted(fn.__name__ for fn in CHECKS["overpay.unknown-404"])
['unknown_404']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from asyncpay.rules import RULES

F = TypeVar("F", bound=Callable[..., Any])

#: rule id → the check functions registered under it (filled when the check modules import).
CHECKS: dict[str, list[Callable[..., Any]]] = {}

_MODULES = ("transport", "overpay", "overpay_availability", "overpay_children", "opp", "checkout", "api_version",
            "idempotency", "timeline", "merchant")


def check(rule_id: str) -> Callable[[F], F]:
    """Register the decorated function as a check of ``rule_id``.

    Its docstring gains the rule's id, documented sentence and public source, so ``help()`` on
    any check says which rule it holds the gateway to and where that rule is written.

    Raises ``KeyError`` for an id that names no documented rule (a harness bug).
    """
    rule = RULES[rule_id]

    def register(fn: F) -> F:
        summary = (fn.__doc__ or "").strip()
        fn.__doc__ = f"{summary}\n\nRule {rule.id}: {rule.text}\nSource: {rule.source}"
        fn.rule = rule_id  # type: ignore[attr-defined]
        CHECKS.setdefault(rule_id, []).append(fn)
        return fn

    return register


def load_all() -> dict[str, list[Callable[..., Any]]]:
    """Import every check module and return the registry.

    Raises ModuleNotFoundError for a listed module that is missing: a rule map without it would
    silently lose its rules.
    """
    for name in _MODULES:
        importlib.import_module(f"asyncpay.checks.{name}")
    return CHECKS


__all__ = ["CHECKS", "check", "load_all"]
