"""The pages' store: a query's result is reused while the tables it reads have not changed.

A page snapshot rests on a few dozen queries, and a new event changes one or two of the tables they
read (a recognition changes `recognitions`, not `deal_closes`), so recomputing a snapshot after each
event needs to run again only the queries over the tables the new events touched. `QueryMemo` wraps
the store the dashboards read: `query_df` keys each result by the query, its parameters and the
version of every table the query names (`projections.activity.table_versions`: metadata only, moved
by writes, deletes and replays, not by merges), and answers from memory when they all match.

Exact, never older than the data it says: the versions are read before the query runs, so rows
written meanwhile leave the result filed under the older versions, and the next call, seeing newer
ones, runs the query again. Queries that name no table of the database (system tables, constants)
always run. Everything else (commands, inserts, the store's attributes) goes to the store as it is.
The memory it keeps is bounded (`MAX_BYTES`, least recently used results go first).
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import pandas as pd

from projections import activity

MAX_BYTES = 256 * 1024 * 1024
"""Results kept, by their arrays' size (strings counted as references)."""

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=4096)
def _words(sql: str) -> frozenset[str]:
    return frozenset(_WORD.findall(sql))


def _frozen(params: dict[str, Any] | None) -> tuple:
    """A hashable form of query parameters (lists become tuples)."""
    if not params:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, (list, set, frozenset)) else v) for k, v in params.items()))


class QueryMemo:
    def __init__(self, store: Any, *, max_bytes: int = MAX_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._results: "OrderedDict[tuple, tuple[pd.DataFrame, int]]" = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __getattr__(self, name: str) -> Any:  # everything but query_df is the store's own
        return getattr(self.store, name)

    def query_df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        if "system." in sql:
            return self.store.query_df(sql, params)
        versions = activity.table_versions(self.store)
        read = sorted(_words(sql) & versions.keys())
        if not read:
            return self.store.query_df(sql, params)
        key = (sql, _frozen(params), tuple(versions[t] for t in read))
        with self._lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
                self.hits += 1
                return hit[0].copy()
            self.misses += 1
        df = self.store.query_df(sql, params)
        size = int(df.memory_usage(index=True, deep=False).sum())
        if size <= self.max_bytes // 4:
            with self._lock:
                if key not in self._results:
                    self._results[key] = (df.copy(), size)
                    self._bytes += size
                while self._bytes > self.max_bytes:
                    _, (_, dropped) = self._results.popitem(last=False)
                    self._bytes -= dropped
        return df

    def query_rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return self.query_df(sql, params).to_dict("records")

    def query_scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        df = self.query_df(sql, params)
        return None if df.empty else df.iloc[0, 0]

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
            self._bytes = 0


def memoised(store: Any) -> Any:
    """`store` wrapped in a QueryMemo (once: a memo is returned as it is)."""
    return store if isinstance(store, QueryMemo) else QueryMemo(store)
