"""One pytest process's asyncpay state, as a typed object: the effective profile, the embedded
mock's settings, the redactor and the check records.

The profile a user wrote is never changed. What the run really uses is derived from it once, with
:func:`dataclasses.replace`: the ``--asyncpay-request-timeout`` override, and for the embedded mock
its effective timing (a variant may shorten the retention or throttle status reads) and its
variants spelt out (``all`` → each name). The embedded mock's address is known only once it
starts; the runtime (:mod:`asyncpay.pytest.runtime`) derives each target with it then.

Usage (in the plugin's hooks)::

    state = activate(config)          # once per process; pytest.UsageError on a bad profile
    state.profile.overpay.timing      # the effective timing
    session_of(config).records.append(record)
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from asyncpay.config import options
from asyncpay.config.profile import MOCK_API_VERSIONS, Profile, embedded_profile, load_profile, mock_timing
from asyncpay.errors import HarnessError, ProfileError
from asyncpay.http.redaction import RedactingFilter, Redactor
from asyncpay.pytest import progress_view
from asyncpay.verdicts import CheckRecord


@dataclass(frozen=True)
class RunStamp:
    """Which run this process belongs to: one id for the xdist controller and all its workers,
    and when the run started (epoch seconds)."""

    run_id: str
    started: float


@dataclass
class AsyncpaySession:
    """What one pytest process holds for asyncpay once a profile is loaded."""

    #: The profile as the run uses it (derived, see the module docstring); never the loaded object.
    profile: Profile
    #: The embedded mock's ``MockConfig`` (None when no target is the embedded mock).
    mock_config: Any
    redactor: Redactor
    stamp: RunStamp
    records: list[CheckRecord] = field(default_factory=list)
    #: The run's summary once the reports are written (the controller only).
    summary: dict[str, Any] | None = None
    #: Whether the run's long-lived heap is frozen (gc.freeze) until pytest is done.
    frozen: bool = False


STAMP = pytest.StashKey[RunStamp]()
SESSION = pytest.StashKey[AsyncpaySession]()


def stamp(config: pytest.Config) -> RunStamp:
    """This process's run id and start time, made on first use (pytest_configure)."""
    if STAMP not in config.stash:
        workerinput = getattr(config, "workerinput", None)
        run_id = (workerinput or {}).get("asyncpay_run_id") or uuid.uuid4().hex[:10]
        config.stash[STAMP] = RunStamp(run_id, time.time())
    return config.stash[STAMP]


def in_use(config: pytest.Config) -> bool:
    """Whether this run uses asyncpay (a profile is loaded); an unrelated run never does."""
    return SESSION in config.stash


def session_of(config: pytest.Config) -> AsyncpaySession:
    """The state :func:`activate` made; KeyError before it ran."""
    return config.stash[SESSION]


def with_request_timeout(profile: Profile, timeout: float | None) -> Profile:
    """``profile`` with every target's request timeout (seconds) set to ``timeout`` (None: as is)."""
    if timeout is None:
        return profile
    return _each_target(profile, lambda target: dataclasses.replace(
        target, timing=dataclasses.replace(target.timing, request_timeout=timeout)))


def _each_target(profile: Profile, change: Callable[[Any], Any]) -> Profile:
    """``profile`` with ``change(target)`` in place of each target it has."""
    return dataclasses.replace(profile,
                               overpay=None if profile.overpay is None else change(profile.overpay),
                               opp=None if profile.opp is None else change(profile.opp))


def embedded_mock(profile: Profile) -> tuple[Any, Profile]:
    """The embedded mock's ``MockConfig`` for ``profile``, and the profile with the mock's effective
    timing and its variants spelt out ("all" → each name), so the harness is told the truth.

    Raises ProfileError on an unknown variant.
    """
    from asyncpay.mock import MockConfig
    try:
        mock_config = MockConfig(faults=list(profile.mock_faults), variants=list(profile.mock_variants))
    except ValueError as exc:
        raise ProfileError(f"{exc}; list them with: python -m asyncpay.mock --list-variants") from None
    settings = mock_config.effective()
    adopted = _each_target(profile, lambda target: dataclasses.replace(
        target, timing=mock_timing(settings, target.timing)) if target.embedded else target)
    # The versions the mock speaks (a v2-only mock ignores X-API-Version), unless declared.
    if adopted.overpay is not None and adopted.overpay.embedded and profile.mock_api_versions is None:
        adopted = dataclasses.replace(adopted, overpay=dataclasses.replace(
            adopted.overpay, api_versions=tuple(settings.get("api_versions", MOCK_API_VERSIONS))))
    return mock_config, dataclasses.replace(adopted, mock_variants=list(mock_config.variants))


