"""ClickHouse server backend through clickhouse-connect (used when a server URL is configured)."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pandas as pd

from .base import Store, StoreError, check_identifier


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

    def insert_df(self, table: str, df: pd.DataFrame) -> int:
        if df.empty:
            return 0
        try:
            self._client.insert_df(check_identifier(table), df)
        except Exception as exc:
            raise StoreError(f"ClickHouse: {exc}") from exc
        return len(df)

    def insert_arrow(self, table: str, payload: bytes) -> None:
        from ..arrow import read_ipc

        arrow_table = read_ipc(payload)
        if arrow_table.num_rows == 0:
            return
        try:
            self._client.insert_arrow(check_identifier(table), arrow_table)
        except Exception as exc:
            raise StoreError(f"ClickHouse: {exc}") from exc

    def close(self) -> None:
        self._client.close()
