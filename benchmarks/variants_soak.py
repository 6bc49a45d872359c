"""Soak the suites on every variant at once, in real time, randomised: N consecutive runs.

    python benchmarks/variants_soak.py             # 20 runs
    python benchmarks/variants_soak.py --runs 5 --jobs 2

One real-clock mock is started (``python -m asyncpay.mock --clock real --variant all
--retention 4 --processing-delay 0.3-1.2``); every run is a fresh ``pytest suites`` process
under the ``dev`` Hypothesis profile (random examples), pointed at it by a profile whose timing
comes from the mock's own ``GET /_asyncpay/config``. Failures are printed as they happen
(rule: message); everything goes to ``reports/variants-soak.json``. Not a test: a false alarm
that shows once in twenty runs is what it is for.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from asyncpay.testing.mock_process import MockProcess  # noqa: E402
from asyncpay.testing.runs import SuiteRun, run_suites  # noqa: E402

MOCK_ARGS = ("--clock", "real", "--variant", "all", "--retention", "4",
             "--processing-delay", "0.3-1.2")
RUN_TIMEOUT = 900.0  # seconds for one run of every suite
OUTPUT = ROOT / "reports" / "variants-soak.json"


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def failures(run: SuiteRun) -> list[str]:
    """``rule: first line of the message`` for every failed check (or why there are none)."""
    if run.hung:
        return [f"run killed at its {RUN_TIMEOUT:g} s timeout"]
    try:
        checks = run.checks()
    except AssertionError as exc:  # no summary.json: the run broke before writing it
        return [str(exc).splitlines()[0]]
    found = [f"{c['failed_rule'] or c['verdict']}: {first_line(c['message'])}"
             for c in checks if c["verdict"] in ("failed", "error")]
    if run.returncode != 0 and not found:
        found = [f"exit {run.returncode} with no failed check; output ends: {run.tail(300)!r}"]
    return found


def soak(runs: int, jobs: int) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with MockProcess(*MOCK_ARGS, cwd=ROOT) as mock, \
            tempfile.TemporaryDirectory(prefix="asyncpay-soak-") as scratch:
        settings = mock.config()
        profile = mock.write_profile(Path(scratch) / "variants-soak.toml", name="variants soak")
        print(f"mock {mock.url}: {', '.join(settings['variants'])}", flush=True)
        args = ["-n", str(jobs)] if jobs > 1 else []
        for number in range(1, runs + 1):
            run = run_suites(["suites"], profile=profile, reports=Path(scratch) / f"run-{number}",
                             cwd=ROOT, timeout=RUN_TIMEOUT, args=args, hypothesis_profile="dev")
            failed = failures(run)
            results.append({"run": number, "exit_code": run.returncode, "seconds": round(run.elapsed, 1),
                            "hung": run.hung, "failures": failed})
            verdict = "ok" if run.returncode == 0 and not failed else "FAILED"
            print(f"run {number:>2}/{runs}: {verdict} in {run.elapsed:.0f} s", flush=True)
            for line in failed:
                print(f"    {line}", flush=True)
    passed = sum(r["exit_code"] == 0 and not r["failures"] for r in results)
    return {"mock_args": list(MOCK_ARGS), "mock_settings": settings, "hypothesis_profile": "dev",
            "runs": results, "passed": passed, "total": runs, "finished": time.time()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/variants_soak.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="consecutive runs (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="pytest-xdist workers per run (default 2)")
    args = parser.parse_args(argv)
    report = soak(args.runs, args.jobs)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{report['passed']}/{report['total']} runs passed; written to {OUTPUT}")
    return 0 if report["passed"] == report["total"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
