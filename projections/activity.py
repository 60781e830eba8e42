"""Queries over the raw event store: the activity feed, counts and freshness.

These feed the live "activity" tile and the health checks; metric figures come from the
projection tables instead (projections.metrics).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import pandas as pd

from .store import Store


def event_counts(store: Store) -> pd.DataFrame:
    """Events stored per type, with the newest event time and when the newest one was ingested."""
    return store.query_df(
        "SELECT type, count() AS events, max(time) AS newest_event, max(_ingested_at) AS last_ingested "
        "FROM events FINAL GROUP BY type ORDER BY type"
    )


def recent_events(store: Store, limit: int = 20) -> pd.DataFrame:
    """The newest events by ingestion, newest first (what just arrived)."""
    return store.query_df(
        "SELECT _ingested_at AS ingested, time, type, source, id, subject FROM events FINAL "
        "ORDER BY _ingested_at DESC, time DESC LIMIT {limit:UInt32}",
        {"limit": limit},
    )


def newest_ingested(store: Store) -> str | None:
    """When the newest stored event landed (ISO time; None with none stored): what every page's freshness
    footer says beside its figures, read with each snapshot. It reads one column without FINAL (a later
    copy of an event counts as a landing), not the exact totals of `summary`."""
    df = store.query_df("SELECT maxOrNull(_ingested_at) AS last_ingested FROM events")
    last = df.iloc[0]["last_ingested"] if not df.empty else None
    return None if last is None or pd.isna(last) else pd.Timestamp(last).isoformat()


def summary(store: Store) -> dict[str, Any]:
    """Totals for a health line: events, dead letters, and when the last event landed."""
    df = store.query_df(
        "SELECT (SELECT count() FROM events FINAL) AS events, "
        "(SELECT count() FROM dead_letters FINAL) AS dead_letters, "
        "(SELECT max(_ingested_at) FROM events) AS last_ingested"
    )
    row = df.iloc[0]
    last = row["last_ingested"]
    return {
        "events": int(row["events"]),
        "dead_letters": int(row["dead_letters"]),
        "last_ingested": None if int(row["events"]) == 0 or pd.isna(last) else pd.Timestamp(last).isoformat(),
    }


TABLE_VERSIONS_SQL = """
SELECT t.name AS table, toString(t.uuid) AS uuid, toUInt64(ifNull(p.blocks, 0)) AS blocks,
       toUInt64(ifNull(p.partitions, 0)) AS partitions
FROM (SELECT name, uuid FROM system.tables WHERE database = currentDatabase()) AS t
LEFT JOIN (SELECT table, sum(m) AS blocks, count() AS partitions FROM (
             SELECT table, partition_id, max(greatest(max_block_number, data_version)) AS m FROM system.parts
             WHERE database = currentDatabase() AND active GROUP BY table, partition_id)
           GROUP BY table) AS p ON t.name = p.table
"""


def table_versions(store: Store) -> dict[str, tuple]:
    """Table name -> a cheap token (metadata only) that moves when the table's rows are written,
    deleted or replaced, and not when a background merge only rearranges its parts.

    Every insert takes a new block number; a merged part keeps the highest block number of the parts
    it merged, and a mutation (erasure, dead-letter scrubbing) stamps its parts with a newer one, so the
    highest block number per partition moves with writes only. A dropped partition changes the
    partition count, and a table swapped in by a replay changes the table's identity.
    """
    pinned = getattr(_pins, "by_database", {}).get(_database(store))
    if pinned is not None:
        return pinned
    df = store.query_df(TABLE_VERSIONS_SQL)
    return {str(name): (str(uuid), int(blocks), int(parts))
            for name, uuid, blocks, parts in zip(df["table"], df["uuid"], df["blocks"], df["partitions"])}


_pins = threading.local()


def _database(store: Store) -> Any:
    return getattr(store, "database", None)


@contextmanager
def versions_pinned(store: Store) -> Iterator[dict[str, tuple]]:
    """Within it, this thread's `table_versions(store)` (and so `data_version`) answer the versions read
    on entering, once, instead of reading them again for each of a page snapshot's queries. Read
    before those queries run, they are never newer than the rows the queries see, so a result filed
    under them (`dashboards.query_memo`) is exact; a write meanwhile is seen by the next snapshot."""
    versions = table_versions(store)
    pins = _pins.__dict__.setdefault("by_database", {})
    key = _database(store)
    before = pins.get(key)
    pins[key] = versions
    try:
        yield versions
    finally:
        if before is None:
            pins.pop(key, None)
        else:
            pins[key] = before


_listeners: dict[Any, list[Callable[[], None]]] = {}
_listeners_lock = threading.Lock()


def on_write(store: Store, listener: Callable[[], None]) -> None:
    """Call `listener` (no arguments, quick: it sets an event) whenever a writer in this process tells
    that it stored rows in `store`'s database (`written`): a refresher then looks at the data version
    at once instead of at its next poll. Writers in other processes tell nobody, and the poll stays."""
    with _listeners_lock:
        _listeners.setdefault(_database(store), []).append(listener)


def off_write(store: Store, listener: Callable[[], None]) -> None:
    with _listeners_lock:
        heard = _listeners.get(_database(store), [])
        if listener in heard:
            heard.remove(listener)


def written(store: Store) -> None:
    """A writer stored rows in `store`'s database and the engine confirmed them: wake who listens."""
    with _listeners_lock:
        heard = list(_listeners.get(_database(store), ()))
    for listener in heard:
        listener()


def data_version(store: Store) -> tuple:
    """One token for the whole database: `table_versions` of every table."""
    return tuple(sorted(table_versions(store).items()))


def stored_rows(store: Store) -> int:
    """Rows in the database's active parts (metadata only; merges that drop replaced rows lower it)."""
    return int(store.query_scalar(
        "SELECT toInt64(sum(rows)) FROM system.parts WHERE database = currentDatabase() AND active") or 0)
