"""Shared pieces of the row mappers: event columns, time conversion, table builder.

Every projection row ends with the same three columns: `time` (when the fact happened, the
event's time, so a late event lands in its period), `source` and `event_id` (the event's
CloudEvents identity, so a row can always be traced back and so facts that may happen many
times are keyed by the event that reported them). The encoder (`projections/project.py`) fills
those three; a mapper gives the table's own columns, by name.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .ddl import TS, Table

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_MS = timedelta(milliseconds=1)

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (("time", TS), ("source", "String"), ("event_id", "String"))

Row = dict[str, Any]
"""One row's own columns (the table's columns before the event columns), by column name."""

Rows = tuple[tuple[Table, Row], ...]
"""What a mapper returns: (table, row) pairs, usually one."""

Mapper = Callable[[Any], Rows]
"""`mapper(data)` -> the rows one event's data makes; pure (the encoder checks every row's names
against its table, so a column can be neither missing, extra nor swapped)."""


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
