"""The rules a value sent by a browser must pass: periods, ids, counts, dates, choices, stamps.

Each rule raises `BadInput` with a reason that never repeats the value (it may be personal). The
callback guard (`callback_guard.RULES`) maps every Dash input to one of them; other routes that take
values from the browser (the news poll, dashboards/news.py) use the same rules. Pure.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable

MAX_TEXT = 2048
MAX_ID = 128
MAX_ROWS = 10_000
MIN_YEAR, MAX_YEAR = 1970, 2100
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(T[0-9:.]{0,15})?$")
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")


class BadInput(ValueError):
    """A callback request that must not reach the callback (HTTP 400)."""


Rule = Callable[[Any], None]


def optional(rule: Rule) -> Rule:
    def check(value: Any) -> None:
        if value is not None:
            rule(value)
    return check


def _printable(value: Any, limit: int, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit or not value.isprintable():
        raise BadInput(f"not a {what} (1..{limit} printable characters)")
    return value


def text(value: Any) -> None:
    """URL parts (pathname, search): a string of at most MAX_TEXT printable characters."""
    if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
        raise BadInput(f"not a URL part (at most {MAX_TEXT} printable characters)")


def identifier(value: Any) -> None:
    """A team or person id as the contract allows them (1..128 printable characters)."""
    _printable(value, MAX_ID, "team or person id")


def period(value: Any) -> None:
    """A period the dashboards name (2026-Q1, 2026-03, 2026-W09, 2026-03-05) within sane years."""
    from projections.metrics.periods import parse_period

    _printable(value, 16, "period")
    try:
        start, _ = parse_period(value)
    except ValueError:
        raise BadInput("not a period (2026-Q1, 2026-03, 2026-W09 or 2026-03-05)") from None
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise BadInput(f"period outside {MIN_YEAR}..{MAX_YEAR}")


def quarter(value: Any) -> None:
    period(value)
    if not _QUARTER.match(value):
        raise BadInput("not a quarter (2026-Q1)")


def iso_date(value: Any) -> None:
    m = _ISO_DATE.match(value) if isinstance(value, str) else None
    try:
        day = date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        day = None
    if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadInput("not a date (YYYY-MM-DD)")


def count(value: Any) -> None:
    """Interval ticks and button clicks: a non-negative integer (JSON booleans are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** 53:
        raise BadInput("not a count")


def row_indexes(value: Any) -> None:
    """Selected table rows: a list of at most MAX_ROWS counts."""
    if not isinstance(value, list) or len(value) > MAX_ROWS:
        raise BadInput(f"not a list of at most {MAX_ROWS} row numbers")
    for v in value:
        count(v)


def table_rows(value: Any) -> None:
    """A table's rows sent back by the browser: a list of at most MAX_ROWS objects (the server reads
    what it acts on again from the store, by the rows' fingerprints)."""
    if not isinstance(value, list) or len(value) > MAX_ROWS or not all(isinstance(r, dict) for r in value):
        raise BadInput(f"not a list of at most {MAX_ROWS} table rows")


def server_text(value: Any) -> None:
    """A component's children written by a server callback and fed back as an input (any JSON value)."""


def snapshot_time(value: Any) -> None:
    """When a snapshot was computed, as the news poll saw it (dashboards/news.py): a short text."""
    _printable(value, 40, "snapshot time")


def shown_stamp(value: Any) -> None:
    """The stamp of the snapshot a page shows (dashboards.read_model.stamp), sent back by the browser:
    at most two short texts and, on Team live, the digest of each tile it shows (`tiles`: at most 16
    short texts by tile id), on Deals the digest of what its tiles are drawn from (`drawn`). A forged
    one only makes the page send its figures again, or not."""
    if value is None:
        return
    if not isinstance(value, dict) or len(value) > 3 or not set(value) <= {"as_of", "confirmed_at", "tiles", "drawn"}:
        raise BadInput("not a snapshot stamp")
    for k, v in value.items():
        if k == "tiles":
            if not isinstance(v, dict) or len(v) > 16:
                raise BadInput("not a snapshot stamp")
            for tile, digest in v.items():
                _printable(tile, 40, "tile id")
                _printable(digest, 40, "tile digest")
        elif v is not None:
            _printable(v, 40, "snapshot time")


def one_of(*allowed: str) -> Rule:
    choices = frozenset(allowed)

    def check(value: Any) -> None:
        if not isinstance(value, str) or value not in choices:
            raise BadInput(f"not one of the {len(choices)} choices")
    return check


def subset_of(*allowed: str) -> Rule:
    choices = frozenset(allowed)

    def check(value: Any) -> None:
        if not isinstance(value, list) or len(value) > len(choices) or not all(
                isinstance(v, str) and v in choices for v in value):
            raise BadInput("not a selection of the allowed choices")
    return check
