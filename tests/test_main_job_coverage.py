"""After the main job (every suite against the embedded mock) the report's coverage section shows
every documented message shape seen, and summary.json says so. Runs the real suites in a
subprocess, as a user would."""

from asyncpay.reporting.report import documented_shapes
from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import ROOT


def test_the_main_job_sees_every_documented_shape(tmp_path):
    run = run_suites(["suites"], profile=None, reports=tmp_path / "reports", cwd=ROOT, timeout=900,
                     args=["-n", "2", "--dist", "loadgroup"])

    assert run.returncode == 0, run.tail(3000)
    coverage = run.summary()["coverage"]
    assert coverage["never_exercised"] == [], coverage["never_exercised"]
    assert coverage["seen"] == coverage["documented"] == len(documented_shapes(["overpay", "opp"]))
    html = (tmp_path / "reports" / "report.html").read_text(encoding="utf-8")
    assert f"{coverage['seen']} of {coverage['documented']} documented message shapes were seen" in html
