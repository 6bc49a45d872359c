"""A target profile: which gateway, where, with which credentials, timing and outcome triggers.

A profile is a TOML file (see the README). No profile means the embedded mock gateway for both
gateways, on a virtual clock. Credentials are only ever read from environment variables.

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> path = Path(folder.name) / "sandbox.toml"
>>> _ = path.write_text('''
... [overpay]
... base_url = "https://gateway.overpay.io"
... shop_id_env = "EXAMPLE_OVERPAY_SHOP_ID"
... secret_key_env = "EXAMPLE_OVERPAY_SECRET_KEY"
... ''')
>>> os.environ.update(EXAMPLE_OVERPAY_SHOP_ID="361", EXAMPLE_OVERPAY_SECRET_KEY="s3cret-value")
>>> profile = load_profile(path)
>>> profile.overpay.base_url, profile.overpay.shop_id, profile.opp
('https://gateway.overpay.io', '361', None)
>>> for name in ("EXAMPLE_OVERPAY_SHOP_ID", "EXAMPLE_OVERPAY_SECRET_KEY"):
...     del os.environ[name]
>>> folder.cleanup()
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from asyncpay.config.merchant import MerchantConfig, parse_merchant
from asyncpay.errors import ProfileError
from asyncpay.wire.testdata import (  # re-exported: the profile is where users look for them
    MOCK_ENTITY_ID,
    MOCK_OVERPAY_OUTCOMES,
    MOCK_SECRET_KEY,
    MOCK_SHOP_ID,
    MOCK_TOKEN,
    MOCK_WEBHOOK_SECRET,
    OPP_OUTCOMES,
    OVERPAY_OUTCOMES,
    OVERPAY_TRANSACTION_TYPES,
)

DAY = 86400.0
#: Seconds added to an embedded mock's delays when the profile adopts them: time for requests.
_MOCK_MARGIN = 3.0


@dataclass
class Timing:
    request_timeout: float = 10.0
    processing_timeout: float = 60.0
    poll_interval: float = 1.0
    retention: float = DAY
    max_wait: float = 120.0
    notification_timeout: float = 60.0
    status_read_interval: float = 0.0
    #: OPP COPYandPAY: a checkout expires this long after its creation (documented: 30 minutes).
    checkout_lifetime: float = 1800.0
    #: OPP COPYandPAY: seconds between status reads of one checkout (live systems allow 9 a minute).
    checkout_read_interval: float = 0.0
    clock: str = "real"  # "real" or "virtual" (an asyncpay mock with its clock control route)


@dataclass
class OverpayTarget:
    base_url: str
    shop_id: str
    secret_key: str
    timing: Timing = field(default_factory=Timing)
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: str = "basic"  # "basic", "signature" or "off"
    webhook_public_key: bytes | None = None
    embedded: bool = False
    #: Overpay API versions the gateway is declared to speak (``[overpay] api_versions``), the
    #: one the suites speak first: 2 (the classic default, no header) and/or 3
    #: (``X-API-Version: 3``; answers held to the v3 contracts). A version not declared here is
    #: *not verified*, never demanded.
    api_versions: tuple[int, ...] = (2,)
    #: The URL kinds (``payments``, ``captures``...) the shop's account may use; the rules of
    #: an operation left out are *not verified*. Default: every documented one.
    operations: tuple[str, ...] = tuple(OVERPAY_TRANSACTION_TYPES)

    @property
    def api_version(self) -> int:
        """The version every suite speaks: the first one declared."""
        return self.api_versions[0]

    @property
    def secrets(self) -> list[str]:
        return [self.secret_key]


@dataclass
class OppTarget:
    base_url: str
    entity_id: str
    token: str
    timing: Timing = field(default_factory=Timing)
    outcomes: dict[str, dict[str, str]] = field(default_factory=dict)
    webhook_secret: str | None = None
    embedded: bool = False

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.webhook_secret) if s]


@dataclass
class ReceiverConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    public_url: str | None = None


@dataclass
class Profile:
    name: str
    overpay: OverpayTarget | None
    opp: OppTarget | None
    receiver: ReceiverConfig = field(default_factory=ReceiverConfig)
    mock_faults: list[str] = field(default_factory=list)
    mock_variants: list[str] = field(default_factory=list)
    path: Path | None = None
    #: ``[mock] overpay_api_versions`` when the profile declares them; None: the mock's own.
    mock_api_versions: tuple[int, ...] | None = None
    #: The merchant's shop, when asyncpay plays the platform against it (``[merchant]``).
    merchant: MerchantConfig | None = None

    @property
    def embedded(self) -> bool:
        return any(t is not None and t.embedded for t in (self.overpay, self.opp))

    @property
    def secrets(self) -> list[str]:
        out: list[str] = []
        for target in (self.overpay, self.opp):
            if target is not None:
                out.extend(target.secrets)
        return out


#: The embedded mock speaks both Overpay API versions (unless its ``v2-only`` variant is on).
MOCK_API_VERSIONS = (2, 3)

MOCK_TIMING = Timing(request_timeout=10.0, processing_timeout=60.0, poll_interval=1.0,
                     retention=DAY, max_wait=120.0, notification_timeout=60.0,
                     status_read_interval=0.0, clock="virtual")


def mock_timing(settings: Mapping[str, Any], base: Timing) -> Timing:
    """``base`` adjusted to an asyncpay mock's effective settings (its ``GET /_asyncpay/config``):
    its retention, checkout lifetime and status-read rate exactly, and timeouts (seconds) long
    enough for its processing, pending and notification delays.

    >>> mock_timing({"retention": 6, "processing_delay": [2.5, 3], "pending_delay": 5,
    ...              "status_reads_per_minute": 30, "notification_delay": 0}, Timing()).retention
    6.0
    >>> mock_timing({"retention": 6, "processing_delay": [2.5, 3], "pending_delay": 5,
    ...              "checkout_lifetime": 6}, Timing()).checkout_lifetime
    6.0
    """
    longest = float(max(settings["processing_delay"]))
    reads = int(settings.get("status_reads_per_minute") or 0)
    # An incomplete transaction the shopper never completes finishes after two processing delays.
    processing = 2 * longest + _MOCK_MARGIN
    notification = (max(float(settings["pending_delay"]), 2 * longest)
                    + float(settings.get("notification_delay") or 0) + _MOCK_MARGIN)
    return dataclasses.replace(
        base,
        retention=float(settings["retention"]),
        status_read_interval=max(base.status_read_interval, 60.0 / reads if reads else 0.0),
        processing_timeout=max(base.processing_timeout, processing),
        notification_timeout=max(base.notification_timeout, notification),
        max_wait=max(base.max_wait, processing, notification),
        checkout_lifetime=float(settings.get("checkout_lifetime") or base.checkout_lifetime),
    )


def embedded_profile(faults: list[str] | None = None, variants: list[str] | None = None,
                     overpay_api_versions: tuple[int, ...] | None = None) -> Profile:
    """The default target: the embedded mock for both gateways (base URLs set at start-up).

    ``overpay_api_versions`` None: the versions the mock says it speaks are adopted at start-up
    (``asyncpay.pytest.session.embedded_mock``), as its retention is.
    """
    return Profile(
        name="embedded mock",
        overpay=OverpayTarget("", MOCK_SHOP_ID, MOCK_SECRET_KEY, copy.deepcopy(MOCK_TIMING),
                              _merge_outcomes(OVERPAY_OUTCOMES, MOCK_OVERPAY_OUTCOMES),
                              embedded=True, api_versions=overpay_api_versions or MOCK_API_VERSIONS),
        opp=OppTarget("", MOCK_ENTITY_ID, MOCK_TOKEN, copy.deepcopy(MOCK_TIMING),
                      dict(OPP_OUTCOMES), webhook_secret=MOCK_WEBHOOK_SECRET, embedded=True),
        mock_faults=list(faults or []),
        mock_variants=list(variants or []),
        mock_api_versions=overpay_api_versions,
    )


def _merge_outcomes(*layers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for name, fields in layer.items():
            out[name] = copy.deepcopy(fields)
    return out


class _Section:
    """Reads one TOML table, naming the file and key in every error."""

    def __init__(self, path: str, name: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ProfileError(f"{path}: [{name}] must be a table")
        self.path, self.name, self.data = path, name, data
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}: [{self.name}] {key}"

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise ProfileError(f"{self.where(key)}: missing (required)")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            kind_name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ProfileError(f"{self.where(key)}: expected {kind_name}, got {value!r}")
        return value

    def env(self, key: str, required: bool = True) -> str | None:
        var = self.get(key, str, None if not required else ...)
        if var is None:
            return None
        value = os.environ.get(var)
        if not value:
            raise ProfileError(f"{self.where(key)}: environment variable {var} is not set")
        return value

    def url(self, key: str) -> str:
        raw = self.get(key, str)
        try:
            url = httpx.URL(raw)
        except Exception:
            raise ProfileError(f"{self.where(key)}: not a URL: {raw!r}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ProfileError(f"{self.where(key)}: expected an http(s) URL, got {raw!r}")
        return str(raw).rstrip("/")

    def positive(self, key: str, default: float) -> float:
        value = self.get(key, float, default)
        if not math.isfinite(value):
            raise ProfileError(f"{self.where(key)}: must be a finite number, got {value}")
        if value < 0:
            raise ProfileError(f"{self.where(key)}: must not be negative, got {value}")
        return float(value)

    def finish(self, extra_ok: tuple[str, ...] = ()) -> None:
        unknown = set(self.data) - self.used - set(extra_ok)
        if unknown:
            raise ProfileError(f"{self.path}: [{self.name}] unknown key(s): {', '.join(sorted(unknown))}")


def _timing(path: str, name: str, data: Any, *, checkouts: bool = False) -> Timing:
    sec = _Section(path, name, data if data is not None else {})
    base = Timing()
    if checkouts:  # OPP only: Overpay has no checkouts
        base.checkout_lifetime = sec.positive("checkout_lifetime", base.checkout_lifetime)
        base.checkout_read_interval = sec.positive("checkout_read_interval", base.checkout_read_interval)
    timing = Timing(
        request_timeout=sec.positive("request_timeout", base.request_timeout),
        processing_timeout=sec.positive("processing_timeout", base.processing_timeout),
        poll_interval=sec.positive("poll_interval", base.poll_interval),
        retention=sec.positive("retention", base.retention),
        max_wait=sec.positive("max_wait", base.max_wait),
        notification_timeout=sec.positive("notification_timeout", base.notification_timeout),
        status_read_interval=sec.positive("status_read_interval", base.status_read_interval),
        checkout_lifetime=base.checkout_lifetime,
        checkout_read_interval=base.checkout_read_interval,
        clock=sec.get("clock", str, base.clock),
    )
    if timing.clock not in ("real", "virtual"):
        raise ProfileError(f"{sec.where('clock')}: expected \"real\" or \"virtual\", got {timing.clock!r}")
    _possible(sec, timing, checkouts=checkouts)
    sec.finish()
    return timing


def _api_versions(sec: _Section, key: str) -> tuple[int, ...] | None:
    """Overpay's API versions declared under ``key`` (a list: ``api_versions = [2, 3]``, the
    first one spoken by every suite) or under the older single ``key`` without its ``s``
    (``api_version = 3``, read as ``[3]``); None when neither is set.
    Versions: 2 (the default) and 3 (https://docs.overpay.io/en/reference/api_v3/)."""
    single = key.removesuffix("s")
    if key in sec.data and single in sec.data:
        raise ProfileError(f"{sec.where(single)}: set {key} only (it replaces {single})")
    if single in sec.data:
        versions = [sec.get(single, int)]
        where = sec.where(single)
    elif key in sec.data:
        versions = list(sec.get(key, list))
        where = sec.where(key)
    else:
        return None
    if not versions or len(set(versions)) != len(versions) or any(
            type(v) is not int or v not in (2, 3) for v in versions):
        raise ProfileError(f"{where}: expected a list of distinct versions, 2 and/or 3 "
                           f"(e.g. {key} = [2, 3]), got {sec.data.get(key, sec.data.get(single))!r}")
    return tuple(versions)


def _operations(sec: _Section, key: str) -> tuple[str, ...]:
    """The Overpay operations the shop's account may use (``["payments", "refunds"]``); every
    documented one by default (https://docs.overpay.io/en/integration/card_api/asynchronous/)."""
    names = sec.get(key, list, list(OVERPAY_TRANSACTION_TYPES))
    unknown = [name for name in names if name not in OVERPAY_TRANSACTION_TYPES]
    if unknown:
        raise ProfileError(f"{sec.where(key)}: unknown operation(s) {', '.join(map(repr, unknown))}; "
                           f"known: {', '.join(OVERPAY_TRANSACTION_TYPES)}")
    return tuple(dict.fromkeys(names))


#: Seconds of clock uncertainty the Overpay suites allow either side of the retention edge on a
#: real clock, at the least (``gateways/overpay/merchant.py``'s slack): a shorter retention
#: leaves no moment at which a result is surely kept.
RETENTION_SLACK = 1.0
# What each bound is for, named when it is zero: the check that becomes impossible.
_NEEDED = {
    "request_timeout": "no request could be answered",
    "processing_timeout": "no task could complete in time",
    "retention": "no result could be read before it is forgotten",
    "max_wait": "no wait could last long enough to see anything",
    "notification_timeout": "no notification could arrive in time",
    "checkout_lifetime": "no checkout could be used before it expires",
}


def _possible(sec: _Section, timing: Timing, *, checkouts: bool) -> None:
    """Refuse timing under which a check cannot be made: the mistake is the profile's, and
    blaming the gateway for it would fail a run of a correct gateway."""
    for key, why in _NEEDED.items():
        if key == "checkout_lifetime" and not checkouts:
            continue
        if getattr(timing, key) == 0:
            raise ProfileError(f"{sec.where(key)}: must be greater than 0 ({why})")
    if timing.clock == "real" and timing.retention <= 2 * RETENTION_SLACK:
        raise ProfileError(f"{sec.where('retention')}: must be more than {2 * RETENTION_SLACK:g} s on a "
                           f"real clock (the suites allow {RETENTION_SLACK:g} s of slack either side of "
                           f"the expiry), got {timing.retention:g}")
    if timing.poll_interval >= timing.processing_timeout:
        raise ProfileError(f"{sec.where('poll_interval')}: must be shorter than processing_timeout "
                           f"({timing.processing_timeout:g} s), got {timing.poll_interval:g}: "
                           "a task would be read once at most before the wait for it ends")


def _outcomes(path: str, name: str, data: Any, defaults: dict[str, dict[str, Any]],
              known: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    sec = _Section(path, name, data if data is not None else {})
    out = _merge_outcomes(defaults)
    for outcome, fields in sec.data.items():
        if outcome not in known:
            raise ProfileError(f"{path}: [{name}] unknown outcome {outcome!r}; known: {', '.join(known)}")
        if not isinstance(fields, dict):
            raise ProfileError(f"{path}: [{name}.{outcome}] must be a table of request fields")
        out[outcome] = copy.deepcopy(fields)
    return out


def flatten_form(fields: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"card": {"number": "4"}}`` → ``{"card.number": "4"}`` (OPP form fields)."""
    flat: dict[str, str] = {}
    for key, value in fields.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_form(value, full + "."))
        else:
            flat[full] = value if isinstance(value, str) else str(value)
    return flat


def load_profile(path: Path, faults: list[str] | None = None,
                 variants: list[str] | None = None) -> Profile:
    """Read and check a profile; any mistake raises ProfileError with one line."""
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"{where}: no such profile file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{where}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ProfileError(f"{where}: cannot read: {exc}") from None
    top = _Section(where, "profile", data)
    name = top.get("name", str, path.stem)
    merchant = parse_merchant(where, path.parent, top.get("merchant", dict)) if "merchant" in data else None
    mock = _Section(where, "mock", top.get("mock", dict, {}))
    mock_faults = list(mock.get("faults", list, [])) + list(faults or [])
    mock_variants = list(mock.get("variants", list, [])) + list(variants or [])
    mock_api_versions = _api_versions(mock, "overpay_api_versions")
    mock.finish()
    if "overpay" not in data and "opp" not in data:
        # Only a [mock] table (or nothing): the embedded mock, possibly with faults.
        top.finish()
        profile = embedded_profile(mock_faults, mock_variants, mock_api_versions)
        profile.name, profile.path, profile.merchant = name, path, merchant
        return profile

    overpay = None
    if "overpay" in data:
        sec = _Section(where, "overpay", top.get("overpay", dict))
        webhooks = sec.get("webhooks", str, "basic")
        if webhooks not in ("basic", "signature", "off"):
            raise ProfileError(f"{sec.where('webhooks')}: expected basic, signature or off, got {webhooks!r}")
        key_file = sec.get("webhook_public_key_file", str, None)
        public_key = None
        if webhooks == "signature":
            if key_file is None:
                raise ProfileError(f"{sec.where('webhook_public_key_file')}: required when webhooks = \"signature\"")
            key_path = (path.parent / key_file)
            try:
                public_key = key_path.read_bytes()
            except OSError:
                raise ProfileError(f"{sec.where('webhook_public_key_file')}: cannot read {key_path}") from None
        overpay = OverpayTarget(
            base_url=sec.url("base_url"),
            shop_id=sec.env("shop_id_env") or "",
            secret_key=sec.env("secret_key_env") or "",
            timing=_timing(where, "overpay.timing", sec.get("timing", dict, {})),
            outcomes=_outcomes(where, "overpay.outcomes", sec.get("outcomes", dict, {}),
                               OVERPAY_OUTCOMES,
                               ("successful", "failed", "incomplete", "validation_error",
                                "task_failure")),
            webhooks=webhooks,
            webhook_public_key=public_key,
            api_versions=_api_versions(sec, "api_versions") or (2,),
            operations=_operations(sec, "operations"),
        )
        sec.finish()

    opp = None
    if "opp" in data:
        sec = _Section(where, "opp", top.get("opp", dict))
        outcomes = _outcomes(where, "opp.outcomes", sec.get("outcomes", dict, {}), {},
                             ("successful", "pending", "declined", "invalid", "checkout"))
        flat = {k: flatten_form(v) for k, v in _merge_outcomes(OPP_OUTCOMES, outcomes).items()}
        opp = OppTarget(
            base_url=sec.url("base_url"),
            entity_id=sec.env("entity_id_env") or "",
            token=sec.env("token_env") or "",
            timing=_timing(where, "opp.timing", sec.get("timing", dict, {}), checkouts=True),
            outcomes=flat,
            webhook_secret=sec.env("webhook_secret_env", required=False),
        )
        sec.finish()

    rec = _Section(where, "receiver", top.get("receiver", dict, {}))
    listen = rec.get("listen", str, "127.0.0.1:0")
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ProfileError(f"{rec.where('listen')}: expected HOST:PORT, got {listen!r}")
    public_url = rec.url("public_url") if "public_url" in rec.data else None
    rec.finish()
    top.finish(extra_ok=("overpay", "opp", "receiver", "mock"))
    if mock_faults:
        raise ProfileError(f"{where}: [mock] faults apply only to the embedded mock (no [overpay]/[opp])")
    if mock_variants:
        raise ProfileError(f"{where}: [mock] variants apply only to the embedded mock (no [overpay]/[opp])")
    if mock_api_versions is not None:
        raise ProfileError(f"{where}: [mock] overpay_api_versions applies only to the embedded mock; "
                           "use [overpay] api_versions")
    return Profile(name=name, overpay=overpay, opp=opp,
                   receiver=ReceiverConfig(host.strip("[]"), int(port), public_url), path=path,
                   merchant=merchant)
