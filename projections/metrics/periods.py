"""Periods as the dashboards name them: `2026-Q1`, `2026-03`, `2026-W09`, `2026-03-05`.

A period is the half-open UTC interval [start, end); an event belongs to the period its event
time falls in, whenever it arrived.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _add_months(year: int, month: int, n: int) -> date:
    index = year * 12 + (month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def parse_period(s: str) -> tuple[datetime, datetime]:
    """`(start, end)` of a period string, tz-aware UTC, end exclusive; ValueError if malformed."""
    text = s.strip()
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        first = date(year, 3 * (q - 1) + 1, 1)
        return _utc(first), _utc(_add_months(year, 3 * (q - 1) + 1, 3))
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"no such month: {s!r}")
        return _utc(date(year, month, 1)), _utc(_add_months(year, month, 1))
    if m := _WEEK.match(text):
        monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)  # ValueError for week 54 etc.
        return _utc(monday), _utc(monday + timedelta(days=7))
    if m := _DAY.match(text):
        day = date(int(m[1]), int(m[2]), int(m[3]))
        return _utc(day), _utc(day + timedelta(days=1))
    raise ValueError(f"not a period (2026-Q1, 2026-03, 2026-W09 or 2026-03-05): {s!r}")


def previous_period(s: str) -> str:
    """The period of the same kind just before `s` (for trends: change from the previous quarter)."""
    start, _ = parse_period(s)
    text = s.strip()
    before = start - timedelta(days=1)
    if _QUARTER.match(text):
        return f"{before.year}-Q{(before.month - 1) // 3 + 1}"
    if _MONTH.match(text):
        return f"{before.year}-{before.month:02d}"
    if _WEEK.match(text):
        iso = before.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return before.date().isoformat()


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, s: str) -> "Period":
        start, end = parse_period(s)
        return cls(s.strip(), start, end)

    def params(self) -> dict[str, str]:
        """Query parameters `start`, `end` (DateTime64 text) and `start_day`, `end_day` (Date text)."""
        return {
            "start": self.start.strftime("%Y-%m-%d %H:%M:%S.000"),
            "end": self.end.strftime("%Y-%m-%d %H:%M:%S.000"),
            "start_day": self.start.date().isoformat(),
            "end_day": self.end.date().isoformat(),
        }

    def as_dict(self) -> dict[str, str]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}
