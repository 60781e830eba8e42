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

BY_YEAR = "toYear(time)"
"""Partition key of the event-keyed projection tables (see `fact_table`)."""

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

    Partitions: FINAL and merges deduplicate within a partition only. An event-keyed row and its
    duplicates share the event's time, so those tables are partitioned by the year of `time`
    (`BY_YEAR`) and a query bounded by a period reads only that period's year. A year, not a month:
    every insert writes a part per partition it touches, and a batch of a backlog or a replay spans
    many months, which made the worker and replay far slower (docs/architecture.md). `time` ends
    their sorting key (it adds nothing to the identity, which already fixes it): with the partition
    key's column in the sorting key, the engine knows no key spans two partitions and lets a
    period's predicate skip partitions under FINAL too. Entity rows of different times must meet,
    so `latest_wins` tables stay unpartitioned.
    """
    if not latest_wins and "time" not in key:
        key = key + ("time",)
    return Table(
        name=name,
        columns=columns + EVENT_COLUMNS,
        order_by=key,
        engine="ReplacingMergeTree(time)" if latest_wins else "ReplacingMergeTree",
        partition_by=None if latest_wins else BY_YEAR,
        comment=comment,
    )
