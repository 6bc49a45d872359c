"""Verdicts and check records: what one test said about the documented rules it checks.

A test marked ``@pytest.mark.rule(...)`` becomes one :class:`CheckRecord`. Its verdict follows
from how the test ended, and never flatters the gateway:

=================================  ==============  =============================================
how the test ended                 verdict         failed_rule
=================================  ==============  =============================================
passed                             passed          —
``ContractViolation(rule)``        failed          the violation's rule
a plain ``AssertionError``         failed          the test's first marked rule
``NotVerified(rule)``              not verified    the rule that could not be checked
``Deferred(rule)``                 deferred        the rule a later run will check (the ledger)
any other exception                error           — (a harness fault: the run fails)
=================================  ==============  =============================================

A passed test counts as passed only for the rules it saw something decisive for: one it marked
``undecided`` (``asyncpay.pytest.plugin.undecided``: say, a state machine whose waits ended
before any task completed) is *not verified* by that test.

A rule's verdict over a run is the first of its records' verdicts in ``RULE_ORDER``.

>>> Verdict.from_outcome(AssertionError("x")).value
'failed'
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from asyncpay.errors import ContractViolation, Deferred, NotVerified


class Verdict(enum.StrEnum):
    """What a check (or, summed up, a rule) came to."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the harness itself broke: neither the gateway's fault nor a pass
    DEFERRED = "deferred"  # needs more time than one run; the ledger keeps it
    NOT_VERIFIED = "not verified"  # the harness cannot make this check on this target

    @classmethod
    def from_outcome(cls, exc: BaseException | None, *, passed: bool = False) -> Verdict:
        """The verdict of a test that raised ``exc`` (None with ``passed`` for a pass)."""
        if exc is None:
            return cls.PASSED if passed else cls.NOT_VERIFIED
        if isinstance(exc, NotVerified):
            return cls.NOT_VERIFIED
        if isinstance(exc, Deferred):
            return cls.DEFERRED
        if isinstance(exc, AssertionError):  # ContractViolation included
            return cls.FAILED
        return cls.ERROR

    @property
    def settled(self) -> bool:
        """Passed or failed: the check was made."""
        return self in SETTLED


#: The check was made: passed or failed (a re-check that settles a ledger entry).
SETTLED = frozenset({Verdict.PASSED, Verdict.FAILED})
#: The check was not made in this run: a later run will (deferred), or this target cannot (not verified).
UNSETTLED = frozenset({Verdict.DEFERRED, Verdict.NOT_VERIFIED})
#: The run fails: the gateway broke a rule, or the harness broke.
FAILING = frozenset({Verdict.FAILED, Verdict.ERROR})
#: The exceptions that end a check unsettled: it could not be made (yet), the gateway broke nothing.
UNSETTLED_OUTCOMES = (NotVerified, Deferred)
#: Rule and check verdicts, most serious first (the order tables and totals use).
VERDICTS = tuple(v.value for v in (Verdict.FAILED, Verdict.ERROR, Verdict.DEFERRED, Verdict.NOT_VERIFIED,
                                   Verdict.PASSED))


#: A rule takes the first verdict in this order that any of its records has: any failure fails
#: it; a check left for a later run defers it; one check that verified it is enough to pass it.
RULE_ORDER = (Verdict.FAILED, Verdict.ERROR, Verdict.DEFERRED, Verdict.PASSED, Verdict.NOT_VERIFIED)


def rule_verdict(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """The verdict of a rule over the records that checked it (none: not verified)."""
    for verdict in RULE_ORDER:
        if verdict in verdicts:
            return verdict
    return Verdict.NOT_VERIFIED


def failed_rule_of(exc: BaseException | None, rules: list[str]) -> str | None:
    """The rule a failure, not-verified or deferred check is about."""
    if isinstance(exc, (ContractViolation, NotVerified, Deferred)):
        return exc.rule
    if isinstance(exc, AssertionError) and rules:
        return rules[0]
    return None


@dataclass
class CheckRecord:
    """One test's verdict on its rules, with the evidence (already redacted)."""

    test: str  # pytest node id
    rules: list[str]
    verdict: Verdict
    failed_rule: str | None = None
    message: str = ""
    duration: float = 0.0  # seconds
    due: float | None = None  # deferred: wall-clock time (time.time()) the check falls due
    ledger: dict[str, Any] | None = None  # deferred: what a later run needs to make the check
    resolves: str | None = None  # the ledger entry this check settled
    recording: dict[str, Any] | None = field(default=None, repr=False)
    #: rules of a passed test that observed nothing decisive for them: not verified, not passed
    undecided: list[str] = field(default_factory=list)

    def verdict_for(self, rule_id: str) -> Verdict:
        """This record's verdict on one of its rules: a failure, deferral or not-verified names
        its own rule; the record's other rules were checked up to that point only. A passed test
        passes only the rules it observed something decisive for (not ``undecided``)."""
        if self.verdict is Verdict.PASSED and rule_id in self.undecided:
            return Verdict.NOT_VERIFIED
        if self.verdict is Verdict.PASSED or self.failed_rule in (None, rule_id):
            return self.verdict
        if self.verdict is Verdict.FAILED:
            return Verdict.NOT_VERIFIED  # the test stopped at another rule's failure
        return self.verdict

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON data. Shallow: the recording (plain JSON data already, thousands of
        exchanges in a property-based run) is shared, not copied."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["verdict"] = self.verdict.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckRecord:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["verdict"] = Verdict(known["verdict"])
        return cls(**known)


def reading(verdict: Verdict, counts: dict[str, int]) -> str:
    """A rule's verdict as its checks read: ``"passed, 1 deferred"``, ``"failed, 3 passed"``.

    ``counts``: check verdict word → number of the rule's checks that came to it.

    >>> reading(Verdict.PASSED, {"passed": 11, "deferred": 1})
    'passed, 1 deferred'
    """
    others = [f"{counts[v.value]} {v.value}" for v in RULE_ORDER
              if v is not verdict and counts.get(v.value)]
    return ", ".join([verdict.value, *others])

