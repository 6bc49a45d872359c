"""URL helpers shared by both gateways' routes."""

from __future__ import annotations

from typing import Any

import httpx

#: The host the faults use for "another origin": a loopback address the mock does not serve.
OFF_ORIGIN_HOST = "127.0.0.2"


def is_http_url(value: Any) -> bool:
    """An absolute http(s) URL with a host: the only kind the mock will call back."""
    if not isinstance(value, str):
        return False
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL:
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def off_origin(base_url: str) -> str:
    """``base_url`` moved to another origin (same scheme and port), for the URL faults."""
    return str(httpx.URL(base_url).copy_with(host=OFF_ORIGIN_HOST)).rstrip("/")
