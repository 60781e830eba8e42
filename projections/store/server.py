"""ClickHouse server backend through clickhouse-connect (used when a server URL is configured)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pandas as pd

from .base import INSERT_SETTINGS, Store, StoreError, check_identifier

if TYPE_CHECKING:
    import pyarrow as pa


def _confirmed(table: str, sent: int, summary: Any) -> int:
    """Rows the server says it wrote; a StoreError unless that is every row sent (a write the engine did
    not confirm is not a write: the worker must not commit its offsets)."""
    written = getattr(summary, "written_rows", None)
    if written is None or int(written) != sent:
        raise StoreError(f"ClickHouse: inserting into {table}: {sent} rows sent, the server confirmed {written}")
    return sent


class ServerStore(Store):
    def __init__(self, url: str, *, database: str) -> None:
        import clickhouse_connect

        self.database = check_identifier(database)
        parsed = urlparse(url)
        common = dict(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 8123,
            username=parsed.username or "default",
            password=parsed.password or "",
            secure=parsed.scheme == "https",
        )
        try:
            admin = clickhouse_connect.get_client(**common)
            admin.command(f"CREATE DATABASE IF NOT EXISTS {self.database}")
            admin.close()
            self._client = clickhouse_connect.get_client(database=self.database, **common)
        except Exception as exc:
            raise StoreError(f"ClickHouse server at {parsed.hostname}:{common['port']}: {exc}") from exc

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        try:
            self._client.command(sql, parameters=params or None)
        except Exception as exc:
            raise StoreError(f"ClickHouse: {exc}") from exc

    def query_df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        try:
            return self._client.query_df(sql, parameters=params or None)
        except Exception as exc:
            raise StoreError(f"ClickHouse: {exc}") from exc

    def insert_arrow(self, table: str, data: "pa.Table") -> int:
        """Insert an Arrow table whose field names match the table's (sent as Arrow, once)."""
        arrow_table = data
        if arrow_table.num_rows == 0:
            return 0
        try:
            summary = self._client.insert_arrow(check_identifier(table), arrow_table, settings=INSERT_SETTINGS)
        except Exception as exc:
            raise StoreError(f"ClickHouse: {exc}") from exc
        return _confirmed(table, arrow_table.num_rows, summary)

    def close(self) -> None:
        self._client.close()
