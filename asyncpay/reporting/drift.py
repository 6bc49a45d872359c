"""Drift: what changed between an earlier run (its ``summary.json``) and this one.

A gateway that still passes every check can still have changed: a field added, renamed or
retyped, an answer that takes three times as long. Each run stores a *field inventory* (per
documented message shape, every JSON path seen in the gateway's answers and its JSON types);
``pytest suites --baseline reports/runs/<run_id>.json`` compares this run with that one:

* checks that went from passed to failed (``regressed``) or back (``fixed``), or changed otherwise;
* rules whose verdict changed;
* fields that are new, vanished or changed type, per shape and per endpoint template
  (``GET /async/status/{id}``) seen in both runs — fields only answers to Hypothesis-drawn
  requests showed are listed apart (``drawn_only``), never counted: which fields a random draw
  reaches changes from run to run, so two identical runs would drift;
* checks slower (or faster) by more than :data:`SLOWER_RATIO` *and* :data:`SLOWER_SECONDS`.

The baseline is usually ``load_baseline(Path("reports/runs/<run_id>.json"))``:

>>> test = "suites/scenarios/overpay/test_result.py::test_200_result_reads_the_same_every_time"
>>> before = {"checks": [{"test": test, "verdict": "passed", "duration": 0.4}]}
>>> now = {"checks": [{"test": test, "verdict": "failed", "duration": 0.4, "message": "..."}]}
>>> drift = compare(now, before)
>>> drift["checks"]["regressed"]
[{'test': 'suites/scenarios/overpay/test_result.py::test_200_result_reads_the_same_every_time', ...}]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asyncpay.errors import HarnessError
from asyncpay.schemas import contracts
from asyncpay.verdicts import FAILING, CheckRecord, Verdict

__all__ = ["GENERATED_RULES", "SLOWER_RATIO", "SLOWER_SECONDS", "compare", "drawn_only",
           "field_inventory", "load_baseline", "written_inventory"]

#: A check counts as slower when it took more than this many times as long as in the baseline…
SLOWER_RATIO = 1.5
#: …and at least this many seconds more (so jitter on millisecond checks is not drift).
SLOWER_SECONDS = 0.5
#: Objects keyed by the request's field names, not by documented fields (Overpay's
#: ``errors: {amount: [...], credit_card: {number: [...]}}``): their keys become ``*`` so that
#: generated requests do not look like a changing answer.
MAP_KEYS = frozenset({"errors"})
#: Paths deeper than this are not listed: they say nothing the level above does not.
MAX_DEPTH = 8
#: Checks of these rules send generated requests, and gateways echo request data (customer,
#: billing_address) in their answers: those fields describe the generator, not the gateway,
#: and would drift with every random seed. The inventory leaves such checks out.
GENERATED_RULES = frozenset({"overpay.contract", "opp.contract", "overpay.invalid-rejected"})

_REF_FILE = re.compile(r'"\$ref":\s*"([\w.-]+)\.json')

Inventory = dict[str, dict[str, list[str]]]


# --- the field inventory -----------------------------------------------------------------

def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _walk(value: Any, path: str, depth: int, out: dict[str, set[str]], mapped: bool = False) -> None:
    out.setdefault(path or "$", set()).add(_json_type(value))
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            name = "*" if mapped else str(key)
            _walk(item, f"{path}.{name}" if path else name, depth + 1, out,
                  mapped=str(key) in MAP_KEYS or (mapped and isinstance(item, dict)))
    elif isinstance(value, list):
        for item in value:
            _walk(item, f"{path}[]", depth + 1, out, mapped)


@cache
def _references(name: str) -> frozenset[str]:
    """The contracts ``name`` refers to: a union such as overpay/result is less specific."""
    gateway = name.split("/", 1)[0]
    text = json.dumps(contracts.schema(name))
    return frozenset(f"{gateway}/{stem}" for stem in _REF_FILE.findall(text))


@cache
def _most_specific_first(candidates: tuple[str, ...]) -> tuple[str, ...]:
    # Fewer of the other candidates referenced first (a union names its members), then more
    # required fields (a task is a processing status with two URLs more), then by name.
    def key(name: str) -> tuple[int, int, str]:
        required = contracts.schema(name).get("required") or []
        return (len(_references(name) & set(candidates)), -len(required), name)

    return tuple(sorted(candidates, key=key))


def _shape_of(body: Any, candidates: tuple[str, ...]) -> str | None:
    """Which of the shapes a check validated this answer most likely is."""
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    ordered = _most_specific_first(candidates)
    found = next((name for name in ordered if contracts.conforms(name, body)), None)
    if found is not None:
        return found
    # A broken answer still belongs somewhere: its drift is the interesting kind.
    return min(ordered, key=lambda name: len(contracts.problems(name, body)))


_ID_SEGMENT = re.compile(r"(?=.*\d)[\w.:-]{6,}")


def endpoint_of(method: str, url: str) -> str:
    """``GET /async/result/{id}``: the endpoint an exchange hit, ids folded so runs compare."""
    path = urlsplit(url).path or "/"
    segments = ["{id}" if _ID_SEGMENT.fullmatch(part) else part for part in path.split("/")]
    return f"{method.upper()} {'/'.join(segments)}"


def field_inventory(records: Iterable[CheckRecord], *, drawn: bool = False) -> Inventory:
    """Every JSON path in the gateway's answers, per documented shape, with its JSON types.

    Each recorded answer is attributed to one of the shapes its check validated (the record's
    ``recording.shapes``); answers of checks that validated none, or that sent generated
    requests (:data:`GENERATED_RULES`), are not listed. Answers to requests Hypothesis drew
    (a stateful run's steps: exchanges marked ``drawn``) are listed only with ``drawn=True``:
    which fields they show depends on the draw, so two identical runs differ there.

    >>> from asyncpay.verdicts import Verdict
    >>> answer = {"transaction": {"uid": "1-a", "status": "successful", "amount": 100,
    ...                           "currency": "USD", "credit_card": {"last_4": "0000"}}}
    >>> records = [CheckRecord("t::a", [], Verdict.PASSED, recording={
    ...     "shapes": {"overpay/result": 1}, "exchanges": [{"response_body": json.dumps(answer)}]})]
    >>> field_inventory(records)["overpay/result"]["transaction.credit_card.last_4"]
    ['string']
    """
    found: dict[str, dict[str, set[str]]] = {}
    known = set(contracts.names())
    for rec in records:
        if GENERATED_RULES.intersection(rec.rules):
            continue
        recording = rec.recording or {}
        candidates = tuple(sorted(name for name in (recording.get("shapes") or {}) if name in known))
        for exchange in recording.get("exchanges") or []:
            if bool(exchange.get("drawn")) is not drawn:
                continue
            text = exchange.get("response_body") or ""
            if not text.lstrip().startswith(("{", "[")):
                continue
            try:
                body = json.loads(text)
            except (ValueError, RecursionError):
                continue  # cut at the body limit, or not JSON after all
            try:
                shape = _shape_of(body, candidates)
            except RecursionError:
                continue  # nested deeper than any documented answer: no fields to inventory
            if shape is None:
                continue
            _walk(body, "", 0, found.setdefault(shape, {}))
            if exchange.get("url"):
                # Also by endpoint: a broken answer fits its shape badly, but it still came from there.
                _walk(body, "", 0, found.setdefault(endpoint_of(exchange.get("method") or "GET",
                                                                exchange["url"]), {}))
    return {shape: {path: sorted(types) for path, types in sorted(paths.items())}
            for shape, paths in sorted(found.items())}


def drawn_only(records: Iterable[CheckRecord], inventory: Inventory) -> Inventory:
    """The paths (and JSON types) seen only in answers to drawn requests, not in ``inventory``.

    Reported beside the drift, never as drift: a field a random draw happened to reach.
    """
    out: Inventory = {}
    for shape, paths in field_inventory(records, drawn=True).items():
        known = inventory.get(shape, {})
        extra = {path: [t for t in types if t not in known.get(path, [])] for path, types in paths.items()}
        extra = {path: types for path, types in extra.items() if types}
        if extra:
            out[shape] = extra
    return out


def written_inventory(inventory: Inventory, redactor: Any) -> Inventory:
    """The inventory as written to summary.json: names through ``redactor.text``, types as they are.

    The types are JSON type names, never secrets; redacting them by field name would save
    ``payment_method.token`` as ``"[redacted]"`` and make every later run drift from it.
    """
    return {redactor.text(shape): {redactor.text(path): list(types) for path, types in paths.items()}
            for shape, paths in inventory.items()}


# --- comparing two runs --------------------------------------------------------------------

def load_baseline(path: Path) -> dict[str, Any]:
    """An earlier run's summary.json, checked to be one."""
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"--baseline {path}: no such file; pass an earlier run's summary.json "
                           "(each run keeps a copy as reports/runs/<run_id>.json)") from None
    except (OSError, ValueError) as exc:
        raise HarnessError(f"--baseline {path}: not a readable summary.json ({exc})") from None
    if not isinstance(baseline, dict) or not isinstance(baseline.get("checks"), list):
        raise HarnessError(f"--baseline {path}: not an asyncpay summary.json (no \"checks\" list)")
    return baseline


