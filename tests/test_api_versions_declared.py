"""Only the Overpay API versions the profile declares are demanded: a gateway that speaks v2
alone (the ``v2-only`` variant: it ignores ``X-API-Version``) passes with the default
declaration, and fails ``overpay.api-version`` as soon as the profile declares v3.
Runs the API-version suite in a subprocess, as a user would."""

from pathlib import Path

from asyncpay.testing.runs import SuiteRun, run_suites
from asyncpay.tools.matrix import REQUEST_TIMEOUT, ROOT

SUITE = "suites/scenarios/overpay/test_api_version.py"


def run(tmp_path: Path, profile_text: str) -> SuiteRun:
    profile = tmp_path / "v2-only.toml"
    profile.write_text(profile_text, encoding="utf-8")
    return run_suites([SUITE], profile=profile, reports=tmp_path / "reports", cwd=ROOT, timeout=300,
                      args=["-n0", "--asyncpay-request-timeout", str(REQUEST_TIMEOUT)])


def verdicts(run: SuiteRun) -> dict[str, str]:
    return {check["test"]: check["verdict"] for check in run.checks()}


def test_a_v2_only_gateway_passes_the_default_declaration(tmp_path: Path) -> None:
    result = run(tmp_path, '[mock]\nvariants = ["v2-only"]\n')

    assert result.returncode == 0, result.tail(3000)
    seen = verdicts(result)
    assert sorted(set(seen.values())) == ["not verified", "passed"], seen
    assert all(verdict == "not verified" for test, verdict in seen.items() if "v3" in test), seen
    assert result.failed_rules() == set()


def test_a_v2_only_gateway_fails_the_api_version_rule_when_v3_is_declared(tmp_path: Path) -> None:
    result = run(tmp_path, '[mock]\nvariants = ["v2-only"]\noverpay_api_versions = [2, 3]\n')

    assert result.returncode != 0
    assert result.failed_rules() == {"overpay.api-version"}, result.tail(3000)
