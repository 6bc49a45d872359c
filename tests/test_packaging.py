"""The wheel is complete: built from the sdist (so the sdist carries what a rebuild needs), installed
non-editable into a fresh virtual environment, it runs a smoke subset of the suites against the
embedded mock from a directory that is not the checkout, and starts beside pytest-profiling."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

from asyncpay.testing.runs import run_suites, start_pytest

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ["suites/scenarios/overpay/test_task_answer.py", "suites/scenarios/opp/test_payment.py"]


def _packages() -> set[str]:
    return set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])


def test_every_package_is_listed_for_the_wheel() -> None:
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "asyncpay").rglob("__init__.py")}
    assert found - _packages() == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def _build(tmp_path: Path) -> tuple[Path, Path]:
    dist = tmp_path / "dist"
    # python -m build makes the sdist, then the wheel from the unpacked sdist.
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return next(dist.glob("*.tar.gz")), next(dist.glob("*.whl"))


def _fresh_environment(tmp_path: Path, wheel: Path) -> Path:
    """A new virtual environment with the wheel installed in it (not editable, no checkout on the path).

    The third-party dependencies come from this environment through a .pth line, so the test needs
    no network: what is under test is the wheel, not the package index.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    host = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "_asyncpay_test_dependencies.pth").write_text("\n".join(sorted(host)) + "\n")
    # --ignore-installed: through the .pth line pip also sees this environment's (editable) asyncpay.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                           "--ignore-installed", "--no-index", "--quiet", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return python


def test_the_wheel_runs_the_suites_from_any_directory(tmp_path: Path) -> None:
    sdist, wheel = _build(tmp_path)

    names = set(zipfile.ZipFile(wheel).namelist())
    contracts = {f"asyncpay/_contracts/{p.relative_to(ROOT / 'contracts').as_posix()}"
                 for p in (ROOT / "contracts").rglob("*") if p.is_file()}
    assert contracts - names == set(), "contracts missing from the wheel"
    assert {"asyncpay/py.typed", "asyncpay/reporting/templates/report.html",
            "asyncpay/pytest/plan_reference.json"} <= names
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        archive.extractall(tmp_path / "src", filter="data")
    source = tmp_path / "src" / top
    for needed in ("contracts/overpay/task.json", "suites", "tests", "conftest.py", "tox.ini", "pyproject.toml",
                   "profiles/mock.toml"):
        assert (source / needed).exists(), f"the sdist lacks {needed}"

    python = _fresh_environment(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import asyncpay.schemas.contracts as c; print(c.CONTRACTS_DIR)"],
                           cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert where.stdout.strip().startswith(str(tmp_path / "venv")), where.stdout + where.stderr

    run = run_suites([str(source / path) for path in SMOKE], profile=None, reports=elsewhere / "reports",
                     cwd=elsewhere, timeout=300, python=str(python))
    assert run.returncode == 0, run.tail()
    summary = run.summary()
    assert summary["check_totals"]["passed"] > 0 and summary["check_totals"]["failed"] == 0
    assert (elsewhere / "reports" / "report.html").is_file()

    helped = start_pytest(["--help", "-p", "no:cacheprovider"], cwd=elsewhere, log=tmp_path / "help.txt",
                          python=str(python)).wait()
    assert helped.returncode == 0, helped.tail()
    assert "--asyncpay-profile=FILE" in helped.output
    assert "--profile " in helped.output, "pytest-profiling, installed beside asyncpay, starts too"
