"""The mutation matrix: the suites against the mock once per fault switch, and once clean.

Each fault breaks one documented rule; the matrix shows that the suites fail for it and that
the failing checks name that rule — and that the clean mock passes with no false alarm.

    python -m asyncpay.matrix            # every fault, 2 at a time; prints the table
    python -m asyncpay.matrix stuck-processing never-final
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asyncpay.mock import FAULTS
from asyncpay.rules import RULES
from asyncpay.testing.runs import run_suites

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 1.0  # the mock answers in milliseconds; a hanging fault should cost little


@dataclass
class Row:
    fault: str | None  # None: the clean mock
    rule: str | None
    exit_code: int
    failed_rules: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output_tail: str = ""

    @property
    def killed(self) -> bool:
        """A fault is killed when the run fails and a failing check names its rule."""
        return self.exit_code == 1 and self.rule in self.failed_rules

    @property
    def clean_pass(self) -> bool:
        return self.exit_code == 0 and not self.failed_rules


def _marker(rule: str | None) -> list[str]:
    if rule is None:
        return []
    return ["-m", "opp" if rule.startswith("opp.") else "overpay"]


def run_one(fault: str | None, *, paths: tuple[str, ...] = ("suites",), timeout: float = 600) -> Row:
    rule = FAULTS[fault].rule if fault else None
    args = ["--asyncpay-request-timeout", str(REQUEST_TIMEOUT),
            "-W", "ignore::hypothesis.errors.HypothesisWarning", *_marker(rule)]
    if fault:
        args += ["--asyncpay-mock-fault", fault]
    with tempfile.TemporaryDirectory(prefix="asyncpay-matrix-") as tmp:
        run = run_suites(paths, profile=None, reports=Path(tmp) / "reports", cwd=ROOT, timeout=timeout,
                         args=args, hypothesis_profile=os.environ.get("HYPOTHESIS_PROFILE", "smoke"))
        code = -1 if run.hung else run.returncode
        output = (f"timed out after {timeout:g} s\n" if run.hung else "") + run.output
        failed_rules: list[str] = []
        failed_checks: list[str] = []
        if (run.reports / "summary.json").is_file():
            summary = run.summary()
            failed_rules = sorted(r for r, row in summary["rules"].items() if row["verdict"] == "failed")
            failed_checks = sorted(c["test"].split("::", 1)[-1] for c in summary["checks"]
                                   if c["verdict"] in ("failed", "error"))
    return Row(fault, rule, code, failed_rules, failed_checks, run.elapsed, output[-2000:])


def save_row(row: Row, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    name = row.fault or "clean"
    (directory / f"{name}.json").write_text(json.dumps(row.__dict__))


def load_rows(directory: Path) -> list[Row]:
    rows = [Row(**json.loads(p.read_text())) for p in sorted(directory.glob("*.json"))]
    return sorted(rows, key=lambda r: (r.fault is not None, r.fault or ""))


def run_matrix(faults: list[str] | None = None, *, jobs: int = 2, clean: bool = True) -> list[Row]:
    names: list[str | None] = list(faults if faults is not None else sorted(FAULTS))
    if clean:
        names.insert(0, None)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_one, names))


def table(rows: list[Row]) -> str:
    lines = [f"{'switch':<32} {'breaks rule':<31} {'verdict':<9} {'secs':>5}  failing rules"]
    for row in rows:
        if row.fault is None:
            verdict = "clean ok" if row.clean_pass else "FALSE"
        else:
            verdict = "killed" if row.killed else "SURVIVED"
        lines.append(f"{row.fault or '(none: clean mock)':<32} {row.rule or '-':<31} {verdict:<9} "
                     f"{row.seconds:5.1f}  {', '.join(row.failed_rules) or '-'}")
    mutants = [r for r in rows if r.fault is not None]
    killed = sum(r.killed for r in mutants)
    covered = sorted({r.rule for r in mutants if r.killed and r.rule})
    checked = sorted(r for r in RULES)
    lines.append("")
    lines.append(f"kill ratio: {killed}/{len(mutants)} = {100 * killed / max(len(mutants), 1):.0f} %")
    lines.append(f"rules with a killed switch: {len(covered)}/{len(checked)}; "
                 f"without: {', '.join(r for r in checked if r not in covered) or 'none'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asyncpay.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("faults", nargs="*", help="fault switches (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    args = parser.parse_args(argv)
    unknown = [f for f in args.faults if f not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}; see python -m asyncpay.mock --list-faults")
    rows = run_matrix(args.faults or None, jobs=args.jobs)
    sys.stdout.write(table(rows) + "\n")
    ok = all(r.killed for r in rows if r.fault) and all(r.clean_pass for r in rows if r.fault is None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
