"""Small direct writes into a test store (for tests of what reads the store, not of the worker)."""
from __future__ import annotations

import time
import uuid

import pyarrow as pa

from projections import ddl
from projections.arrow import arrow_table


def raw_events(rows: list[dict]) -> pa.Table:
    """`events` rows (by column name; times in epoch ms, defaults for the rest) as an Arrow table."""
    now = int(time.time() * 1000)
    defaults = dict(source="s", type="teamflow.help.given", version=1, time=now, subject="", data="{}",
                    _partition=0, _ingested_at=now)
    full = [{**defaults, **row} for row in rows]
    for row in full:
        row.setdefault("_version", ddl.first_copy_version(row["_partition"], row["_offset"]))
    return arrow_table(ddl.EVENTS, [[row[name] for row in full] for name in ddl.EVENTS.column_names])


def insert_event(store, n: int) -> None:
    """One raw event `s/<n>` landed now."""
    store.insert_arrow("events", raw_events([dict(id=str(n), _offset=n)]))


def store_of_json(chdb_dir, events: list[dict], prefix: str, *, newest_first: bool = False):
    """A fresh chDB store holding `events` (CloudEvents as dicts, each must pass the contract), written
    through the product's encoder and insert; `newest_first`: in reverse order, as late events come."""
    import json

    import schemas
    from projections.migrations import migrate
    from projections.project import Positioned
    from projections.store import open_store
    from streams.fold.sink import store_events

    decoded = [schemas.decode(json.dumps(x).encode()) for x in events]
    assert all(isinstance(d, schemas.Event) for d in decoded), [d for d in decoded if not isinstance(d, schemas.Event)]
    store = open_store(url=None, data_dir=str(chdb_dir), database=f"{prefix}_{uuid.uuid4().hex[:12]}")
    migrate(store)
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(decoded[::-1] if newest_first else decoded)], 0)
    return store
