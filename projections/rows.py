"""Shared pieces of the row mappers: event columns, time conversion, table builder.

Every projection row ends with the same three columns: `time` (when the fact happened, the
event's time, so a late event lands in its period), `source` and `event_id` (the event's
CloudEvents identity, so a row can always be traced back and so facts that may happen many
times are keyed by the event that reported them).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .ddl import TS, Table

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (("time", TS), ("source", "String"), ("event_id", "String"))

Rows = dict[str, list[tuple[Any, ...]]]
"""Table name -> row tuples in column order, filled by the mappers of one batch."""

Mapper = Callable[[Any, int, Rows], None]
"""`mapper(event, time_ms, rows)` appends the event's rows; no return value, no I/O."""


def epoch_ms(t: datetime) -> int:
    """Milliseconds since the epoch, exactly (integer arithmetic, naive times taken as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return (t - EPOCH) // ONE_MS


def s(value: Any) -> str:
    """Optional text as ClickHouse String: a missing value is ''."""
    return "" if value is None else str(value)


def fact_table(
    name: str,
    columns: tuple[tuple[str, str], ...],
    key: tuple[str, ...],
    *,
    latest_wins: bool = False,
    comment: str = "",
) -> Table:
    """A projection table: `columns` + the event columns, ordered (deduplicated) by `key`.

    `latest_wins=True` is for tables keyed by an entity id (help_id, artifact_id, ...): if two
    different events describe the same entity, the one with the later event time is kept,
    whatever order they arrive in. Otherwise the key includes the event identity and every
    distinct event is its own row; re-inserting an event replaces its row by an equal one.
    No partitioning: FINAL deduplicates within a partition only, and entity rows of different
    times must meet.
    """
    return Table(
        name=name,
        columns=columns + EVENT_COLUMNS,
        order_by=key,
        engine="ReplacingMergeTree(time)" if latest_wins else "ReplacingMergeTree",
        comment=comment,
    )
