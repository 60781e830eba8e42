"""chDB backend: ClickHouse running inside this process on a data directory.

chDB lets one process hold one data directory, and a process holds one chDB session at a
time, so sessions are shared per process: opening the same directory twice returns stores
on the same session (each with its own database), and a second directory is refused with a
clear error. Calls are serialised with a lock: chDB releases the GIL while a query runs, so a
Dash thread and the stream worker can share the process, but one session runs one statement
at a time; whose goes next is `turns.Turns`' rule (foreground work before background work).
"""
from __future__ import annotations

import fcntl
import os
import threading
from typing import TYPE_CHECKING, Any

import pandas as pd

from .base import INSERT_SETTINGS, Store, StoreError, check_identifier
from .turns import Turns

if TYPE_CHECKING:
    import pyarrow as pa

_sessions: dict[str, Any] = {}
_locks: dict[str, Any] = {}
_refcounts: dict[str, int] = {}
_registry_lock = threading.Lock()
_query_lock = Turns()  # one statement at a time, foreground work first (turns.py)
_current_database: dict[str, str] = {}  # session path -> database its last USE selected


def _literal(value: Any) -> Any:
    """chDB binds scalars itself but not Python lists: give it an Array literal it can parse."""
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_quote(v) for v in value) + "]"
    return value


def _quote(v: Any) -> str:
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(v)


def _lock_directory(path: str) -> Any:
    """Hold an exclusive lock on the data directory, so a second process fails fast and clearly."""
    handle = open(os.path.join(path, ".teamflow.lock"), "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StoreError(
            f"the chDB data directory {path} is in use by {holder}; chDB allows one process per directory. "
            "Stop that process (for example the worker) or point TEAMFLOW_DATA_DIR elsewhere."
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}")
    handle.flush()
    return handle


def _acquire_session(path: str) -> Any:
    from chdb import session as chdb_session

    with _registry_lock:
        if path not in _sessions:
            if _sessions:
                other = next(iter(_sessions))
                raise StoreError(
                    f"chDB already has {other} open in this process; one process can hold one "
                    f"chDB data directory at a time (asked for {path})"
                )
            os.makedirs(path, exist_ok=True)
            _locks[path] = _lock_directory(path)
            try:
                _sessions[path] = chdb_session.Session(path)
            except Exception as exc:
                _locks.pop(path).close()
                raise StoreError(f"chDB could not open {path}: {exc}") from exc
            _refcounts[path] = 0
        _refcounts[path] += 1
        return _sessions[path]


def _release_session(path: str) -> None:
    with _registry_lock:
        _refcounts[path] -= 1
        if _refcounts[path] == 0:
            sess = _sessions.pop(path)
            del _refcounts[path]
            with _query_lock:
                sess.close()
                _current_database.pop(path, None)
            _locks.pop(path).close()


class ChdbStore(Store):
    def __init__(self, data_dir: str, *, database: str) -> None:
        self.path = os.path.abspath(data_dir)
        self.database = check_identifier(database)
        self._session = _acquire_session(self.path)
        self._closed = False
        self._run(f"CREATE DATABASE IF NOT EXISTS {self.database}", None, "CSV", qualify=False)

    def _run(self, sql: str, params: dict[str, Any] | None, fmt: str, *, qualify: bool = True) -> Any:
        if self._closed:
            raise StoreError("store is closed")
        with _query_lock:
            try:
                if qualify:
                    self._use_database()
                bound = {k: _literal(v) for k, v in params.items()} if params else None
                return self._session.query(sql, fmt, params=bound)
            except Exception as exc:  # chDB raises its own error types; keep the engine's message
                raise StoreError(f"chDB: {exc}".strip()) from exc

    def _use_database(self) -> None:
        """A session is shared by the stores of several databases: select ours when it is not current."""
        if _current_database.get(self.path) != self.database:
            self._session.query(f"USE {self.database}")
            _current_database[self.path] = self.database

    def command(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self._run(sql, params, "CSV")

    def query_df(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        result = self._run(sql, params, "DataFrame")
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame()

    def insert_arrow(self, table: str, data: "pa.Table") -> int:
        """Insert an Arrow table whose field names match the table's: chDB reads it in place, by
        `INSERT ... SELECT FROM Python(data)`, a plain statement, which raises when the engine could not
        write (no space, a read-only or immutable directory). chDB's streaming insert (`send_insert`) does
        not: it reports every row written and returns normally when none was (docs/reliability.md), so
        the worker would commit offsets of events it never stored."""
        if data.num_rows == 0:
            return 0
        table = check_identifier(table)
        columns = ", ".join(check_identifier(c) for c in data.schema.names)
        teamflow_insert_data = data  # Python() finds the table by this name in the calling frames
        settings = ", ".join(f"{k} = {v}" for k, v in INSERT_SETTINGS.items())
        self._run(f"INSERT INTO {table} ({columns}) SETTINGS {settings} SELECT {columns} FROM Python(teamflow_insert_data)",
                  None, "CSV")
        return teamflow_insert_data.num_rows

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release_session(self.path)