def _checks(summary: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {c["test"]: c for c in summary.get("checks", []) if isinstance(c, Mapping) and "test" in c}


def _check_changes(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    current, base = _checks(now), _checks(before)
    out: dict[str, list[dict[str, Any]]] = {"regressed": [], "fixed": [], "changed": [], "new": [],
                                            "vanished": []}
    for test, check in current.items():
        old = base.get(test)
        if old is None:
            out["new"].append({"test": test, "verdict": check.get("verdict")})
            continue
        was, is_ = old.get("verdict"), check.get("verdict")
        if was == is_:
            continue
        row = {"test": test, "from": was, "to": is_, "message": check.get("message") or ""}
        if was == Verdict.PASSED and is_ in FAILING:
            out["regressed"].append(row)
        elif was in FAILING and is_ == Verdict.PASSED:
            out["fixed"].append(row)
        else:
            out["changed"].append(row)
    out["vanished"] = [{"test": test, "verdict": old.get("verdict")}
                       for test, old in base.items() if test not in current]
    return out


def _rule_changes(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[dict[str, Any]]:
    current, base = now.get("rules") or {}, before.get("rules") or {}
    changes = []
    for rule_id in sorted(set(current) | set(base)):
        was = (base.get(rule_id) or {}).get("verdict")
        is_ = (current.get(rule_id) or {}).get("verdict")
        if was != is_:
            changes.append({"rule": rule_id, "from": was, "to": is_})
    return changes


def _field_changes(now: Inventory, before: Inventory) -> dict[str, Any]:
    out: dict[str, Any] = {"new": [], "vanished": [], "changed": [],
                           "shapes_not_seen": sorted(set(before) - set(now)),
                           "shapes_new": sorted(set(now) - set(before))}
    # Only shapes seen in both runs: a shape this run did not exercise has not lost its fields.
    for shape in sorted(set(now) & set(before)):
        current, base = now[shape], before[shape]
        for path in sorted(set(current) | set(base)):
            if path not in base:
                out["new"].append({"shape": shape, "path": path, "types": current[path]})
            elif path not in current:
                out["vanished"].append({"shape": shape, "path": path, "types": base[path]})
            elif sorted(current[path]) != sorted(base[path]):
                out["changed"].append({"shape": shape, "path": path, "from": base[path],
                                       "to": current[path]})
    return out


def _timing_changes(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    base = _checks(before)
    out: dict[str, list[dict[str, Any]]] = {"slower": [], "faster": []}
    for test, check in _checks(now).items():
        old = base.get(test)
        if old is None:
            continue
        try:
            is_, was = float(check.get("duration") or 0.0), float(old.get("duration") or 0.0)
        except (TypeError, ValueError):
            continue
        row = {"test": test, "from": round(was, 3), "to": round(is_, 3),
               "ratio": round(is_ / was, 2) if was > 0 else None}
        if is_ > was * SLOWER_RATIO and is_ - was > SLOWER_SECONDS:
            out["slower"].append(row)
        elif was > is_ * SLOWER_RATIO and was - is_ > SLOWER_SECONDS:
            out["faster"].append(row)
    for rows in out.values():
        rows.sort(key=lambda r: abs(r["to"] - r["from"]), reverse=True)
    return out


def compare(now: Mapping[str, Any], before: Mapping[str, Any], *,
            baseline_path: str | None = None) -> dict[str, Any]:
    """What changed from ``before`` to ``now`` (two summaries as written to summary.json)."""
    checks = _check_changes(now, before)
    rules = _rule_changes(now, before)
    fields = _field_changes(now.get("fields") or {}, before.get("fields") or {})
    if checks["vanished"] and fields["vanished"]:
        fields["caveat"] = (f"{len(checks['vanished'])} of the baseline's checks did not run: fields only "
                            "they saw are listed as vanished")
    # Listed, not counted: which fields a random draw reaches changes from run to run.
    fields["drawn_only"] = now.get("fields_drawn") or {}
    timings = _timing_changes(now, before)
    run = before.get("run") or {}
    counts = {
        "regressed": len(checks["regressed"]),
        "fixed": len(checks["fixed"]),
        "rules_changed": len(rules),
        "fields_new": len(fields["new"]),
        "fields_vanished": len(fields["vanished"]),
        "fields_changed": len(fields["changed"]),
        "slower": len(timings["slower"]),
    }
    return {
        "baseline": {"path": baseline_path, "run_id": run.get("run_id"),
                     "finished": run.get("finished_iso")},
        "thresholds": {"slower_ratio": SLOWER_RATIO, "slower_seconds": SLOWER_SECONDS},
        "counts": counts,
        "changed": any(counts.values()) or bool(checks["changed"] or checks["new"] or checks["vanished"]),
        "checks": checks,
        "rules": rules,
        "fields": fields,
        "timings": timings,
    }
