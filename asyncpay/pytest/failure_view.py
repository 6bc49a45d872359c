"""A gateway's broken rule on one screen: the rule, Documented / Expected / Received / Next step,
and where in the suite it was found — without pytest's source traceback through the harness.

pytest renders every frame of a failure's traceback with its source; a run against a faulty
gateway printed 1,553 lines that way, the message a reader needs buried between harness
internals. For a :class:`~asyncpay.errors.ContractViolation`, when the user asked for no
traceback style (``--tb`` left at ``auto``) and no verbosity (``-v``), the plugin shows this
instead; ``--tb=long`` or ``-v`` bring pytest's full traceback back::

    [overpay.result-shape] result from result_url of task 09b6… does not conform to contract …
    Documented: Once the task is done, response_url answers the standard synchronous response: …
    Expected:   Overpay asynchronous task result (contracts/overpay/result.json); problems: …
    Received:   {"transaction": {…}}
    Next step:  this check's exchanges: reports/report.html; the full traceback: --tb=long or -v
    Where:      suites/scenarios/overpay/test_result.py:31 in test_result_answers_the_request
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

import asyncpay
from asyncpay.errors import ContractViolation

__all__ = ["compact", "wanted"]

_HARNESS = Path(asyncpay.__file__).resolve().parent
_LIBRARIES = tuple({Path(p).resolve() for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                                                sysconfig.get_paths()["stdlib"], sys.prefix, sys.base_prefix)})


def wanted(config: pytest.Config, exc: BaseException | None) -> bool:
    """Whether this failure is shown compact: a contract violation, and no --tb or -v asked for."""
    return (isinstance(exc, ContractViolation) and config.getoption("tbstyle", "auto") == "auto"
            and int(config.getoption("verbose", 0) or 0) <= 0)


def _in_suite(path: Path) -> bool:
    resolved = path.resolve()
    if resolved.is_relative_to(_HARNESS):
        return False
    return not any(resolved.is_relative_to(library) for library in _LIBRARIES)


def _where(config: pytest.Config, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """``file:line in function`` of the test and of the deepest suite frame below it."""
    frames = []
    for entry in excinfo.traceback:
        path = Path(str(entry.path))
        if _in_suite(path):
            try:
                shown = path.resolve().relative_to(config.rootpath.resolve())
            except ValueError:
                shown = path
            frames.append(f"{shown}:{entry.lineno + 1} in {entry.name}")
    frames = list(dict.fromkeys(frames))
    if not frames:
        return ""
    return frames[0] if len(frames) == 1 else f"{frames[0]} → {frames[-1]}"


def compact(config: pytest.Config, excinfo: pytest.ExceptionInfo[BaseException], report_page: Path) -> str:
    """The failure as the plugin shows it (see the module docstring); notes (Hypothesis's failing
    case and its reproduce blob) follow it."""
    exc: Any = excinfo.value
    lines = [exc.render() if isinstance(exc, ContractViolation) else str(exc)]
    if not getattr(exc, "hint", None):
        lines.append(f"Next step:  this check's exchanges: {report_page}; the full traceback: --tb=long or -v")
    else:
        lines.append(f"            (this check's exchanges: {report_page}; the full traceback: --tb=long or -v)")
    where = _where(config, excinfo)
    if where:
        lines.append(f"Where:      {where}")
    notes = [str(note) for note in getattr(exc, "__notes__", ()) or ()]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)
