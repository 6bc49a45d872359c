"""The mutation matrix: the suites against the mock once per fault switch, once clean, and
once per variant switch.

Two halves. Each fault breaks one documented rule: the suites must fail, naming that rule
("killed"). Each variant takes one freedom the docs leave open: the suites must pass with no
failed rule ("passed"; a failure there is a "FALSE ALARM"), alone and all together.

    python -m asyncpay.tools.matrix            # every fault, 2 at a time; prints the table
    python -m asyncpay.tools.matrix stuck-processing never-final
    python -m asyncpay.tools.matrix --variants # every variant alone, then all of them together
    python -m asyncpay.tools.matrix --variants processing-425 url-layout
    python -m asyncpay.tools.matrix --clock real   # fault rows against a real-time mock, through a profile
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from asyncpay.mock import FAULTS, VARIANTS
from asyncpay.rules import RULES
from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import run_suites
from asyncpay.verdicts import FAILING, Verdict

ROOT = Path(__file__).resolve().parents[2]
#: The user property a matrix test records its row under (``record_property``): the printed table
#: is built from the reports, which reach the xdist controller from every worker.
ROW_PROPERTY = "asyncpay_matrix_row"
REQUEST_TIMEOUT = 1.0  # the mock answers in milliseconds; a hanging fault should cost little


@dataclass
class Row:
    fault: str | None  # None: the clean mock, or a variant row
    rule: str | None
    exit_code: int
    failed_rules: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output_tail: str = ""
    variants: list[str] = field(default_factory=list)  # a variant row: the variants switched on
    #: "rule: first line of the message" of every failed check (why a variant row failed)
    failures: list[str] = field(default_factory=list)
    hypothesis_profile: str = "smoke"

    @property
    def is_variant(self) -> bool:
        return bool(self.variants)

    @property
    def name(self) -> str:
        if self.variants:
            if len(self.variants) > 1 and sorted(self.variants) == sorted(VARIANTS):
                return f"all {len(self.variants)} variants"
            return "+".join(self.variants)
        return self.fault or "clean"

    @property
    def killed(self) -> bool:
        """A fault is killed when the run fails and a failing check names its rule."""
        return self.exit_code == 1 and self.rule in self.failed_rules

    @property
    def clean_pass(self) -> bool:
        """The clean mock or a variant: the suites pass and no check failed."""
        return self.exit_code == 0 and not self.failed_rules


def _marker(rule: str | None) -> list[str]:
    if rule is None:
        return []
    return ["-m", "opp" if rule.startswith("opp.") else "overpay"]


#: The real-time mock of ``--clock real`` rows: short retention and processing, late notifications.
#: Processing outlasts the harness's 1 s expiry slack, so a retention counted from completion
#: instead of creation shows; the retention outlasts the profile's processing bound
#: (2 × 2.5 s + 3 s), so a task stuck in processing fails overpay.completes before it expires; a
#: checkout lives 6 s, so its expiry is checked within the run instead of deferred.
REAL_TIME_MOCK = ("--clock", "real", "--retention", "12", "--processing-delay", "1.5-2.5",
                  "--pending-delay", "2.5", "--notification-delay", "1", "--checkout-lifetime", "6")


#: Fault switches whose rule a real-time run leaves *not verified* on purpose, and why.
REAL_TIME_UNCHECKABLE = {
    "checkout-throttle-not-429": "against a real-time target the harness keeps under the documented "
                                 "read rate instead of provoking the throttle, so opp.checkout-throttle "
                                 "is not verified there (the virtual-clock matrix kills it)",
}


def run_one(fault: str | None, *, paths: tuple[str, ...] = ("suites",), timeout: float = 600,
            variants: list[str] | tuple[str, ...] = (), hypothesis_profile: str | None = None,
            clock: str = "virtual") -> Row:
    """The suites (``paths``) against the mock with one fault, or with ``variants`` (every
    suite: a variant must break none), or clean; ``timeout`` in seconds. ``clock="virtual"``:
    the embedded mock; ``"real"``: a separately started real-time mock, through a profile."""
    rule = FAULTS[fault].rule if fault else None
    args = ["-W", "ignore::hypothesis.errors.HypothesisWarning", *_marker(rule)]
    switches = [*(["--fault", fault] if fault else []), *(a for v in variants for a in ("--variant", v))]
    if clock == "virtual":
        args += ["--asyncpay-request-timeout", str(REQUEST_TIMEOUT)]
        args += [a.replace("--fault", "--asyncpay-mock-fault").replace("--variant", "--asyncpay-mock-variant")
                 for a in switches]
    profile = hypothesis_profile or os.environ.get("HYPOTHESIS_PROFILE", "smoke")
    with tempfile.TemporaryDirectory(prefix="asyncpay-matrix-") as tmp, contextlib.ExitStack() as stack:
        target = None
        if clock == "real":
            mock = stack.enter_context(MockProcess(*REAL_TIME_MOCK, *switches, cwd=ROOT))
            target = mock.write_profile(Path(tmp) / "profile.toml")
        run = run_suites(paths, profile=target, reports=Path(tmp) / "reports", cwd=ROOT, timeout=timeout,
                         args=args, hypothesis_profile=profile)
        code = -1 if run.hung else run.returncode
        output = (f"timed out after {timeout:g} s\n" if run.hung else "") + run.output
        failed_rules: list[str] = []
        failed_checks: list[str] = []
        failures: list[str] = []
        if (run.reports / "summary.json").is_file():
            summary = run.summary()
            failed_rules = sorted(r for r, row in summary["rules"].items() if row["verdict"] in FAILING)
            bad = [c for c in summary["checks"] if c["verdict"] in FAILING]
            failed_checks = sorted(c["test"].split("::", 1)[-1] for c in bad)
            failures = sorted({f"{c.get('failed_rule') or c['verdict']}: {_first_line(c.get('message'))}"
                               for c in bad})
    return Row(fault, rule, code, failed_rules, failed_checks, run.elapsed, output[-2000:],
               list(variants), failures, profile)


def _first_line(message: str | None) -> str:
    lines = (message or "").strip().splitlines()
    return lines[0] if lines else ""


def run_variants(variants: list[str] | tuple[str, ...], *, hypothesis_profile: str | None = None,
                 timeout: float = 900) -> Row:
    """Every suite against the embedded mock with ``variants`` on; the row passes when the run
    does, with no failed rule."""
    return run_one(None, variants=variants, hypothesis_profile=hypothesis_profile, timeout=timeout)


def save_row(row: Row, directory: Path, name: str | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stem = name or (f"variant-{row.name}" if row.is_variant else row.name)
    (directory / f"{stem.replace(' ', '-')}.json").write_text(json.dumps(row.__dict__))


def load_rows(directory: Path) -> list[Row]:
    return sort_rows([Row(**json.loads(p.read_text())) for p in sorted(directory.glob("*.json"))])


def sort_rows(rows: list[Row]) -> list[Row]:
    """Rows in table order: the clean row, fault rows, then variant rows, each by name."""
    return sorted(rows, key=lambda r: (r.is_variant, r.fault is not None, len(r.variants), r.name))


def run_matrix(faults: list[str] | None = None, *, jobs: int = 2, clean: bool = True,
               clock: str = "virtual") -> list[Row]:
    names: list[str | None] = list(faults if faults is not None else sorted(FAULTS))
    if clean:
        names.insert(0, None)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda name: run_one(name, clock=clock), names))


def table(rows: list[Row]) -> str:
    """The matrix as text: fault rows (killed / SURVIVED), the clean row, variant rows (passed /
    FALSE ALARM), each half with its ratio."""
    faults = [r for r in rows if not r.is_variant]
    variants = [r for r in rows if r.is_variant]
    lines: list[str] = []
    if faults:
        lines.append(f"{'switch':<32} {'breaks rule':<31} {'verdict':<11} {'secs':>5}  failing rules")
        for row in faults:
            if row.fault is None:
                verdict = "clean ok" if row.clean_pass else "FALSE ALARM"
            else:
                verdict = "killed" if row.killed else "SURVIVED"
            lines.append(f"{row.fault or '(none: clean mock)':<32} {row.rule or '-':<31} {verdict:<11} "
                         f"{row.seconds:5.1f}  {', '.join(row.failed_rules) or '-'}")
        mutants = [r for r in faults if r.fault is not None]
        killed = sum(r.killed for r in mutants)
        covered = sorted({r.rule for r in mutants if r.killed and r.rule})
        # Merchant rules are killed by the reference shop's naive switches (tools/merchant_matrix).
        checked = sorted(r for r, rule in RULES.items() if rule.gateway != "merchant")
        lines.append("")
        lines.append(f"kill ratio: {killed}/{len(mutants)} = {100 * killed / max(len(mutants), 1):.0f} %")
        lines.append(f"rules with a killed switch: {len(covered)}/{len(checked)}; "
                     f"without: {', '.join(r for r in checked if r not in covered) or 'none'}")
    if variants:
        if lines:
            lines.append("")
        lines.append(f"{'variant (takes a freedom)':<32} {'hypothesis':<11} {'verdict':<11} {'secs':>5}  "
                     "failing rules")
        for row in variants:
            verdict = Verdict.PASSED.value if row.clean_pass else "FALSE ALARM"
            lines.append(f"{row.name:<32} {row.hypothesis_profile:<11} {verdict:<11} {row.seconds:5.1f}  "
                         f"{', '.join(row.failed_rules) or ('-' if row.clean_pass else f'exit {row.exit_code}')}")
        passed = sum(r.clean_pass for r in variants)
        lines.append("")
        lines.append(f"pass ratio: {passed}/{len(variants)} = {100 * passed / len(variants):.0f} %")
    return "\n".join(lines)


def run_variant_matrix(variants: list[str] | None = None, *, jobs: int = 2,
                       together: bool = True) -> list[Row]:
    """Each variant alone, then (``together``) all of them at once."""
    runs: list[list[str]] = [[name] for name in (variants if variants is not None else sorted(VARIANTS))]
    if together:
        runs.append(sorted(VARIANTS) if variants is None else list(variants))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_variants, runs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asyncpay.tools.matrix", description=__doc__.splitlines()[0])
    parser.add_argument("switches", nargs="*",
                        help="fault switches, or with --variants variant switches (default: all)")
    parser.add_argument("--variants", action="store_true",
                        help="the second half: variant rows (each alone, then all together) "
                             "instead of fault rows")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--clock", choices=("virtual", "real"), default="virtual",
                        help="fault rows against the embedded mock (virtual, the default) or against a "
                             "separately started real-time mock through a profile (real)")
    args = parser.parse_args(argv)
    if args.variants:
        unknown = [v for v in args.switches if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(unknown)}; "
                         "see python -m asyncpay.mock --list-variants")
        rows = run_variant_matrix(args.switches or None, jobs=args.jobs,
                                  together=len(args.switches) != 1)
        sys.stdout.write(table(rows) + "\n")
        return 0 if all(r.clean_pass for r in rows) else 1
    args.faults = args.switches
    unknown = [f for f in args.faults if f not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}; see python -m asyncpay.mock --list-faults")
    names = args.faults or None
    skipped: list[str] = []
    if args.clock == "real":
        names = [f for f in (args.faults or sorted(FAULTS)) if f not in REAL_TIME_UNCHECKABLE]
        skipped = [f for f in (args.faults or sorted(FAULTS)) if f in REAL_TIME_UNCHECKABLE]
    rows = run_matrix(names, jobs=args.jobs, clock=args.clock)
    sys.stdout.write(table(rows) + "\n")
    for fault in skipped:
        sys.stdout.write(f"not run in real time: {fault} ({FAULTS[fault].rule}): {REAL_TIME_UNCHECKABLE[fault]}\n")
    ok = all(r.killed for r in rows if r.fault) and all(r.clean_pass for r in rows if r.fault is None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
