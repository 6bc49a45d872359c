"""Real-time speed: all suites against a separately started real-clock mock, as a sandbox run costs.

    python benchmarks/realtime.py              # both timing settings, 3 runs each
    python benchmarks/realtime.py --repeat 5   # more runs per setting

Writes the ``realtime`` section of ``reports/bench.json`` (``benchmarks/bench.py`` writes the
embedded-mock section beside it).

For each setting the mock runs in real time (``python -m asyncpay.mock --clock real``) with the
processing delays drawn from a range, a short retention and notifications delayed up to 1 s;
the suites run against it through a profile that states those timings and the default polling
(``poll_interval`` 1 s). Measured per setting:

* ``wall``: the whole ``pytest suites`` process, start-up included (seconds);
* ``critical_path``: the longest single scenario's inherent wait, from the configured timings:
  a task created, kept for its retention and seen expired after it (retention + the harness's
  expiry slack), or a payment pending then notified, whichever is longer (seconds);
* ``ratio`` = wall / critical path (the goal: at most 2);
* status reads per completed task (median, p95): reads of status_url / response_url up to and
  including the first answer that is no longer ``processing``;
* peak RSS (MiB) and CPU time (seconds) of the run.

Each setting runs ``--repeat`` times (the ``dev`` Hypothesis profile draws new cases every run);
the section keeps every sample and the median of each measure, and ``ratio`` is the median
wall over the critical path.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from asyncpay.config.profile import Timing, mock_timing  # noqa: E402
from asyncpay.testing.mock_process import TASK_FAILURE, MockProcess  # noqa: E402
from asyncpay.testing.runs import profile_toml, run_suites  # noqa: E402

SETTINGS = {
    "processing 0.3-1.2 s, retention 4 s": {"processing": (0.3, 1.2), "retention": 4.0},
    "processing 1.5-3 s, retention 7 s": {"processing": (1.5, 3.0), "retention": 7.0},
}
NOTIFICATION_DELAY = 1.0  # seconds, at most


def _slack(retention: float) -> float:
    return max(1.0, 0.02 * retention)  # the harness's expiry slack on a real clock (asyncpay.gateways.overpay.merchant)


def critical_path(processing: tuple[float, float], retention: float) -> float:
    """Seconds: the longest inherent wait of any one scenario under these timings."""
    expiry = retention + _slack(retention)
    notified = processing[1] + NOTIFICATION_DELAY
    return max(expiry, notified)


def reads_per_task(records: list[dict[str, Any]]) -> list[int]:
    """For each task: status/result reads up to and including the first answer not ``processing``."""
    counts: dict[str, int] = {}
    done: set[str] = set()
    for rec in records:
        for exchange in (rec.get("recording") or {}).get("exchanges") or []:
            task, label = exchange.get("task"), str(exchange.get("label") or "")
            if not task or task in done or not label.startswith(("status ", "result ")):
                continue
            counts[task] = counts.get(task, 0) + 1
            try:
                body = json.loads(exchange.get("response_body") or "null")
            except ValueError:
                body = None
            if not (isinstance(body, dict) and body.get("status") == "processing"):
                done.add(task)
    return [counts[task] for task in done]


def measure(name: str, processing: tuple[float, float], retention: float, hypothesis: str) -> dict[str, Any]:
    low, high = processing
    args = ["--clock", "real", "--retention", f"{retention:g}", "--processing-delay", f"{low:g}-{high:g}",
            "--pending-delay", f"{high:g}", "--notification-delay", f"{NOTIFICATION_DELAY:g}"]
    with MockProcess(*args, cwd=ROOT) as mock, tempfile.TemporaryDirectory() as tmp:
        timing = mock_timing(mock.config(), Timing(request_timeout=5.0, clock="real",
                                                   max_wait=retention + 10.0))
        profile = Path(tmp) / "profile.toml"
        profile.write_text(profile_toml(overpay=mock.url, opp=mock.url, name=name, extra=TASK_FAILURE,
                                        timing={k: v for k, v in timing.__dict__.items()}), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = run_suites(["suites"], profile=profile, reports=Path(tmp) / "reports", cwd=ROOT, timeout=900,
                         hypothesis_profile=hypothesis)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        records_path = Path(tmp) / "reports" / "records.json"
        records = json.loads(records_path.read_text())["records"] if records_path.is_file() else []
        verdicts = {rule: row["verdict"] for rule, row in run.summary()["rules"].items()}
    reads = sorted(reads_per_task(records))
    critical = critical_path(processing, retention)
    return {
        "exit_code": run.returncode,
        "failed_rules": sorted(r for r, v in verdicts.items() if v in ("failed", "error")),
        "wall_seconds": round(run.elapsed, 2),
        "critical_path_seconds": round(critical, 2),
        "ratio": round(run.elapsed / critical, 2),
        "status_reads_per_task": {"tasks": len(reads), "median": statistics.median(reads) if reads else None,
                                  "p95": reads[max(0, int(round(0.95 * len(reads))) - 1)] if reads else None},
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        "cpu_seconds": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
        "timing": {"processing": list(processing), "retention": retention,
                   "notification_delay_max": NOTIFICATION_DELAY, "poll_interval": timing.poll_interval},
    }


def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each measure over a setting's runs, and every run."""
    def median(key: str) -> float:
        return round(statistics.median(float(sample[key]) for sample in samples), 2)

    critical = samples[0]["critical_path_seconds"]
    medians = [sample["status_reads_per_task"]["median"] for sample in samples]
    p95s = [sample["status_reads_per_task"]["p95"] for sample in samples]
    return {
        "runs": len(samples),
        "passed": all(sample["exit_code"] == 0 for sample in samples),
        "wall_seconds": median("wall_seconds"),
        "wall_seconds_max": max(float(sample["wall_seconds"]) for sample in samples),
        "critical_path_seconds": critical,
        "ratio": round(median("wall_seconds") / critical, 2),
        "status_reads_per_task": {"median": statistics.median(m for m in medians if m is not None),
                                  "p95": max(p for p in p95s if p is not None)},
        "peak_rss_mib": max(float(sample["peak_rss_mib"]) for sample in samples),
        "cpu_seconds": median("cpu_seconds"),
        "timing": samples[0]["timing"],
        "samples": samples,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "bench.json"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing setting (3)")
    parser.add_argument("--hypothesis-profile", default="dev", help="Hypothesis profile of the runs (dev)")
    args = parser.parse_args()
    results = {name: summarise([measure(name, s["processing"], s["retention"], args.hypothesis_profile)  # type: ignore[arg-type]
                                for _ in range(args.repeat)])
               for name, s in SETTINGS.items()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    document = json.loads(out.read_text()) if out.is_file() else {}
    document["realtime"] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                            "settings": results}
    out.write_text(json.dumps(document, indent=2) + "\n")
    for name, row in results.items():
        reads = row["status_reads_per_task"]
        walls = ", ".join(str(sample["wall_seconds"]) for sample in row["samples"])
        print(f"{name}: wall {row['wall_seconds']} s (median of {walls}), critical path "
              f"{row['critical_path_seconds']} s, ratio {row['ratio']}, reads/task median {reads['median']} "
              f"p95 {reads['p95']}, peak RSS {row['peak_rss_mib']} MiB, CPU {row['cpu_seconds']} s, "
              f"{'passed' if row['passed'] else 'FAILED'}")
    return 0 if all(row["passed"] for row in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