def activate(config: pytest.Config, *, check_reachable: bool = True) -> AsyncpaySession:
    """Load the profile, derive the effective one and get ready to record checks; once per process.

    Raises pytest.UsageError on a bad profile or (``check_reachable``, not in a worker) a target
    that cannot be reached.
    """
    if SESSION in config.stash:
        return config.stash[SESSION]
    path = options.value(config, "profile")
    faults = list(options.value(config, "mock_fault"))
    variants = list(options.value(config, "mock_variant"))
    mock_config = None
    try:
        profile = load_profile(Path(path), faults, variants) if path else embedded_profile(faults, variants)
        if profile.mock_faults:
            from asyncpay.mock import FAULTS
            unknown = [f for f in profile.mock_faults if f not in FAULTS]
            if unknown:
                raise ProfileError(f"unknown mock fault(s) {', '.join(unknown)}; "
                                   f"list them with: python -m asyncpay.mock --list-faults")
        if profile.embedded:
            mock_config, profile = embedded_mock(profile)
    except ProfileError as exc:
        raise pytest.UsageError(str(exc)) from None
    profile = with_request_timeout(profile, options.value(config, "request_timeout"))
    worker = hasattr(config, "workerinput")
    if check_reachable and not worker and not options.value(config, "plan"):
        from asyncpay.http.reachability import check_reachable as check
        from asyncpay.waiting.receiver_check import check_receiver
        try:
            check(profile)
            check_receiver(profile)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
    state = AsyncpaySession(profile=profile, mock_config=mock_config, redactor=Redactor(profile.secrets),
                            stamp=stamp(config))
    config.stash[SESSION] = state
    from asyncpay.http import replay
    replay.use_profile(str(profile.path) if profile.path else None)  # named by failing requests' replay commands
    # At exit the interpreter's last garbage collection would walk the whole heap once more
    # (Hypothesis's example trees, thousands of recorded exchanges): about a second of a
    # real-time run, spent on a process that is ending. Frozen at exit, it is left to the OS.
    atexit.register(gc.freeze)
    redact_log_records(state.redactor)
    if not worker:  # a worker's terminal is not shown: the controller's board has nothing to show
        progress_view.install(config)
    return state


def redact_log_records(redactor: Redactor) -> None:
    """Redact every log record when it is made (message, arguments, traceback), whichever handler
    (pytest's capture too) gets it."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "asyncpay", False):
        return
    redacting = RedactingFilter(redactor)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        try:
            redacting.filter(record)
        except Exception:  # a broken log call must not break the run
            pass
        return record

    factory.asyncpay = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def run_meta(config: pytest.Config) -> dict[str, Any]:
    """What the reports say about this run: its id, profile, targets, mock switches and times."""
    state = session_of(config)
    profile = state.profile
    baseline = options.value(config, "baseline")
    return {
        "run_id": state.stamp.run_id,
        "profile": profile.name,
        "profile_path": str(profile.path) if profile.path else None,
        "targets": {
            name: (target.base_url if not target.embedded else "embedded mock")
            for name, target in (("overpay", profile.overpay), ("opp", profile.opp)) if target
        } | ({"merchant": profile.merchant.base_url or "shop started by command"} if profile.merchant else {}),
        "mock_faults": profile.mock_faults,
        "mock_variants": profile.mock_variants,
        "started": state.stamp.started,
        "finished": time.time(),
        "baseline": str(baseline) if baseline else None,
        "strict": options.value(config, "strict"),
    }
