"""Keeping the resolved tables current: which entities a batch touched, deriving them again, rebuilding.

`touched` reads a batch's Arrow tables (pure). `refresh` runs one `INSERT ... SELECT` per resolved table
the batch touched: the entities' rows derived again, and, when the batch reported an entity again, a
tombstone for each of its rows whose key is no longer current. `rebuild` derives every table whole.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..ddl import Table
from ..store import Store
from ..store.base import INSERT_SETTINGS
from .tables import ENTITY_COLUMNS, SPECS, Spec

IDS = "SELECT arrayJoin({ids:Array(String)})"
MOVED = "SELECT arrayJoin({moved:Array(String)})"


@dataclass
class Touched:
    """What one batch touched: entity ids by the projection table that named them, and the people
    whose roster changed (from their earliest change on)."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    persons: set[str] = field(default_factory=set)
    persons_since_ms: int | None = None

    def of(self, *tables: str) -> set[str]:
        return set().union(*(self.ids.get(t, set()) for t in tables))

    def __bool__(self) -> bool:
        return bool(self.persons or any(self.ids.values()))


def touched(tables: Mapping[str, Any]) -> Touched:
    """The entities a batch's tables (name -> Arrow table, as the encoder gives them) touch. Pure."""
    out = Touched()
    for table, column in {source for spec in SPECS for source in spec.sources}:
        t = tables.get(table)
        if t is not None and t.num_rows:
            out.ids[table] = set(t.column(column).to_pylist())
    roster = tables.get("roster_changes")
    if roster is not None and roster.num_rows:
        out.persons = set(roster.column("person").to_pylist())
        out.persons_since_ms = min(roster.column("time").cast("int64").to_pylist())
    return out


_clock_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """A version higher than every earlier one of this process (nanoseconds of the clock, or one more)."""
    global _last_version
    with _clock_lock:
        _last_version = max(time.time_ns(), _last_version + 1)
        return _last_version


def _own(table: Table) -> list[str]:
    return [c for c, _ in table.columns if c not in dict(ENTITY_COLUMNS)]


def _versioned(table: Table, select: str, deleted: int) -> str:
    return (f"SELECT {', '.join(_own(table))}, {{version:UInt64}} AS _version, toUInt8({deleted}) AS _deleted "
            f"FROM ({select})")


def _tombstones(spec: Spec) -> str:
    """The current rows of the entities MOVED lists whose key is no longer one of theirs."""
    key = spec.table.order_by
    return (f"SELECT {', '.join(_own(spec.table))} FROM {spec.table.name} FINAL WHERE {key[0]} IN ({MOVED}) "
            f"AND ({', '.join(key)}) NOT IN ({spec.keys_now(MOVED)})")


def _insert(store: Store, table: Table, target: str, selects: list[str], params: dict[str, Any]) -> None:
    settings = ", ".join(f"{k} = {v}" for k, v in INSERT_SETTINGS.items())
    store.command(f"INSERT INTO {target} ({', '.join(table.column_names)}) SETTINGS {settings} "
                  + " UNION ALL ".join(selects), {**params, "version": next_version()})


def _ts(ms: int | None) -> str:
    """A `DateTime64(3)` parameter of epoch milliseconds (None: the far future, selecting nothing)."""
    if ms is None:
        return "2200-01-01 00:00:00.000"
    seconds, millis = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}"


def refresh(store: Store, touched_: Touched) -> None:
    """Derive again the resolved rows of the entities a batch touched (after its rows were stored), one
    statement per resolved table it touched."""
    for spec in SPECS:
        ids = touched_.of(*(table for table, _ in spec.sources))
        by_roster = bool(touched_.persons and spec.of_persons)
        if not ids and not by_roster:
            continue
        params: dict[str, Any] = {"ids": sorted(ids)}
        which = IDS
        if by_roster:
            which = f"{IDS} UNION ALL {spec.of_persons}"
            params.update(persons=sorted(touched_.persons), persons_since=_ts(touched_.persons_since_ms))
        selects = [_versioned(spec.table, spec.derive(which), 0)]
        moved = touched_.of(*spec.moved_by)
        if moved:
            selects.append(_versioned(spec.table, _tombstones(spec), 1))
            params["moved"] = sorted(moved)
        _insert(store, spec.table, spec.table.name, selects, params)


def create(store: Store) -> None:
    """Create the resolved tables where they do not exist (empty)."""
    for spec in SPECS:
        store.command(spec.table.create_sql())


def rebuild(store: Store) -> None:
    """Derive every resolved table whole from the projection tables, into fresh tables swapped in
    atomically (replay, erasure and migration 5: the projection tables are complete)."""
    for spec in SPECS:
        fresh = spec.table.name + "__rebuild"
        store.command(f"DROP TABLE IF EXISTS {fresh}")
        store.command(spec.table.create_sql(fresh))
        _insert(store, spec.table, fresh, [_versioned(spec.table, spec.derive(None), 0)], {})
        store.command(f"CREATE TABLE IF NOT EXISTS {spec.table.name} AS {fresh}")
        store.command(f"EXCHANGE TABLES {spec.table.name} AND {fresh}")
        store.command(f"DROP TABLE {fresh}")
