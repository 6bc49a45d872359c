"""Speed and memory of suite runs against the embedded mock, written to reports/bench.json.

    python benchmarks/bench.py                 # Overpay, OPP, all suites; the main job (-n 2)
    python benchmarks/bench.py --repeat 3

Each run is a fresh ``pytest`` process, as a user would start it; wall time (seconds, from
process start to exit), CPU time of the process and its xdist workers, and the peak resident
memory of the largest of them are measured. Targets on a 2-core machine: the Overpay suites in
under 60 s, and the main job (``tox -e suites``: all suites, ``-n 2 --dist loadgroup``) in at
most 15 s. Writes the embedded section of ``reports/bench.json``; ``benchmarks/realtime.py``
writes the real-time section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from asyncpay.testing.runs import run_suites  # noqa: E402

RUNS = {
    "overpay suites": ["suites", "-m", "overpay"],
    "opp suites": ["suites", "-m", "opp"],
    "all suites": ["suites"],
    "all suites -n 2": ["suites", "-n", "2"],
    # The main job, as tox -e suites runs it: the longest tests dealt out first (suites/conftest.py).
    "all suites -n 2 --dist loadgroup": ["suites", "-n", "2", "--dist", "loadgroup"],
}
TARGET_SECONDS = {"overpay suites": 60.0, "all suites -n 2 --dist loadgroup": 15.0}


def measure(args: list[str]) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = run_suites(args[:1], profile=None, reports=Path(tmp) / "reports", cwd=ROOT, timeout=1800,
                         args=args[1:], hypothesis_profile=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed (exit {run.returncode}):\n{run.tail(2000)}")
    return {"seconds": round(run.elapsed, 2), "cpu_seconds": round(after.ru_utime - before.ru_utime
                                                                   + after.ru_stime - before.ru_stime, 2),
            # ru_maxrss of children is the largest single child process (KiB on Linux).
            "peak_rss_mib": round(after.ru_maxrss / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench.json"))
    args = parser.parse_args()
    results: dict[str, dict[str, object]] = {}
    for name, run_args in RUNS.items():
        samples = [measure(run_args) for _ in range(args.repeat)]
        seconds = [float(s["seconds"]) for s in samples]
        results[name] = {"median_seconds": statistics.median(seconds), "samples": samples,
                         "target_seconds": TARGET_SECONDS.get(name)}
        line = f"{name:<34} {statistics.median(seconds):6.1f} s  peak {samples[-1]['peak_rss_mib']} MiB"
        if name in TARGET_SECONDS:
            line += f"  (target < {TARGET_SECONDS[name]:g} s)"
        sys.stdout.write(line + "\n")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    document = json.loads(out.read_text()) if out.is_file() else {}  # keeps the realtime section
    document.update({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "results": results})
    out.write_text(json.dumps(document, indent=2))
    failed = [n for n, t in TARGET_SECONDS.items() if float(results[n]["median_seconds"]) >= t]  # type: ignore[arg-type]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
