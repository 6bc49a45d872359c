"""The matrix's second half: every variant switch takes a freedom the docs leave open, so the
suites must pass on it — alone, all together (randomised, three times), and all together on a
separate real-clock mock. Each case runs the real suites in a subprocess, as a user would; a
failure here is a false alarm of the suites, named by rule and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncpay.mock import VARIANTS
from asyncpay.testing.mock_process import MockProcess
from asyncpay.testing.runs import run_suites
from asyncpay.tools.matrix import ROOT, ROW_PROPERTY, Row, run_variants

#: The separately started real-clock mock: every variant, short retention, random delays.
REAL_CLOCK_MOCK = ("--clock", "real", "--variant", "all", "--retention", "4",
                   "--processing-delay", "0.3-1.2")
TOGETHER_RUNS = 3


def explain(row: Row) -> str:
    reasons = "\n  ".join(row.failures[:8]) or "(no failed check recorded)"
    return (f"{row.name}: exit {row.exit_code}, failed rules {row.failed_rules}\n  {reasons}\n"
            f"output ends:\n{row.output_tail}")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_alone_passes_the_suites(variant, record_property):
    row = run_variants([variant])
    record_property(ROW_PROPERTY, row.__dict__)  # the printed matrix's row (tests/conftest.py)
    assert row.exit_code == 0 and not row.failed_rules, explain(row)


@pytest.mark.parametrize("attempt", range(1, TOGETHER_RUNS + 1))
def test_all_variants_together_pass_randomised(attempt, record_property):
    row = run_variants(sorted(VARIANTS), hypothesis_profile="dev")
    record_property(ROW_PROPERTY, row.__dict__)
    assert row.exit_code == 0 and not row.failed_rules, explain(row)


def test_all_variants_pass_on_a_real_clock_mock(tmp_path: Path):
    with MockProcess(*REAL_CLOCK_MOCK, cwd=ROOT) as mock:
        settings = mock.config()
        assert sorted(settings["variants"]) == sorted(VARIANTS)
        assert (settings["clock"], settings["retention"], settings["processing_delay"]) == (
            "real", 4, [0.3, 1.2])
        profile = mock.write_profile(tmp_path / "real-clock-variants.toml")
        run = run_suites(["suites"], profile=profile, reports=tmp_path / "reports", cwd=ROOT,
                         timeout=900, args=["-n", "2"])
    assert not run.hung, f"the run was killed at its timeout; output ends:\n{run.tail()}"
    failed = sorted({f"{c['failed_rule']}: {(c['message'] or '').splitlines()[0]}"
                     for c in run.checks() if c["verdict"] in ("failed", "error")})
    assert run.returncode == 0 and not failed, (
        f"exit {run.returncode}; failed checks:\n  " + "\n  ".join(failed[:8])
        + f"\noutput ends:\n{run.tail()}")
