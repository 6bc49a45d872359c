"""report.html: the run for the person who signs off, in one self-contained file.

Rendered with Jinja2 (autoescaped) from ``templates/report.html``: inline CSS, task timelines
drawn as inline SVG, no script and no external URL, so it opens the same from a CI artifact,
a mail attachment or an air-gapped laptop. Every value put into the page passes the redactor.

The timelines are laid out here and only drawn by the template: one row per task, its events
left to right on a log-like time scale (a 24 h retention and 50 ms polls on one line), never
closer than a few pixels so that equal times stay distinguishable, labels staggered below.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from asyncpay.http.redaction import Redactor
from asyncpay.verdicts import FAILING, CheckRecord, Verdict

__all__ = ["MAX_TIMELINES", "PER_CHECK", "TaskGroup", "Timeline", "render_html", "timelines"]

#: Task timelines drawn at most (failing checks' tasks first); a contract run makes hundreds.
MAX_TIMELINES = 150
#: Timelines per passing check: one per distinct lifecycle, at most this many.
PER_CHECK = 4
#: Exchanges shown per failing check; the summary keeps the count.
MAX_EXCHANGES = 40
MAX_BODY = 6000
WIDTH = 1160
_MARGIN = 24
_AXIS_Y = 34
_ROW = 30
_ROWS = 5
_GAP = 16.0
_CHAR = 6.6  # average glyph width of the 11 px label font: enough to keep labels apart
_SCALE_UNIT = 0.1  # seconds: differences well below this are drawn by order, not by time

_COLOURS = (  # event kind fragment → colour; the first that matches wins
    ("created", "#2563eb"), ("error", "#dc2626"), ("disagree", "#dc2626"), ("expired", "#334155"),
    ("unknown", "#334155"), ("processing", "#9ca3af"), ("completed", "#16a34a"),
    ("result", "#0d9488"), ("notif", "#7c3aed"), ("webhook", "#7c3aed"), ("status", "#0891b2"),
    ("shopper", "#ea580c"), ("redirect", "#d97706"), ("throttled", "#b45309"),  # COPYandPAY checkouts
)


@dataclass
class Point:
    x: float
    colour: str
    label: str
    offset: str
    title: str
    row: int | None  # None: no room for a label; the dot and its tooltip remain
    anchor: str = "start"  # labels right of the dot in the left half, left of it in the right half
    text_x: float = 0.0


@dataclass
class Timeline:
    task: str
    test: str
    clock: str
    span: str
    width: int
    height: int
    failing: bool
    points: list[Point] = field(default_factory=list)
    similar: int = 0  # more tasks of the same check with the same lifecycle, not drawn


@dataclass
class TaskGroup:
    """The timelines of one check's tasks."""

    test: str
    verdict: str
    timelines: list[Timeline]
    left_out: int  # tasks not drawn (beyond the limits), besides those counted as similar


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    # A retention is judged to the second: 23 h 59 min 58 s is not 24 h.
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(part for part in parts if part)


def _clock(at: float | None, with_ms: bool = True) -> str:
    if at is None:
        return ""
    stamp = datetime.fromtimestamp(at, UTC)
    millis = f".{stamp.microsecond // 1000:03d}" if with_ms else ""
    return f"{stamp:%Y-%m-%d %H:%M:%S}{millis}Z"


def _colour(kind: str) -> str:
    lowered = kind.lower()
    return next((colour for part, colour in _COLOURS if part in lowered), "#475569")


def _layout(events: list[Mapping[str, Any]], use_target: bool) -> tuple[list[Point], float]:
    times = [float(e["target_time"] if use_target else e["at"]) for e in events]
    start = min(times)
    rel = [t - start for t in times]
    span = max(rel)
    usable = WIDTH - 2 * _MARGIN
    gap = min(_GAP, usable / (2 * max(len(events), 1)))
    spread = usable - gap * (len(events) - 1)
    full = math.log1p(span / _SCALE_UNIT) or 1.0
    # Each event gets its share of a log scale plus a fixed step per event before it: order is
    # always visible, and long waits still look long.
    xs = [_MARGIN + spread * math.log1p(r / _SCALE_UNIT) / full + i * gap for i, r in enumerate(rel)]
    rows_end: list[float] = [-1e9] * _ROWS
    points = []
    for x, r, event in zip(xs, rel, events, strict=True):
        label = str(event.get("kind") or "?")
        width = _CHAR * max(len(label), 9)
        anchor = "start" if x < WIDTH / 2 else "end"
        left = x - 4 if anchor == "start" else x + 4 - width
        row = next((i for i, end in enumerate(rows_end) if end < left), None)
        if row is not None:
            rows_end[row] = left + width + 6
        title = f"{label} at {_clock(event.get('at'))}"
        if event.get("target_time") is not None:
            title += f" (target clock {_clock(event['target_time'])})"
        if event.get("detail"):
            title += f": {event['detail']}"
        points.append(Point(round(x, 1), _colour(label), label, f"+{_duration(r)}", title, row,
                            anchor, round(x - 4 if anchor == "start" else x + 4, 1)))
    return points, span


