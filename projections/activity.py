"""Queries over the raw event store: the activity feed, counts and freshness.

These feed the live "activity" tile and the health checks; metric figures come from the
projection tables instead (projections.metrics).
"""
from __future__ import annotations

from typing import Any

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


def data_version(store: Store) -> tuple:
    """A cheap token that changes whenever any table of the database changes (metadata only).

    Every insert adds a part and rows; merges change parts too (a spurious change, never a missed
    one). Used to reuse computed page data until the data under it changes.
    """
    row = store.query_df(
        "SELECT count() AS parts, sum(rows) AS rows, max(modification_time) AS modified "
        "FROM system.parts WHERE database = currentDatabase() AND active"
    ).iloc[0]
    return (int(row["parts"]), int(row["rows"]), str(row["modified"]))
