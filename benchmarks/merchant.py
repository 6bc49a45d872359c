"""Speed of a merchant run against the reference shop, written to reports/bench-merchant.json.

    python benchmarks/merchant.py              # one run
    python benchmarks/merchant.py --repeat 3

Each run is a fresh ``pytest suites/merchant --asyncpay-profile examples/shop/shop.toml``
process, as an integrator starts it: the embedded mock plays the platform, the shop is started
as a subprocess. Measured: wall time (seconds, process start to exit) and CPU time of the run and
its children (the shop included). Target on a 2-core machine: under 60 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from asyncpay.testing.runs import run_suites  # noqa: E402

PROFILE = ROOT / "examples" / "shop" / "shop.toml"
TARGET_SECONDS = 60.0


def one_run() -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="asyncpay-bench-merchant-") as tmp:
        run = run_suites(["suites/merchant"], profile=PROFILE, reports=Path(tmp) / "reports", cwd=ROOT,
                         timeout=300, args=["-p", "no:randomly"])
        if run.hung or run.returncode != 0:
            raise SystemExit(f"the merchant run did not pass (exit {run.returncode}):\n{run.output[-3000:]}")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": round(wall, 2), "cpu": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    runs = [one_run() for _ in range(args.repeat)]
    walls = [r["wall"] for r in runs]
    result = {"runs": runs, "median_wall": statistics.median(walls), "target_wall": TARGET_SECONDS,
              "within_target": statistics.median(walls) < TARGET_SECONDS}
    out = ROOT / "reports" / "bench-merchant.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
