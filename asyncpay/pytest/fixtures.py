"""The fixtures the suites ask for: the runtime, the profile, the redactor, the test's recording,
the receiver, and one fixture per registered gateway role (:mod:`asyncpay.pytest.registry`).

The plugin loads this module as a pytest plugin of its own (``pytest_plugins``).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from asyncpay.config.profile import Profile
from asyncpay.http.recording import Recording, activate
from asyncpay.http.redaction import Redactor
from asyncpay.pytest.outcomes import recording_of
from asyncpay.pytest.registry import GATEWAYS, GatewayRole
from asyncpay.pytest.runtime import Runtime
from asyncpay.pytest.session import activate as activate_session


@pytest.fixture(scope="session")
def asyncpay_runtime(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Runtime]:
    state = activate_session(pytestconfig)
    runtime = Runtime(state)
    # Everything alive now (imported modules, schemas, Hypothesis strategies) lives for the run:
    # frozen, the garbage collector stops walking it on every full collection (half its work,
    # about 0.7 s of CPU in a real-time run). Thawed when pytest is done (pytest_unconfigure).
    gc.freeze()
    state.frozen = True
    if pytestconfig.pluginmanager.has_plugin("asyncpay-overlap"):
        # The generated cases are drawn in a child process on the other core: forked first,
        # while this process runs no thread of its own making (asyncpay.realtime.prefetch).
        from asyncpay.realtime import prefetch
        from asyncpay.realtime.early import eligible, prepare
        from asyncpay.schemas.generation import draw_batches, suite_cases
        ahead = prefetch.start(suite_cases([item for item in request.session.items if eligible(item)]),
                               draw_batches)
        if ahead is not None:
            request.addfinalizer(functools.partial(prefetch.stop, ahead))
        prepare(request.session.items, runtime.fixture)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="session")
def asyncpay_profile(pytestconfig: pytest.Config) -> Profile:
    """The profile as the run uses it (the embedded mock's timing adopted, overrides applied)."""
    return activate_session(pytestconfig).profile


@pytest.fixture(scope="session")
def redactor(pytestconfig: pytest.Config) -> Redactor:
    return activate_session(pytestconfig).redactor


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> Recording:
    rec = recording_of(request.node)
    activate(rec)
    return rec


@pytest.fixture
def receiver(asyncpay_runtime: Runtime) -> Any:
    return asyncpay_runtime.receiver()


def _gateway_fixture(role: GatewayRole) -> Callable[..., Any]:
    def merchant(asyncpay_runtime: Runtime, recording: Recording) -> Any:
        made = asyncpay_runtime.merchant(role.fixture)
        made.client.recording = recording
        return made

    merchant.__name__ = role.fixture
    merchant.__doc__ = f"The {role.fixture} merchant role on the profile's [{role.target}] target, " \
                       "with this test's recording attached."
    return pytest.fixture(name=role.fixture)(merchant)


for _role in GATEWAYS:
    globals()[f"{_role.fixture}_fixture"] = _gateway_fixture(_role)
