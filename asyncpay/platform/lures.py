"""Crafted ``resourcePath`` values: each names another host (the canary) in a way some naive
status-URL construction follows — string concatenation, ``urljoin``, a second decoding, a
browser-style reading of backslashes — while the documented value is a path starting with ``/``
relative to the platform's own server (https://docs.oppwa.com/tutorials/manage-payments/async-notifications).

>>> [name for name, _ in lures("127.0.0.1:9", "/v1/payments/ab")][:3]
['protocol-relative', 'full-url', 'userinfo']
"""

from __future__ import annotations

from urllib.parse import quote


def lures(canary: str, resource_path: str) -> list[tuple[str, str]]:
    """(name, resourcePath) pairs pointing at ``canary`` (``host:port``) but naming ``resource_path``.

    ``canary`` is given as ``127.0.0.1:PORT``; some lures use ``localhost:PORT`` instead, which
    resolves to the same loopback server, so a host check by string compare is tried too.
    """
    host, _, port = canary.rpartition(":")
    other = f"localhost:{port}"
    return [
        ("protocol-relative", f"//{canary}{resource_path}"),
        ("full-url", f"http://{canary}{resource_path}"),
        ("userinfo", f"@{canary}{resource_path}"),
        ("subdomain", f".{host}:{port}{resource_path}"),
        ("backslashes", f"\\\\{canary}{resource_path.replace('/', chr(92))}"),
        ("slash-backslash", f"/\\{canary}{resource_path}"),
        ("encoded-slashes", quote(f"//{canary}{resource_path}", safe="")),
        ("localhost", f"//{other}{resource_path}"),
        ("smuggled-query", f"{resource_path}?entityId=other&next=http://{canary}/"),
        ("smuggled-fragment", f"{resource_path}#@{canary}/"),
    ]


__all__ = ["lures"]
