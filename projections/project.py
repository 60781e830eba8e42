"""From a batch of decoded events to one DataFrame per projection table.

`project_batch` is what the stream worker calls for every batch: pure (no I/O), columnar
(row tuples per table, transposed once, one DataFrame per table), and indifferent to order
and repetition, because every row is keyed by the identity of what it describes.
Event types no projection uses are ignored.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:  # DataFrames only for project_batch; the prepare processes skip the ~0.4 s import
    import pandas as pd

from . import (
    buyer_reciprocity,
    collaboration,
    deals,
    failure_transparency,
    knowledge,
    outcomes,
    recognition,
    reciprocity,
    rediscovery,
    roster,
)
from .ddl import Table
from .rows import Mapper, Rows, epoch_ms

_AREAS = {
    "roster": roster,
    "reciprocity": reciprocity,
    "buyer_reciprocity": buyer_reciprocity,
    "deals": deals,
    "collaboration": collaboration,
    "knowledge": knowledge,
    "failure_transparency": failure_transparency,
    "rediscovery": rediscovery,
    "outcomes": outcomes,
    "recognition": recognition,
}

PROJECTION_TABLES: dict[str, tuple[Table, ...]] = {name: mod.TABLES for name, mod in _AREAS.items()}
"""Projection name -> its tables; rebuild one projection by replaying into these alone.

Metrics read across projections: roster (team at a time) and deals (deal team, close) are
used by most of them, so rebuild those with any projection whose metrics you need.
"""

ALL_TABLES: tuple[Table, ...] = tuple(t for tables in PROJECTION_TABLES.values() for t in tables)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in ALL_TABLES}

MAPPERS: dict[str, Mapper] = {}
for _mod in _AREAS.values():
    for _type, _fn in _mod.MAPPERS.items():
        if _type in MAPPERS:
            raise RuntimeError(f"two projections claim {_type}")
        MAPPERS[_type] = _fn

_TS_COLUMNS = {t.name: {c for c, typ in t.columns if typ.startswith("DateTime64")} for t in ALL_TABLES}


def handled_types() -> frozenset[str]:
    """The event types some projection maps (others are ignored by `project_batch`)."""
    return frozenset(MAPPERS)


def project_rows(events: Sequence[Any], times_ms: Sequence[int] | None = None) -> Rows:
    """Row tuples of every projection table for a batch of events (table name -> rows, maybe empty).

    The row-mapping half of `project_batch`, shared with the Arrow write path (`streams/prepare.py`).
    `times_ms`, when given, are the events' times in epoch milliseconds (computed once by the caller).
    """
    rows: Rows = {name: [] for name in TABLES_BY_NAME}
    mappers = MAPPERS
    if times_ms is None:
        times_ms = [epoch_ms(event.time) for event in events]
    for event, ms in zip(events, times_ms):
        fn = mappers.get(event.type)
        if fn is not None:
            fn(event, ms, rows)
    return rows


def project_batch(events: Sequence[Any], *, tables: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Rows of every projection table for a batch of events, as DataFrames (table name -> frame).

    Only tables that received rows are returned; each frame has exactly the table's columns in
    its order, times as `datetime64[ms, UTC]`. `tables` (names) restricts the output, e.g. to
    `PROJECTION_TABLES["knowledge"]` when rebuilding one projection. Events of a type no
    projection maps are skipped.
    """
    rows = project_rows(events)
    wanted = None if tables is None else {t if isinstance(t, str) else t.name for t in tables}
    return {
        name: _frame(TABLES_BY_NAME[name], batch)
        for name, batch in rows.items()
        if batch and (wanted is None or name in wanted)
    }


def _frame(table: Table, batch: list[tuple[Any, ...]]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    names = table.column_names
    columns = list(zip(*batch))
    ts = _TS_COLUMNS[table.name]
    data: dict[str, Any] = {}
    for name, values in zip(names, columns):
        if name in ts:
            data[name] = pd.DatetimeIndex(np.array(values, dtype="datetime64[ms]")).tz_localize("UTC")
        else:
            data[name] = list(values)
    return pd.DataFrame(data, columns=names)
