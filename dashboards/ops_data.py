"""What the ops console shows (no Dash here), read from the store and from what the process hands in.

- sources: events per minute over the last `window` minutes (by arrival), the last event, and
  rejects by code, per CloudEvent source (the `events` and `dead_letters` tables);
- dead letters: searched in the `dead_letters` table (source, code, time), reason and raw payload;
- consumer lag per partition of the events topic for the worker's consumer group, the worker's
  state and the tokens (names, sources and dates, never the hashes): read through the
  `OpsSources` the composing process hands in.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import pandas as pd

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
DEAD_LETTER_LIMIT = 200
DL_COLUMNS = "fingerprint, received_at, door, source, id, type, code, reason, raw, _partition, _offset"


def _kafka_unknown() -> list[dict]:
    raise LookupError("no broker given to the ops console")


def _no_resubmit(rows: list[dict]) -> Any:
    raise LookupError("no way to resubmit given to the ops console")


@dataclass(frozen=True)
class OpsSources:
    """What the ops console reads and does beyond the store, handed in by whoever composes the
    process (teamflow.assembly), so the dashboards import neither the worker nor the doors.
    The defaults know nothing: no worker, no broker, no tokens."""

    worker_status: Callable[[], Any] = lambda: None
    """The worker's status (an object with `to_json()`), or None when no worker ran."""
    consumer_lag: Callable[[], list[dict]] = _kafka_unknown
    """Per partition of the events topic: committed, end, lag; raises when the broker does not answer."""
    tokens: Callable[[], Iterable[Any]] = tuple
    """The ingest tokens' records (name, sources, created_at, revoked_at)."""
    resubmit: Callable[[list[dict]], Any] = _no_resubmit
    """Dead-letter rows (as the store holds them) -> what the resubmission did (`resubmit_message`)."""


# ------------------------------------------------------------------ sources
def source_health(store: Any, window: int = WINDOW_MINUTES) -> list[dict]:
    """One row per source, sources in name order."""
    events = store.query_df(
        "SELECT source, count() AS events, max(_ingested_at) AS last_event, "
        "countIf(_ingested_at >= now64(3) - toIntervalMinute({w:UInt32})) AS recent "
        "FROM events FINAL GROUP BY source", {"w": window})
    rejects = store.query_df("SELECT source, code, count() AS n FROM dead_letters FINAL GROUP BY source, code "
                             "ORDER BY source, code")
    rows: dict[str, dict] = {}
    for r in events.to_dict("records"):
        rows[r["source"]] = {"source": r["source"], "events": int(r["events"]),
                             "per_minute": round(int(r["recent"]) / window, 1),
                             "last_event": _iso(r["last_event"]), "rejects": {}}
    for r in rejects.to_dict("records"):
        row = rows.setdefault(r["source"], {"source": r["source"], "events": 0, "per_minute": 0.0,
                                            "last_event": None, "rejects": {}})
        row["rejects"][r["code"]] = int(r["n"])
    return [rows[k] for k in sorted(rows)]


def _iso(ts: Any) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------ dead letters
@dataclass(frozen=True)
class Search:
    source: str | None = None  # exact, or a prefix ending with '*'
    code: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def parse_time(text: str | None) -> datetime | None:
    """'2026-03-05', '2026-03-05 14:00' or ISO 8601 (UTC unless it says otherwise); ValueError otherwise."""
    if not text or not text.strip():
        return None
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _where(search: Search) -> tuple[str, dict]:
    parts, params = [], {}
    if search.source:
        if search.source.endswith("*"):
            parts.append("startsWith(source, {src:String})")
            params["src"] = search.source[:-1]
        else:
            parts.append("source = {src:String}")
            params["src"] = search.source
    if search.code:
        parts.append("code = {code:String}")
        params["code"] = search.code
    for name, op, value in (("since", ">=", search.since), ("until", "<", search.until)):
        if value is not None:
            parts.append(f"received_at {op} {{{name}:DateTime64(3, 'UTC')}}")
            params[name] = value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def search_dead_letters(store: Any, search: Search, limit: int = DEAD_LETTER_LIMIT) -> tuple[list[dict], int]:
    """(the newest `limit` matching dead letters, how many match in all)."""
    where, params = _where(search)
    total = int(store.query_df(f"SELECT count() AS n FROM dead_letters FINAL{where}", params).iloc[0]["n"])
    df = store.query_df(f"SELECT {DL_COLUMNS} FROM dead_letters FINAL{where} "
                        "ORDER BY received_at DESC, fingerprint LIMIT {lim:UInt32}", {**params, "lim": limit})
    return df.to_dict("records"), total


def dead_letters_by_fingerprint(store: Any, fingerprints: list[str]) -> list[dict]:
    """The rows for these fingerprints, read anew from the store (a browser sends fingerprints only)."""
    if not fingerprints:
        return []
    df = store.query_df(f"SELECT {DL_COLUMNS} FROM dead_letters FINAL WHERE has({{fps:Array(String)}}, "
                        "fingerprint) ORDER BY received_at", {"fps": list(fingerprints)})
    return df.to_dict("records")


def reject_codes(store: Any) -> list[str]:
    return list(store.query_df("SELECT DISTINCT code FROM dead_letters ORDER BY code")["code"])


# ------------------------------------------------------------------ worker and tokens
def worker_state(sources: OpsSources) -> dict | None:
    status = sources.worker_status()
    return None if status is None else status.to_json()


def token_rows(records: Iterable[Any]) -> list[dict]:
    """What may be shown of each token: name, sources, dates, state. Never the hash or the token."""
    return [{"name": r.name, "sources": list(r.sources), "created_at": r.created_at,
             "state": f"revoked {r.revoked_at}" if r.revoked_at else "active"}
            for r in records]