def _timeline(task: str, test: str, events: list[Mapping[str, Any]], use_target: bool,
              failing: bool) -> Timeline:
    points, span = _layout(events, use_target)
    rows = max((p.row for p in points if p.row is not None), default=0) + 1
    return Timeline(task, test, "target clock" if use_target else "wall clock", _duration(span), WIDTH,
                    _AXIS_Y + 14 + rows * _ROW, failing, points)


def timelines(records: Iterable[CheckRecord], limit: int = MAX_TIMELINES) -> list[TaskGroup]:
    """The tasks' timelines per check, failing checks first.

    A failing check shows every task. A passing one shows one task per distinct lifecycle (the
    sequence of event kinds), at most :data:`PER_CHECK`: a property-based check creates dozens
    of tasks that all look alike, and they must not bury the scenarios.
    """
    groups: list[TaskGroup] = []
    budget = limit
    for rec in sorted(records, key=lambda r: r.verdict not in FAILING):  # stable sort
        by_task: dict[str, list[Mapping[str, Any]]] = {}
        for event in (rec.recording or {}).get("events") or []:
            if event.get("task"):
                by_task.setdefault(str(event["task"]), []).append(event)
        if not by_task:
            continue
        failing = rec.verdict in FAILING
        group = TaskGroup(rec.test, rec.verdict.value, [], 0)
        alike: dict[tuple[str, ...], Timeline] = {}
        for task, task_events in by_task.items():
            # One clock per line: the target's (virtual on the mock) when every event has it.
            use_target = all(e.get("target_time") is not None for e in task_events)
            ordered = [e for _, e in sorted(enumerate(task_events), key=lambda p: (
                float(p[1]["target_time"] if use_target else p[1]["at"]), p[0]))]
            lifecycle = tuple(str(e.get("kind")) for e in ordered)
            if not failing and lifecycle in alike:
                alike[lifecycle].similar += 1
            elif budget <= 0 or (not failing and len(group.timelines) >= PER_CHECK):
                group.left_out += 1
            else:
                line = _timeline(task, rec.test, ordered, use_target, failing)
                group.timelines.append(line)
                alike[lifecycle] = line
                budget -= 1
        groups.append(group)
    return groups


def _body(text: str) -> str:
    if text and text.lstrip()[:1] in ("{", "["):
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    return text if len(text) <= MAX_BODY else f"{text[:MAX_BODY]}… ({len(text)} chars)"


def _exchange(ex: Mapping[str, Any], t0: float) -> dict[str, Any]:
    status = ex.get("status")
    return {
        "label": ex.get("label") or "",
        "method": ex.get("method") or "",
        "url": ex.get("url") or "",
        "status": status if status is not None else "—",
        "status_class": "bad" if status is None or status >= 500 else "warn" if status >= 400 else "ok",
        "at": _clock(ex.get("started")),
        "offset": f"+{_duration(max(float(ex.get('started') or t0) - t0, 0.0))}",
        "elapsed": _duration(float(ex.get("elapsed") or 0.0)),
        "error": ex.get("error") or "",
        "request_headers": ex.get("request_headers") or {},
        "request_body": _body(ex.get("request_body") or ""),
        "response_headers": ex.get("response_headers") or {},
        "response_body": _body(ex.get("response_body") or ""),
    }


def _failures(records: Iterable[CheckRecord], groups: list[TaskGroup]) -> list[dict[str, Any]]:
    by_test = {group.test: group for group in groups}
    out = []
    for rec in records:
        if rec.verdict not in FAILING:
            continue
        exchanges = (rec.recording or {}).get("exchanges") or []
        t0 = min((float(e.get("started") or 0.0) for e in exchanges), default=0.0)
        out.append({
            "test": rec.test,
            "verdict": rec.verdict.value,
            "rule": rec.failed_rule or "",
            "rules": list(rec.rules),
            "message": rec.message or "",
            "duration": _duration(float(rec.duration or 0.0)),
            "exchanges": [_exchange(e, t0) for e in exchanges[-MAX_EXCHANGES:]],
            "exchanges_left_out": max(len(exchanges) - MAX_EXCHANGES, 0),
            "tasks": by_test.get(rec.test),
        })
    return out


def _environment(redactor: Redactor) -> Environment:
    def finalize(value: Any) -> Any:
        # The last line of defence: whatever a template prints is redacted before escaping.
        # Markup is a macro's output, made of values that already passed here.
        if isinstance(value, str) and not isinstance(value, Markup):
            return redactor.free_text(value)
        return value

    env = Environment(loader=PackageLoader("asyncpay.reporting", "templates"), autoescape=True,
                      undefined=StrictUndefined, finalize=finalize, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["duration"] = lambda s: _duration(float(s or 0.0))
    env.filters["css"] = lambda verdict: str(verdict).replace(" ", "-")
    return env


def render_html(summary: Mapping[str, Any], records: list[CheckRecord], *, redactor: Redactor) -> str:
    """The report page for a run's summary and (redacted) records."""
    groups = timelines(records)
    failures = _failures(records, groups)
    page = _environment(redactor).get_template("report.html")
    return page.render(
        s=summary,
        failures=failures,
        task_groups=[g for g in groups if g.verdict not in FAILING],
        deferred_checks=[c for c in summary["checks"] if c["verdict"] == Verdict.DEFERRED and not c["ledger"]],
        axis_y=_AXIS_Y,
        row_height=_ROW,
        generated=_clock(summary["run"].get("finished"), with_ms=False),
    )
