"""The encoder: decoded events with their log positions -> one Arrow table per stored table.

`encode` is the one way rows are made, for the worker, replay, tests and benchmarks alike: pure
(no I/O), columnar (each table's columns are built once per batch), and indifferent to order and
repetition, because every row is keyed by the identity of what it describes. Mappers are
registered per data struct of the schemas catalog (`schemas.catalog.CURRENT_MODELS`) and give
each row by column name; the encoder checks the names against the table and adds the event
columns. Event types no projection maps are stored in `events` only.
"""
from __future__ import annotations

from typing import Any, Iterable, NamedTuple, Sequence

import msgspec

from schemas.catalog import CURRENT_MODELS

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
from . import ddl
from .arrow import arrow_table
from .ddl import Table
from .rows import EVENT_COLUMNS, Mapper, Row, epoch_ms

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


def _register() -> dict[str, Mapper]:
    """Event type name -> mapper, from each projection's {data struct: mapper}; a struct that is not
    the current version of a catalog type, or a type claimed twice, stops the import."""
    type_of = {model: name for name, model in CURRENT_MODELS.items()}
    out: dict[str, Mapper] = {}
    for mod in _AREAS.values():
        for model, fn in mod.MAPPERS.items():
            name = type_of.get(model)
            if name is None:
                raise RuntimeError(f"{mod.__name__}: {model.__name__} is not a current event model of the catalog")
            if name in out:
                raise RuntimeError(f"two projections claim {name}")
            out[name] = fn
    for table in ALL_TABLES:
        if table.columns[-len(EVENT_COLUMNS):] != EVENT_COLUMNS:
            raise RuntimeError(f"{table.name}: a projection table ends with the event columns")
    return out


MAPPERS: dict[str, Mapper] = _register()


class Positioned(NamedTuple):
    """A decoded event (`schemas.Event`) with the Kafka position it was read from."""

    event: Any
    partition: int
    offset: int


def handled_types() -> frozenset[str]:
    """The event types some projection maps (others are stored in `events` only)."""
    return frozenset(MAPPERS)


def encode(positioned: Sequence[Positioned], now_ms: int, tables: Iterable[str] | None = None) -> dict[str, Any]:
    """Table name -> Arrow table (`pyarrow.Table`) for one batch: the raw `events` table and every
    projection table that got rows. `tables` (names) limits the output (replay of one projection);
    `now_ms` is the batch's ingestion time in epoch milliseconds."""
    wanted = None if tables is None else set(tables)
    out: dict[str, Any] = {}
    if not positioned:
        return out
    events = [p.event for p in positioned]
    times = [epoch_ms(e.time) for e in events]
    if wanted is None or ddl.EVENTS.name in wanted:
        out[ddl.EVENTS.name] = arrow_table(ddl.EVENTS, event_columns(positioned, now_ms, times))
    for name, (rows, who) in project_rows(events).items():
        if rows and (wanted is None or name in wanted):
            out[name] = arrow_table(TABLES_BY_NAME[name], projection_columns(TABLES_BY_NAME[name], rows, who,
                                                                             events, times))
    return out


def event_columns(positioned: Sequence[Positioned], now_ms: int, times_ms: Sequence[int]) -> list[list]:
    """The `events` table's columns (ddl.EVENTS order). `data` is the JSON of the (upcast) data as
    UTF-8 bytes, which Arrow takes for a string column."""
    json = msgspec.json.encode
    first = ddl.first_copy_version
    events = [p.event for p in positioned]
    partitions = [p.partition for p in positioned]
    offsets = [p.offset for p in positioned]
    columns = {
        "source": [e.source for e in events],
        "id": [e.id for e in events],
        "type": [e.type for e in events],
        "version": [e.version for e in events],
        "time": list(times_ms),
        "subject": [e.subject or "" for e in events],
        "data": [json(e.data) for e in events],
        "_partition": partitions,
        "_offset": offsets,
        "_ingested_at": [now_ms] * len(events),
        "_version": [first(p, o) for p, o in zip(partitions, offsets)],
    }
    return [columns[name] for name in ddl.EVENTS.column_names]


def project_rows(events: Sequence[Any]) -> dict[str, tuple[list[Row], list[int]]]:
    """Table name -> (rows by column name, index of the event each row came from), for every table."""
    out: dict[str, tuple[list[Row], list[int]]] = {name: ([], []) for name in TABLES_BY_NAME}
    mappers = MAPPERS
    for i, event in enumerate(events):
        fn = mappers.get(event.type)
        if fn is not None:
            for table, row in fn(event.data):
                rows, who = out[table.name]
                rows.append(row)
                who.append(i)
    return out


def projection_columns(table: Table, rows: Sequence[Row], who: Sequence[int], events: Sequence[Any],
                       times_ms: Sequence[int]) -> list[list]:
    """The table's columns in its order: each row's own columns taken by name (every row must name
    exactly the table's own columns), then the event columns of the event each row came from."""
    own = table.column_names[:-len(EVENT_COLUMNS)]
    if set(map(len, rows)) != {len(own)}:
        raise ValueError(f"{table.name}: a mapper gave a row whose columns are not {own}")
    try:  # one pass over the rows per column (cheaper than transposing row tuples: docs/benchmarks.md)
        columns = [[row[name] for row in rows] for name in own]
    except KeyError as missing:
        raise ValueError(f"{table.name}: a mapper gave a row without the column {missing}") from None
    columns.append([times_ms[i] for i in who])
    columns.append([events[i].source for i in who])
    columns.append([events[i].id for i in who])
    return columns
