"""Before the suites start: does the notification receiver answer at the profile's ``public_url``?

A sandbox notifies the URL the suites give it, which lies under ``[receiver] public_url`` (a
tunnel, an ingress, a CI runner's public address). When nothing forwards that URL to the
receiver, every notification check would time out and be blamed on the gateway. So the run
starts a receiver where the profile says it listens, fetches a one-time token path through
``public_url``, and goes on only if that very request reached the receiver.

Nothing is checked without a ``public_url`` (the gateway is told the loopback address, right for
a mock on this machine) or when every target is the embedded mock.

Usage (the plugin does it once, in the controller, before any worker starts)::

    check_receiver(profile)   # HarnessError with one line when the receiver cannot be reached

What must reach the receiver: https://docs.overpay.io/en/dev_tools/webhooks/ (Overpay webhooks)
and https://docs.oppwa.com/tutorials/manage-payments/async-notifications (OPP notifications).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import httpx

from asyncpay.config.profile import Profile
from asyncpay.errors import HarnessError
from asyncpay.waiting.receiver import Receiver

__all__ = ["check_receiver"]

#: Seconds the fetch through ``public_url`` may take (a tunnel adds a round trip or two).
TIMEOUT = 10.0


def _fix(profile: Profile, listen: str) -> str:
    where = f" in {profile.path}" if profile.path else ""
    return (f"make [receiver] public_url{where} forward to {listen} (a tunnel such as "
            f"`cloudflared tunnel --url http://{listen}` or `ngrok http {listen}`, or run on a CI runner "
            "whose public address is public_url), and set [receiver] listen to the port it forwards to")


def check_receiver(profile: Profile, timeout: float = TIMEOUT) -> None:
    """Raise ``HarnessError`` (one line) when a request to ``public_url`` does not reach the receiver.

    >>> from asyncpay.config.profile import embedded_profile
    >>> check_receiver(embedded_profile())   # the embedded mock: nothing to check
    """
    rc = profile.receiver
    remote = any(t is not None and not t.embedded for t in (profile.overpay, profile.opp))
    if not rc.public_url or not remote:
        return
    token = uuid.uuid4().hex
    try:
        receiver = Receiver(rc.listen_host, rc.listen_port, rc.public_url).start()
    except Exception as exc:  # a port in use, a host this machine does not have
        raise HarnessError(f"the notification receiver cannot listen on [receiver] listen "
                           f"{rc.listen_host}:{rc.listen_port}: {' '.join(str(exc).split())}") from None
    listen = urlsplit(receiver.url).netloc
    url = f"{receiver.public_url}/hooks/asyncpay-receiver-check/{token}"
    try:
        try:
            answer = httpx.get(url, timeout=timeout, follow_redirects=False, trust_env=False)
            what = f"HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            what = " ".join(str(exc).split()) or type(exc).__name__
        arrived = any(hit.path.endswith(f"/asyncpay-receiver-check/{token}") for hit in receiver.requests())
    finally:
        receiver.stop()
    if not arrived:
        raise HarnessError(f"notifications cannot reach this run: GET {url} got {what} but never "
                           f"reached the receiver listening on {listen}; {_fix(profile, listen)}")
