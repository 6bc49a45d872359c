"""The variant run: every suite against the embedded mock speaking Overpay API v3 passes, and
the answers it held were the v3 ones. Runs the real suites in a subprocess, as a user would."""

from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import REQUEST_TIMEOUT, ROOT

PROFILE = 'name = "embedded mock, Overpay API v3"\n[mock]\noverpay_api_version = 3\n'


def test_every_suite_passes_against_the_mock_speaking_v3(tmp_path):
    profile = tmp_path / "mock-v3.toml"
    profile.write_text(PROFILE, encoding="utf-8")

    run = run_suites(["suites"], profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=900,
                     args=["--asyncpay-request-timeout", str(REQUEST_TIMEOUT),
                           "-W", "ignore::hypothesis.errors.HypothesisWarning"], hypothesis_profile="smoke")

    assert run.returncode == 0, run.tail(3000)
    summary = run.summary()
    assert [rule for rule, row in summary["rules"].items() if row["verdict"] in ("failed", "error")] == []
    shapes = summary["coverage"]["shapes"]
    assert shapes["overpay/v3-task"] > 0 and shapes["overpay/v3-result"] > 0, shapes
