"""Hypothesis profiles only (everything else lives in the asyncpay plugin).

dev       the default on a workstation: random, modest example counts
ci        derandomized (same examples on every run), prints a reproduce blob on failure
smoke     a handful of derandomized examples: the mutation matrix runs the suites ~50 times
thorough  many examples, for a nightly or pre-go-live run: --hypothesis-profile thorough
"""

import os

from hypothesis import HealthCheck, Phase, settings

_COMMON = {
    "deadline": None,  # a gateway's latency is not the property under test
    # Every example is real traffic against a gateway: stop at the first failure instead of
    # hunting for further distinct ones.
    "report_multiple_bugs": False,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                              HealthCheck.filter_too_much],
}
# Against a gateway every example is real traffic (tasks, polling), so dev and ci do not shrink:
# the first failing example is reported, with the blob to replay it.
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
settings.register_profile("dev", max_examples=10, phases=_NO_SHRINK, print_blob=True, **_COMMON)
settings.register_profile("ci", max_examples=15, derandomize=True, phases=_NO_SHRINK, print_blob=True,
                          **_COMMON)
settings.register_profile("smoke", max_examples=5, derandomize=True, phases=_NO_SHRINK, print_blob=True,
                          **_COMMON)
settings.register_profile("thorough", max_examples=300, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
