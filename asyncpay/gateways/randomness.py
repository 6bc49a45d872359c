"""The one random source of the merchant roles: amounts, ids and the values they make up.

Its own generator, so it never moves the global random state that Hypothesis watches while it draws
examples in another thread. Seeded from the Hypothesis seed when a run sets one
(``--hypothesis-seed``: the plugin calls :func:`seed`), so a run that repeats its generated cases
repeats the merchant's values too; otherwise from the OS. Identifiers that must never repeat
across runs (a ``RequestID`` is idempotent for 24 h at the gateway) stay ``uuid.uuid4()``.

>>> seed(7); first = RANDOM.randint(1, 10**9); seed(7)
>>> RANDOM.randint(1, 10**9) == first
True
"""

from __future__ import annotations

import random

RANDOM = random.Random()


def seed(value: object) -> None:
    """Seed the source (any value ``random.seed`` takes; the Hypothesis seed as given)."""
    RANDOM.seed(str(value))
