"""The embedded mock gateway: Overpay asynchronous tasks, OPP payments and COPYandPAY checkouts
with async notifications, as documented, on a virtual or real clock, with fault switches that each break
one documented rule.

>>> app = create_app(MockConfig(faults=["stuck-processing"]))
>>> sorted(FAULTS)[:2]
['auth-not-checked', 'completed-goes-back']

Run it alone with ``python -m asyncpay.mock --port 8080`` (``--list-faults`` lists the faults).
"""

from asyncpay.mock.app import create_app
from asyncpay.mock.config import MockConfig
from asyncpay.mock.faults import FAULTS, Fault

__all__ = ["FAULTS", "Fault", "MockConfig", "create_app"]
