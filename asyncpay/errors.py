"""The exceptions asyncpay raises.

::

    HarnessError                  misuse or bad configuration: the run cannot go on
    └── ProfileError              the profile file is wrong (one line: what and where)
    AssertionError
    └── ContractViolation         the gateway broke a documented rule (a test failure)
        └── TransportViolation    no usable HTTP answer: timeout, reset, redirect, flood
    NotVerified                   the harness cannot check a rule on this target
    Deferred                      the rule can only be checked in a later run (the ledger)

Gateway faults subclass ``AssertionError`` so pytest shows them as failures, not errors.
"""

from __future__ import annotations

import json
from typing import Any

from asyncpay.rules import RULES


def _known_rule(rule: str) -> None:
    """A violation naming no documented rule is a harness bug: fail loudly where it is raised."""
    if rule not in RULES:
        raise HarnessError(f"no documented rule {rule!r} (asyncpay.rules); known: {', '.join(sorted(RULES))}")


class HarnessError(Exception):
    """The harness was misused or misconfigured; not a gateway fault."""


class ProfileError(HarnessError):
    """A target profile is wrong. The message is one line: what and where."""


def _show(value: Any, limit: int = 600) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, sort_keys=True, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


class ContractViolation(AssertionError):
    """The gateway broke a documented rule.

    >>> raise ContractViolation("overpay.unknown-404", "unknown request_id answers 404",
    ...     expected="HTTP 404", received="HTTP 200")
    Traceback (most recent call last):
    ...
    asyncpay.errors.ContractViolation: [overpay.unknown-404] unknown request_id answers 404
    Documented: A request_id not in the system answers HTTP 404 ...
    Expected:   HTTP 404
    Received:   HTTP 200
    """

    def __init__(
        self,
        rule: str,
        summary: str,
        *,
        expected: Any = None,
        received: Any = None,
        hint: str | None = None,
    ) -> None:
        _known_rule(rule)
        self.rule = rule
        self.summary = summary
        self.expected = expected
        self.received = received
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"[{self.rule}] {self.summary}"]
        rule = RULES.get(self.rule)
        if rule is not None:
            lines.append(f"Documented: {rule.text}")
        if self.expected is not None:
            lines.append(f"Expected:   {_show(self.expected)}")
        if self.received is not None:
            lines.append(f"Received:   {_show(self.received)}")
        if self.hint:
            lines.append(f"Next step:  {self.hint}")
        return "\n".join(lines)


class TransportViolation(ContractViolation):
    """The gateway gave no usable HTTP answer (timeout, reset, redirect, oversized body)."""


class NotVerified(Exception):
    """The rule cannot be checked on this target; reported as *not verified*, never passed."""

    def __init__(self, rule: str, reason: str) -> None:
        _known_rule(rule)
        self.rule = rule
        self.reason = reason
        super().__init__(f"[{rule}] not verified: {reason}")


class Deferred(Exception):
    """The rule becomes checkable only later (e.g. 24 h retention); recorded in the ledger and
    reported *deferred* until a later run makes the check."""

    def __init__(self, rule: str, reason: str, due: float | None = None,
                 data: dict[str, Any] | None = None) -> None:
        _known_rule(rule)
        self.rule = rule
        self.reason = reason
        self.due = due  # wall-clock time (time.time()) from which the check can be made
        self.data = data or {}  # what a later run needs to make the check (kept in the ledger)
        super().__init__(f"[{rule}] deferred: {reason}")
