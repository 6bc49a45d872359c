"""One report from a run split over several CI jobs (shards).

Every run also writes ``records.json`` beside its reports: the run's redacted check records and
what it ran against. Merging reads the shards' records and ledgers and writes the reports from
all the records at once, exactly as a single run of the same checks would — the verdicts are the
same by construction, not by adding up summaries.

    python -m asyncpay.reporting.report merge shards/1 shards/2 shards/3 --out reports
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from asyncpay.errors import HarnessError
from asyncpay.http.redaction import Redactor
from asyncpay.reporting import ledger
from asyncpay.verdicts import FAILING, CheckRecord

__all__ = ["RECORDS", "main", "merge", "save_records"]

RECORDS = "records.json"
FORMAT = 1
_SAME = ("profile", "profile_path", "targets", "mock_faults")  # what every shard must share


def save_records(evidence: Path, out: Path, meta: dict[str, Any], *, redactor: Redactor,
                 records: list[CheckRecord] | None = None) -> Path:
    """Write ``out/records.json``: the checks recorded in ``evidence`` (every worker's) and ``meta``.

    ``records``: the evidence already read by :func:`asyncpay.reporting.report.redacted_records`.
    """
    from asyncpay.reporting.report import redacted_records

    # Recordings were redacted as they were made; everything else passes the redactor again.
    redacted = [rec.to_dict() for rec in (records if records is not None else redacted_records(evidence, redactor))]
    out.mkdir(parents=True, exist_ok=True)
    path = out / RECORDS
    document = {"format": FORMAT, "meta": redactor.json(meta), "records": redacted}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _load(directory: Path) -> dict[str, Any]:
    path = directory / RECORDS
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such file; pass the reports directory of each shard "
                           "(runs write it beside summary.json)") from None
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: not readable ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT \
            or not isinstance(document.get("records"), list):
        raise HarnessError(f"{path}: not an asyncpay records file of format {FORMAT}")
    return document


def _merged_meta(metas: list[dict[str, Any]], dirs: Sequence[Path]) -> dict[str, Any]:
    first = metas[0]
    for key in _SAME:
        for meta, directory in zip(metas[1:], dirs[1:], strict=True):
            if meta.get(key) != first.get(key):
                raise HarnessError(f"{directory} ran with {key} {meta.get(key)!r}, {dirs[0]} with "
                                   f"{first.get(key)!r}: shards of one run share their target")
    baselines = {meta.get("baseline") for meta in metas}
    started = [m["started"] for m in metas if m.get("started")]
    finished = [m["finished"] for m in metas if m.get("finished")]
    return {**{key: first.get(key) for key in _SAME},
            "run_id": uuid.uuid4().hex[:10],
            "started": min(started) if started else None,
            "finished": max(finished) if finished else time.time(),
            "baseline": baselines.pop() if len(baselines) == 1 else None,
            "strict": any(m.get("strict") for m in metas),
            "shards": [m.get("run_id") for m in metas]}


def merge(dirs: Sequence[Path], out: Path) -> dict[str, Any]:
    """Merge the shards' reports directories into ``out``; return the merged summary."""
    if not dirs:
        raise HarnessError("name at least one shard's reports directory")
    documents = [_load(Path(d)) for d in dirs]
    seen: dict[str, Path] = {}
    for directory, document in zip(dirs, documents, strict=True):
        for test in dict.fromkeys(rec["test"] for rec in document["records"]):
            if test in seen:
                raise HarnessError(f"{test} ran in both {seen[test]} and {directory}: the shards "
                                   "overlap (two jobs with the same --group?)")
            seen[test] = Path(directory)
    meta = _merged_meta([doc["meta"] for doc in documents], [Path(d) for d in dirs])
    redactor = Redactor()  # the shards redacted with their secrets; the default rules run again
    entries = {entry.id: entry for d in [*dirs, out] for entry in ledger.load(Path(d) / "ledger.json")}
    ledger.save(out / "ledger.json", entries.values())
    evidence = out / ".evidence" / str(meta["run_id"])
    evidence.mkdir(parents=True, exist_ok=True)
    for number, document in enumerate(documents, 1):
        (evidence / f"shard-{number:03d}.json").write_text(json.dumps(document["records"]), encoding="utf-8")
    from asyncpay.reporting.report import write_reports

    save_records(evidence, out, meta, redactor=redactor)
    return write_reports(evidence, out, meta, redactor=redactor)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asyncpay.reporting.report",
                                     description="asyncpay reports: merge the reports of a sharded run")
    commands = parser.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("merge", help="merge shards' reports directories into one report set")
    cmd.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="a shard's reports directory")
    cmd.add_argument("--out", type=Path, default=Path("reports"), help="where to write (default: reports)")
    args = parser.parse_args(argv)
    try:
        summary = merge(args.dirs, args.out)
    except HarnessError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    totals = ", ".join(f"{n} {verdict}" for verdict, n in summary["totals"].items() if n)
    sys.stdout.write(f"merged {len(args.dirs)} shard(s), {len(summary['checks'])} checks: {totals}\n")
    for path in summary["files"]:
        sys.stdout.write(f"  {path}\n")
    # The exit code a single run of the same checks would have had.
    broken = sum(summary["check_totals"].get(verdict, 0) for verdict in FAILING)
    return 1 if broken or (summary["run"]["strict"] and summary["unsettled"]) else 0
