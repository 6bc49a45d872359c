"""Per-transaction timelines: every observation of one transaction, from every channel, in time order.

A channel is one way the merchant learns about a transaction: the async POST answer, a
``status_url`` or ``response_url`` read, a uid or tracking-id query, a webhook delivery, an OPP
status read, a notification, the shopper's redirect. The checks in
:mod:`asyncpay.checks.timeline` judge a whole timeline (a final state never changes; every
channel agrees with the stored result), not one answer at a time.
"""

from asyncpay.timeline.observations import Observation, Timeline, from_recording

__all__ = ["Observation", "Timeline", "from_recording"]
