"""reports/: the run's verdicts per documented rule, merged across xdist workers.

One file set per run, overwritten by the next (``summary.json`` is also kept as
``runs/<run_id>.json``, the baseline a later run compares itself with)::

    junit.xml          one test case per check; failures name the rule, Expected / Received
    summary.json       every documented rule of the targeted gateways → passed / failed /
                       error / deferred / not verified, with counts and timings; the checks;
                       contract coverage; the field inventory; what is deferred; drift
    report.html        the same for a reviewer: verdict table, failures with their exchanges,
                       task timelines, coverage (self-contained: no script, no external URL)
    drift.json         what changed since ``--baseline`` (only with a baseline)
    ledger.json        deferred checks a later run must make (only while there are some)

Every string written passes the run's redactor once more, whatever was redacted when it was
recorded: a secret that slipped into a record must still not reach a file.

Usage (at the end of a run, with its evidence and metadata)::

    summary = write_reports(Path("reports/.evidence/3f2a9c1d0e"), Path("reports"), meta,
                            redactor=redactor)
    summary["rules"]["overpay.error-once"]["verdict"]       # 'passed'

The reports of a run split over CI jobs are merged with ``python -m asyncpay.reporting.report merge DIR…``
(``asyncpay.reporting.merge``).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from asyncpay.errors import HarnessError
from asyncpay.http.redaction import Redactor
from asyncpay.reporting import drift, ledger
from asyncpay.reporting.html_report import render_html
from asyncpay.rules import RULES
from asyncpay.schemas import contracts
from asyncpay.verdicts import UNSETTLED, VERDICTS, CheckRecord, Verdict, reading, rule_verdict

__all__ = ["VERDICTS", "documented_shapes", "load_records", "rule_verdicts", "write_junit", "write_reports"]

VERSIONED = ("python", "asyncpay", "schemathesis", "hypothesis", "httpx", "pytest")
#: Rules that apply to every target, whichever gateways it has.
COMMON_GATEWAYS = ("transport",)
_MESSAGES_PER_RULE = 5
# XML 1.0 cannot carry these at all, escaped or not; a gateway's body may contain them.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def load_records(evidence: Path) -> list[CheckRecord]:
    """Every worker's records, in test order (the same for any number of workers)."""
    records: list[CheckRecord] = []
    for path in sorted(evidence.glob("*.json")):
        try:
            records.extend(CheckRecord.from_dict(raw) for raw in json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HarnessError(f"{path}: unreadable evidence from a worker ({exc}); "
                               "rerun, or with -n0 if a worker crashed") from None
    return sorted(records, key=lambda rec: rec.test)


def _redact_json(value: Any, redactor: Redactor) -> Any:
    return redactor.json(value)


def redact_record(rec: CheckRecord, redactor: Redactor) -> CheckRecord:
    # The recording (thousands of bodies in a property-based run) was redacted when it was made;
    # the parts of it that are written pass the redactor again on the way out (summary, page).
    raw = rec.to_dict()
    out = _redact_json({key: value for key, value in raw.items() if key != "recording"}, redactor)
    out["recording"] = rec.recording
    return CheckRecord.from_dict(out)


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": sys.version.split()[0]}
    for name in VERSIONED[1:]:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _gateways(meta: Mapping[str, Any]) -> list[str]:
    targeted = list((meta.get("targets") or {}).keys())
    return [*COMMON_GATEWAYS, *targeted] if targeted else sorted({r.gateway for r in RULES.values()})


def documented_shapes(gateways: Iterable[str]) -> list[str]:
    """The documented answer and message shapes: every contract but requests and shared parts."""
    wanted = set(gateways)
    return [name for name in contracts.names()
            if name.split("/", 1)[0] in wanted
            and not name.split("/", 1)[1].startswith("request-") and not name.endswith("/common")]


def rule_verdicts(records: list[CheckRecord], gateways: Iterable[str]) -> dict[str, dict[str, Any]]:
    """One row per documented rule of ``gateways``: verdict, counts per check verdict, timings."""
    wanted = set(gateways)
    rows: dict[str, dict[str, Any]] = {}
    for rule_id, rule in RULES.items():
        if rule.gateway in wanted:
            rows[rule_id] = {"gateway": rule.gateway, "text": rule.text, "source": rule.source,
                             "verdict": Verdict.NOT_VERIFIED.value, "counts": {}, "checks": 0, "tests": [],
                             "messages": [], "time": 0.0, "due": None}
    for rec in records:
        for rule_id in dict.fromkeys([*rec.rules, *([rec.failed_rule] if rec.failed_rule else [])]):
            row = rows.get(rule_id)
            if row is None:
                continue  # a rule of a gateway this run did not target
            verdict = rec.verdict_for(rule_id)
            row["counts"][verdict.value] = row["counts"].get(verdict.value, 0) + 1
            if verdict is Verdict.DEFERRED and rec.failed_rule == rule_id:
                row["own_deferred"] = row.get("own_deferred", 0) + 1
            row["checks"] += 1
            row["time"] += float(rec.duration or 0.0)
            row["tests"].append(rec.test)
            message = rec.message or ""
            if verdict is not Verdict.PASSED and message and message not in row["messages"] \
                    and len(row["messages"]) < _MESSAGES_PER_RULE:
                row["messages"].append(message)
            if verdict is Verdict.DEFERRED and rec.due is not None:
                row["due"] = min(filter(None, (row["due"], rec.due)))
    for row in rows.values():
        verdict = rule_verdict([Verdict(v) for v in row["counts"]])
        if verdict is Verdict.DEFERRED and not row.pop("own_deferred", 0) and row["counts"].get("passed"):
            # Deferred only where a check of another rule waits (the 30-minute checkout lifetime
            # held a check that also saw transport answers): this rule's own checks all passed.
            verdict = Verdict.PASSED
        row.pop("own_deferred", None)
        row["verdict"] = verdict.value
        row["reading"] = reading(verdict, row["counts"])
        row["time"] = round(row["time"], 3)
        row["due_iso"] = ledger.iso(row["due"])
        if not row["checks"]:
            row["messages"] = ["no check in this run exercised this rule"]
    return dict(sorted(rows.items(), key=lambda kv: (VERDICTS.index(kv[1]["verdict"]), kv[0])))


def _check(rec: CheckRecord) -> dict[str, Any]:
    recording = rec.recording or {}
    return {
        "test": rec.test,
        "rules": list(rec.rules),
        "verdict": rec.verdict.value,
        "failed_rule": rec.failed_rule,
        "message": rec.message or "",
        "duration": round(float(rec.duration or 0.0), 3),
        "due": rec.due,
        "due_iso": ledger.iso(rec.due),
        "ledger": rec.ledger,
        "resolves": rec.resolves,
        "undecided": list(rec.undecided),  # rules this passed check saw nothing decisive for
        "exchanges": len(recording.get("exchanges") or []),
        "shapes": dict(recording.get("shapes") or {}),
    }


def _coverage(records: list[CheckRecord], gateways: Iterable[str]) -> dict[str, Any]:
    seen: dict[str, int] = dict.fromkeys(documented_shapes(gateways), 0)
    for rec in records:
        for name, count in ((rec.recording or {}).get("shapes") or {}).items():
            if name in seen:
                seen[name] += int(count)
    return {"shapes": seen, "documented": len(seen),
            "seen": sum(1 for count in seen.values() if count),
            "never_exercised": [name for name, count in seen.items() if not count]}


def _tally(values: Iterable[str], order: Iterable[str]) -> dict[str, int]:
    found = list(values)
    return {verdict: found.count(verdict) for verdict in order}


def build_summary(records: list[CheckRecord], meta: Mapping[str, Any],
                  deferred: list[ledger.LedgerEntry], now: float) -> dict[str, Any]:
    """summary.json's contents, before drift and the file list are added."""
    gateways = _gateways(meta)
    rules = rule_verdicts(records, gateways)
    totals = _tally((row["verdict"] for row in rules.values()), VERDICTS)
    checks = [_check(rec) for rec in records]
    started, finished = meta.get("started"), meta.get("finished")
    untargeted = sorted({r.gateway for r in RULES.values()} - set(gateways))
    return {
        "format": 1,
        "run": {
            "run_id": meta.get("run_id"),
            "started": started, "started_iso": ledger.iso(started),
            "finished": finished, "finished_iso": ledger.iso(finished),
            "duration": round(finished - started, 3) if started and finished else None,
            "strict": bool(meta.get("strict")),
            "mock_faults": list(meta.get("mock_faults") or []),
            "baseline": meta.get("baseline"),
        },
        "profile": {"name": meta.get("profile"), "path": meta.get("profile_path")},
        "targets": dict(meta.get("targets") or {}),
        # A gateway without a target is not verified as a whole; its rules stay out of the
        # verdicts, so an Overpay-only sandbox run can still be settled.
        "untargeted": {gateway: f"the profile has no [{gateway}] target" for gateway in untargeted},
        "versions": versions(),
        "totals": totals,
        "unsettled": sum(totals[verdict] for verdict in UNSETTLED),
        "rules": rules,
        "check_totals": _tally((c["verdict"] for c in checks), VERDICTS),
        "timings": {
            "checks": round(sum(c["duration"] for c in checks), 3),
            "slowest": [{"test": c["test"], "duration": c["duration"]}
                        for c in sorted(checks, key=lambda c: -c["duration"])[:10]],
        },
        "checks": checks,
        "deferred": [{**entry.to_dict(), "due_now": entry.is_due(now)} for entry in deferred],
        "coverage": _coverage(records, gateways),
        "fields": (fields := drift.field_inventory(records)),
        "fields_drawn": drift.drawn_only(records, fields),
    }


def _xml(text: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(text))


def write_junit(summary: Mapping[str, Any], path: Path, redactor: Redactor) -> None:
    """JUnit XML as CI systems read it: one test case per check, the rule in each failure."""
    def clean(text: Any) -> str:
        return _xml(redactor.free_text(str(text)))

    checks = summary["checks"]
    totals = summary["check_totals"]
    suites = ET.Element("testsuites", name="asyncpay")
    suite = ET.SubElement(suites, "testsuite", name="asyncpay", tests=str(len(checks)),
                          failures=str(totals[Verdict.FAILED]), errors=str(totals[Verdict.ERROR]),
                          skipped=str(sum(totals[verdict] for verdict in UNSETTLED)),
                          time=f"{summary['timings']['checks']:.3f}")
    if summary["run"]["started_iso"]:
        suite.set("timestamp", summary["run"]["started_iso"])
    props = ET.SubElement(suite, "properties")
    for gateway, target in summary["targets"].items():
        ET.SubElement(props, "property", name=f"target.{gateway}", value=clean(target))
    ET.SubElement(props, "property", name="profile", value=clean(summary["profile"]["name"] or ""))
    for check in checks:
        module, _, name = check["test"].rpartition("::")
        case = ET.SubElement(suite, "testcase", classname=clean(module.replace("/", ".").removesuffix(".py")),
                             name=clean(name or check["test"]), time=f"{check['duration']:.3f}")
        case_props = ET.SubElement(case, "properties")
        for rule_id in check["rules"]:
            ET.SubElement(case_props, "property", name="rule", value=rule_id)
        message = check["message"]
        first = message.splitlines()[0] if message else ""
        rule_id = check["failed_rule"]
        if check["verdict"] == Verdict.FAILED:
            documented = f"Rule: {rule_id} — {RULES[rule_id].text}\n" if rule_id in RULES else ""
            el = ET.SubElement(case, "failure", message=clean(first), type=rule_id or Verdict.FAILED.value)
            el.text = clean(documented + message)
        elif check["verdict"] == Verdict.ERROR:
            el = ET.SubElement(case, "error", message=clean(first[:200]), type="error")
            el.text = clean(message)
        elif check["verdict"] in UNSETTLED:
            due = f" (due {check['due_iso']})" if check["due_iso"] else ""
            ET.SubElement(case, "skipped", message=clean(f"{check['verdict']}{due}: {first}"))
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


#: Where field inventories (JSON type names under field paths) sit in summary.json / drift.json.
_SUMMARY_INVENTORIES = (("fields",), ("fields_drawn",), ("drift", "fields", "drawn_only"))
_DRIFT_INVENTORIES = (("fields", "drawn_only"),)


def _write_json(path: Path, value: Any, redactor: Redactor,
                inventories: Iterable[tuple[str, ...]] = ()) -> None:
    out = _redact_json(value, redactor)
    for keys in inventories:
        source, target = value, out
        for key in keys[:-1]:
            source, target = (source or {}).get(key), (target or {}).get(key)
        if isinstance(source, Mapping) and isinstance(source.get(keys[-1]), Mapping) \
                and isinstance(target, dict):
            target[keys[-1]] = drift.written_inventory(source[keys[-1]], redactor)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _drift(summary: Mapping[str, Any], baseline: str | None) -> dict[str, Any] | None:
    if not baseline:
        return None
    try:
        before = drift.load_baseline(Path(baseline))
    except HarnessError as exc:
        # The run itself is fine: report why there is no comparison instead of losing the reports.
        return {"baseline": {"path": baseline}, "error": str(exc), "changed": False}
    return drift.compare(summary, before, baseline_path=baseline)


def redacted_records(evidence: Path, redactor: Redactor) -> list[CheckRecord]:
    """Every worker's records from ``evidence``, each through :func:`redact_record`."""
    return [redact_record(rec, redactor) for rec in load_records(evidence)]


def write_reports(evidence: Path, out: Path, meta: dict[str, Any], *, redactor: Redactor,
                  records: list[CheckRecord] | None = None) -> dict[str, Any]:
    """Merge the workers' evidence into one file set in ``out``; return the summary.

    ``records``: the evidence already read by :func:`redacted_records`, to read it once for
    both this and :func:`asyncpay.reporting.merge.save_records`. The summary's ``unsettled`` (rules
    deferred or not verified), ``rules`` and ``files`` drive the plugin's exit code and terminal
    summary.
    """
    if records is None:
        records = redacted_records(evidence, redactor)
    meta = _redact_json(meta, redactor)
    out.mkdir(parents=True, exist_ok=True)
    now = float(meta.get("finished") or time.time())
    deferred = ledger.update(out / "ledger.json", records, now)
    summary = build_summary(records, meta, deferred, now)
    summary["drift"] = _drift(summary, meta.get("baseline"))

    paths = {name: out / name for name in ("junit.xml", "summary.json", "report.html")}
    if summary["drift"] is not None:
        paths["drift.json"] = out / "drift.json"
    else:
        (out / "drift.json").unlink(missing_ok=True)  # a stale comparison would mislead
    if deferred:
        paths["ledger.json"] = out / "ledger.json"
    run_copy = out / "runs" / f"{summary['run']['run_id'] or 'run'}.json"
    summary["files"] = [str(p) for p in [*paths.values(), run_copy]]

    write_junit(summary, paths["junit.xml"], redactor)
    _write_json(paths["summary.json"], summary, redactor, _SUMMARY_INVENTORIES)
    run_copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(paths["summary.json"], run_copy)
    if summary["drift"] is not None:
        _write_json(paths["drift.json"], summary["drift"], redactor, _DRIFT_INVENTORIES)
    paths["report.html"].write_text(render_html(summary, records, redactor=redactor), encoding="utf-8")
    shutil.rmtree(evidence, ignore_errors=True)
    try:
        evidence.parent.rmdir()  # .evidence/ itself, unless another run's evidence is in it
    except OSError:
        pass
    return summary


if __name__ == "__main__":  # python -m asyncpay.reporting.report merge DIR…
    from asyncpay.reporting.merge import main

    raise SystemExit(main())
