"""What the ops console shows, read from where it lives (no Dash here): the store, Kafka, files.

- sources: events per minute over the last `window` minutes (by arrival), the last event, and
  rejects by code, per CloudEvent source (the `events` and `dead_letters` tables);
- dead letters: searched in the `dead_letters` table (source, code, time), reason and raw payload;
- consumer lag per partition of the events topic for the worker's consumer group (committed
  offsets from the group coordinator against the end offsets);
- the worker's state (`streams.status.read_status` under the data directory);
- tokens: names, sources and dates from the tokens file, never the hashes.

The product's settings come from the same `TEAMFLOW_*` variables the worker reads.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

WINDOW_MINUTES = 15
DEAD_LETTER_LIMIT = 200
DL_COLUMNS = "fingerprint, received_at, door, source, id, type, code, reason, raw, _partition, _offset"


def product_settings():
    from teamflow.settings import load

    return load()


def tokens_file():
    from streams.ingest.settings import IngestSettings

    return IngestSettings().tokens_file


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


# ------------------------------------------------------------------ Kafka: consumer lag
def worker_group(settings: Any) -> str:
    """The consumer group whose offsets say how far the worker got: the fold reads with its own group
    (`<group>-fold`, beside the Faust app's; streams/app.py)."""
    return f"{settings.consumer_group}-fold"


def consumer_lag(bootstrap_servers: str, group: str, topic: str, timeout_ms: int = 5000) -> list[dict]:
    """Per partition: committed offset of `group`, end offset, lag (end - committed; all of it if none)."""
    from kafka import KafkaConsumer, TopicPartition

    # A consumer in the worker's group that never subscribes: it reads the group's committed offsets
    # from the coordinator without joining the group (no rebalance for the worker), commits nothing.
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False,
                             client_id="teamflow-ops-console", request_timeout_ms=timeout_ms + 1000)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in partitions]
        ends = consumer.end_offsets(tps)
        committed = {tp.partition: consumer.committed(tp) for tp in tps}
    finally:
        consumer.close()
    out = []
    for p in partitions:
        end = int(ends[TopicPartition(topic, p)])
        done = committed.get(p)
        done = None if done is None or done < 0 else int(done)
        out.append({"partition": p, "committed": done, "end": end, "lag": end - (done or 0)})
    return out


# ------------------------------------------------------------------ worker and tokens
def worker_state(data_dir: Any) -> dict | None:
    from streams.status import read_status

    status = read_status(data_dir)
    return None if status is None else status.to_json()


def token_rows(path: Any) -> list[dict]:
    """What may be shown of each token: name, sources, dates, state. Never the hash or the token."""
    from streams.ingest.tokens import TokenStore

    return [{"name": r.name, "sources": list(r.sources), "created_at": r.created_at,
             "state": f"revoked {r.revoked_at}" if r.revoked_at else "active"}
            for r in TokenStore.load(path).records]
