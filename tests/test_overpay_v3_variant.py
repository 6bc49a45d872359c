"""The variant run: every suite against the embedded mock speaking Overpay API v3 passes, and
the answers it held were the v3 ones. Runs the real suites in a subprocess, as a user would."""

import json
import os
import subprocess
import sys

from asyncpay.matrix import REQUEST_TIMEOUT, ROOT

PROFILE = 'name = "embedded mock, Overpay API v3"\n[mock]\noverpay_api_version = 3\n'


def test_every_suite_passes_against_the_mock_speaking_v3(tmp_path):
    profile = tmp_path / "mock-v3.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    reports = tmp_path / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.setdefault("HYPOTHESIS_PROFILE", "smoke")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "-q", "-p", "no:cacheprovider", "--profile", str(profile),
         "--reports-dir", str(reports), "--request-timeout", str(REQUEST_TIMEOUT),
         "-W", "ignore::hypothesis.errors.HypothesisWarning"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    failed = [rule for rule, row in summary["rules"].items() if row["verdict"] == "failed"]
    assert failed == []
    shapes = summary["coverage"]["shapes"]
    assert shapes["overpay/v3-task"] > 0 and shapes["overpay/v3-result"] > 0, shapes
