"""The plugin's options, each with its ini key and (where CI users expect one) its environment variable.

Every option is spelled ``--asyncpay-NAME`` so it cannot collide with another plugin's (pytest-profiling
owns ``--profile``). Its twins follow the same name: ini key ``asyncpay_NAME`` (in ``pytest.ini``,
``tox.ini`` or ``[tool.pytest.ini_options]``), variable ``ASYNCPAY_NAME`` (dashes become underscores).
A value is taken from the command line, else the environment, else the ini file, else the default.

Usage (``config`` is pytest's, with nothing set: the default)::

    value(config, "reports_dir")            # PosixPath('reports')

A new option is one more ``Option`` in ``OPTIONS``; the plugin registers it, ``--help`` lists it and
``value(config, name)`` reads it from whichever source set it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

__all__ = ["OPTIONS", "Option", "add_options", "named", "value"]

Kind = Literal["path", "text", "seconds", "flag", "names"]
GROUP = "asyncpay"
GROUP_TITLE = ("asyncpay: contract harness for asynchronous payment gateways. Each option also has an "
               "ini key asyncpay_* and most an ASYNCPAY_* variable (command line > variable > ini); "
               "a second spelling is an older one, kept because no known plugin uses it")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Option:
    name: str  # "reports-dir": --asyncpay-reports-dir, ini asyncpay_reports_dir, ASYNCPAY_REPORTS_DIR
    kind: Kind
    help: str
    metavar: str | None = None
    alias: str | None = None  # an older spelling, still accepted
    env: bool = True  # has an ASYNCPAY_* variable
    default: Any = None

    @property
    def flag(self) -> str:
        return f"--asyncpay-{self.name}"

    @property
    def dest(self) -> str:
        return "asyncpay_" + self.name.replace("-", "_")

    @property
    def ini(self) -> str:
        return self.dest

    @property
    def variable(self) -> str | None:
        return self.dest.upper() if self.env else None


OPTIONS: tuple[Option, ...] = (
    Option("profile", "path", "target profile (TOML); default: the embedded mock gateway (no --profile alias: "
           "pytest-profiling owns it)", "FILE"),
    Option("mock-fault", "names", "start the embedded mock with this fault switch (repeatable; in the ini "
           "file: names separated by commas or spaces)", "NAME", alias="--mock-fault", env=False,
           default=()),
    Option("mock-variant", "names", "start the embedded mock with this variant switch: a freedom the "
           "documentation leaves open (repeatable; 'all' = every one); list them with python -m asyncpay.mock "
           "--list-variants", "NAME", env=False, default=()),
    Option("request-timeout", "seconds", "override the profile's request_timeout for every target",
           "SECONDS", alias="--request-timeout"),
    Option("reports-dir", "path", "where run reports are written (default: reports)", "DIR",
           alias="--reports-dir", default=Path("reports")),
    Option("baseline", "path", "an earlier run's summary.json to compare this run with (drift report; no "
           "--baseline alias: projects' own conftests often define it)", "FILE"),
    Option("strict", "flag", "fail the run when a check is deferred or not verified", default=False),
    Option("no-reports", "flag", "write nothing to the reports directory", alias="--no-reports",
           default=False),
    Option("plan", "flag", "print the run plan (transactions per gateway and operation, the longest wait, "
           "what will be deferred) and end the run without sending anything", default=False),
    Option("sequential", "flag", "against a real-time gateway, run the tests one after another instead of "
           "starting them all at once (the run then costs the sum of all waits, not the longest)",
           default=False),
)
_BY_NAME = {option.dest.removeprefix("asyncpay_"): option for option in OPTIONS}


def _help(option: Option) -> str:
    twins = f"ini {option.ini}" + (f", env {option.variable}" if option.variable else "")
    return f"{option.help} [{twins}]"


def add_options(parser: pytest.Parser) -> None:
    """Register every option in its own ``--help`` group, and its ini key."""
    group = parser.getgroup(GROUP, GROUP_TITLE)
    for option in OPTIONS:
        flags = [option.flag, *([option.alias] if option.alias else [])]
        attrs: dict[str, Any] = {"dest": option.dest, "default": None, "help": _help(option)}
        if option.kind == "flag":
            attrs["action"] = "store_true"
        else:
            attrs["metavar"] = option.metavar
            if option.kind == "names":
                attrs["action"] = "append"
        group.addoption(*flags, **attrs)
        parser.addini(option.ini, _help(option), type="string", default=None)


def _parse(option: Option, raw: str, where: str, base: Path | None) -> Any:
    text = raw.strip()
    if option.kind == "flag":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise pytest.UsageError(f"{where}={raw!r}: expected true or false")
    if option.kind == "seconds":
        try:
            return float(text)
        except ValueError:
            raise pytest.UsageError(f"{where}={raw!r}: expected a number of seconds") from None
    if option.kind == "names":
        return tuple(name for name in re.split(r"[\s,]+", text) if name)
    if option.kind == "path":
        path = Path(text).expanduser()
        return base / path if base is not None and not path.is_absolute() else path
    return text


def _given(config: pytest.Config, option: Option) -> tuple[str, Any] | None:
    """(source, value) of the first source that sets ``option``, or None."""
    cli = config.getoption(option.dest, None)
    if cli is not None:
        if option.kind == "names":
            return "command line", tuple(cli)
        if option.kind == "path":
            return "command line", Path(cli).expanduser()
        if option.kind == "seconds":
            return "command line", _parse(option, str(cli), option.flag, None)
        return "command line", cli
    if option.variable and os.environ.get(option.variable, "").strip():
        return "environment", _parse(option, os.environ[option.variable], option.variable, None)
    raw = config.getini(option.ini)
    if raw not in (None, ""):
        base = config.inipath.parent if config.inipath is not None else None
        return "ini", _parse(option, str(raw), option.ini, base)
    return None


def value(config: pytest.Config, name: str) -> Any:
    """The value of option ``name`` (``"reports_dir"`` or ``"reports-dir"``) from its first source."""
    option = _BY_NAME[name.replace("-", "_")]
    given = _given(config, option)
    return given[1] if given is not None else option.default


def named(config: pytest.Config) -> list[str]:
    """The options this run sets, by any source: the plugin is in use when there is one."""
    return [option.flag for option in OPTIONS if _given(config, option) is not None]
