"""The embedded mock gateway: Overpay asynchronous tasks, OPP payments and COPYandPAY
checkouts with async notifications, as documented, on a virtual or real clock — with fault switches that each break
one documented rule, and variant switches that each take one freedom the documentation leaves
open (request-id format, URL layout, 202/425 processing codes, 400 or wrapped validation
errors, extra fields, charset and key order, odd echoes, timestamp spellings, throttling,
duplicate and early deliveries, short retention).

>>> app = create_app(MockConfig(faults=["stuck-processing"], variants=["processing-425"]))
>>> "stuck-processing" in FAULTS, "processing-425" in VARIANTS
(True, True)

Run it alone with ``python -m asyncpay.mock --port 8080`` (``--list-faults`` and
``--list-variants`` list the switches; ``--variant all`` takes every freedom at once).
"""

from asyncpay.mock.app import create_app
from asyncpay.mock.config import MockConfig
from asyncpay.mock.faults import FAULTS, Fault
from asyncpay.mock.variants import VARIANTS, Variant

__all__ = ["FAULTS", "Fault", "MockConfig", "VARIANTS", "Variant", "create_app"]
