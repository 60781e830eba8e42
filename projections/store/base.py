"""The store interface every backend implements, and what it promises."""
from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is slow to import: the prepare processes, which import ddl, never need it
    import pandas as pd
    import pyarrow as pa

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


INSERT_SETTINGS = {"throw_on_max_partitions_per_insert_block": 0}
"""Settings of every insert. Event-keyed projection tables are partitioned by year of event time, so
one batch of a long history (an import of old records, a replay) may touch more years than the
engine's default limit (100 partitions per insert block), which guards against a mistaken partition
key; ours is not."""


class StoreError(RuntimeError):
    """A query or insert the ClickHouse engine refused; the message carries the engine's words."""


def check_identifier(name: str) -> str:
    """Table and database names cannot be bound as parameters; accept only plain identifiers."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


class Store(ABC):
    """A ClickHouse database seen through four calls.

    `database` is selected on open, so SQL names tables without a database prefix and the
    same statements run on every backend and in every test database.
    """

    database: str

    @abstractmethod
    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run a statement that returns nothing (DDL, INSERT ... SELECT, OPTIMIZE)."""

    @abstractmethod
    def query_df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a SELECT and return its result as a DataFrame (columns in SELECT order)."""

    @abstractmethod
    def insert_arrow(self, table: str, data: "pa.Table") -> int:
        """Insert an Arrow table (`projections.project.encode` makes them) whose field names match the
        table's; returns rows written. The backend serialises it once, its own way.

        It returns only once the engine confirmed every row and raises `StoreError` otherwise
        (no space, a read-only directory, a server that wrote fewer rows): the worker commits a batch's
        offsets only after they returned."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""

    # Conveniences built on the four calls above.
    def query_rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.query_df(sql, params).to_dict(orient="records")

    def query_scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        df = self.query_df(sql, params)
        return None if df.empty else df.iat[0, 0]

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
