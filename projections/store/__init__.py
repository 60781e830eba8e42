"""The projection store: one small interface, two ClickHouse backends.

- `ChdbStore`: ClickHouse in-process (chDB) on a data directory; the embedded default.
- `ServerStore`: a ClickHouse server through clickhouse-connect, used when a URL is configured.

Both run the same SQL: query parameters use ClickHouse's own `{name:Type}` syntax, which chDB
and the server both bind server-side, so no value is ever pasted into SQL text.
"""
from __future__ import annotations

from .base import Store, StoreError

__all__ = ["Store", "StoreError", "open_store"]


def open_store(*, url: str | None, data_dir: str, database: str) -> Store:
    """Open the store the settings point at: a server when `url` is set, else chDB on `data_dir`."""
    if url:
        from .server import ServerStore

        return ServerStore(url, database=database)
    from .embedded import ChdbStore

    return ChdbStore(data_dir, database=database)
