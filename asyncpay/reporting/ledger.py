"""The ledger: deferred checks that must wait longer than one run, kept in ``reports/ledger.json``.

A check that can only be made later (a 24 h retention on a real sandbox) raises
:class:`~asyncpay.errors.Deferred` with ``due`` and ``data`` (request_id, status_url, …). At the
end of the run :func:`update` adds an entry for it; a later run loads the ledger, re-checks the
entries that are due and names the entry it settled (``resolves``), and the entry is dropped.

One deferred check may leave several entries for its subject: ``data["checks"]`` lists them
(``{"rule", "due", "due_until"}``). An entry with ``due_until`` is a window (the 200 result must
still be there: a read after ``due_until`` proves nothing); a run after its window reports it
missed (*not verified*, with when to run) and the entry is dropped, never counted as passed.

>>> import tempfile, time
>>> folder = tempfile.TemporaryDirectory()
>>> path = Path(folder.name) / "ledger.json"            # a run's reports/ledger.json
>>> save(path, [LedgerEntry("a1", "overpay.retention-expiry", "t::expiry", due=time.time() - 60,
...                         data={"request_id": "7c6b9b72-fa07-4d51-b574-998b29d2d2a8"}),
...             LedgerEntry("b2", "overpay.retention-expiry", "t::expiry", due=time.time() + 86400,
...                         data={"request_id": "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"})])
>>> entries = load(path)
>>> [e.data["request_id"] for e in entries if e.is_due(time.time())]
['7c6b9b72-fa07-4d51-b574-998b29d2d2a8']
>>> folder.cleanup()
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncpay.errors import HarnessError
from asyncpay.verdicts import SETTLED, CheckRecord, Verdict

__all__ = ["LedgerEntry", "entries_of", "entry_id", "iso", "load", "save", "update"]

# A re-check settles its entry when its verdict is SETTLED; a re-check that was itself deferred or
# could not be made leaves the entry in the ledger for the next run.


@dataclass
class LedgerEntry:
    """One check waiting for its time: which rule, for which task, from when."""

    id: str
    rule: str
    test: str
    due: float | None  # wall clock (time.time()); None: checkable on the next run
    data: dict[str, Any] = field(default_factory=dict)
    added: float = 0.0
    #: wall clock: the end of the window the check must be made in; None: any time after ``due``
    due_until: float | None = None

    def is_due(self, now: float) -> bool:
        """Whether a run at ``now`` can make the check (its window has opened)."""
        return self.due is None or now >= self.due

    def is_missed(self, now: float) -> bool:
        """Whether the check's window closed before ``now``: it can no longer be made."""
        return self.due_until is not None and now > self.due_until

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "due_iso": iso(self.due), "due_until_iso": iso(self.due_until),
                "added_iso": iso(self.added)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> LedgerEntry:
        due, until = raw.get("due"), raw.get("due_until")
        return cls(id=str(raw["id"]), rule=str(raw["rule"]), test=str(raw.get("test", "")),
                   due=float(due) if due is not None else None, data=dict(raw.get("data") or {}),
                   added=float(raw.get("added") or 0.0),
                   due_until=float(until) if until is not None else None)


def iso(at: float | None) -> str | None:
    """A wall-clock time as ISO 8601 UTC, to the second: ``2025-11-23T02:48:09Z``."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(rule: str, test: str, data: Mapping[str, Any], due: float | None) -> str:
    """A stable id: the same rule on the same task is one entry, however many runs record it."""
    subject = data.get("request_id") or data.get("id")
    key = f"{rule}\0{subject}" if subject else f"{rule}\0{test}\0{due}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def load(path: Path) -> list[LedgerEntry]:
    """The entries in ``path``; none when the file does not exist."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: not a readable ledger ({exc}); move it aside to start a new "
                           "one (its pending checks are then forgotten)") from None
    items = raw.get("entries", []) if isinstance(raw, dict) else raw
    try:
        return [LedgerEntry.from_dict(item) for item in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise HarnessError(f"{path}: malformed ledger entry ({exc!r}); move the file aside to "
                           "start a new ledger") from None


def save(path: Path, entries: Iterable[LedgerEntry]) -> None:
    """Write the ledger; with no entries left the file is removed, so its presence means work."""
    items = sorted(entries, key=lambda e: (e.due or 0.0, e.rule, e.id))
    if not items:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"entries": [entry.to_dict() for entry in items]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)  # a run killed mid-write must not lose the ledger


def update(path: Path, records: Iterable[CheckRecord], now: float) -> list[LedgerEntry]:
    """Settle and add entries from a run's records; save and return what is still deferred.

    An entry is dropped when a record that ``resolves`` it passed or failed, or — its window
    closed (``due_until`` before ``now``) — was reported at all (missed: *not verified*); a record
    with verdict ``deferred`` and ``ledger`` data adds an entry (one per rule and request_id), or
    one per item of ``data["checks"]``.
    """
    records = list(records)
    old_entries = load(path)
    missed = {entry.id for entry in old_entries if entry.is_missed(now)}
    settled = {rec.resolves for rec in records
               if rec.resolves and (rec.verdict in SETTLED or rec.resolves in missed)}
    entries = {entry.id: entry for entry in old_entries if entry.id not in settled}
    for rec in records:
        data = rec.ledger
        if rec.verdict is not Verdict.DEFERRED or not isinstance(data, Mapping):
            continue
        shared = {key: value for key, value in data.items() if key != "checks"}
        checks = data.get("checks") or [{"rule": rec.failed_rule or (rec.rules or ["?"])[0],
                                          "due": rec.due, "due_until": None}]
        for check in checks:
            rule, due, until = str(check["rule"]), check.get("due"), check.get("due_until")
            new_id = entry_id(rule, rec.test, shared, due)
            if new_id in settled:
                continue  # the same run settled it; a stale deferred record must not bring it back
            old = entries.get(new_id)
            entries[new_id] = LedgerEntry(new_id, rule, rec.test, float(due) if due is not None else None,
                                          dict(shared), old.added if old else now,
                                          float(until) if until is not None else None)
    kept = list(entries.values())
    save(path, kept)
    return sorted(kept, key=lambda e: (e.due or 0.0, e.rule, e.id))


def entries_of(reports_dir: Path, rule: str) -> list[LedgerEntry]:
    """The ledger entries (``reports_dir/ledger.json``) of ``rule``; none from an unreadable ledger,
    which the re-checking test then reports instead of collection failing."""
    try:
        return [entry for entry in load(reports_dir / "ledger.json") if entry.rule == rule]
    except HarnessError:
        return []
