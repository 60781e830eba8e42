"""A table's columns as Python lists -> an Arrow table with the table's own types.

The write path's one format: the columns go straight from Python lists into typed Arrow arrays (a
value that does not fit its column's type raises here, not in the store), and the store inserts
the Arrow table as it is (`Store.insert_arrow`). Pure: no I/O.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

import pyarrow as pa

from .ddl import Table

_TYPES = {
    "String": pa.string(),
    "LowCardinality(String)": pa.string(),
    "UInt8": pa.uint8(),
    "UInt16": pa.uint16(),
    "UInt64": pa.uint64(),
    "Int32": pa.int32(),
    "Int64": pa.int64(),
    "Float64": pa.float64(),
    "Date": pa.date32(),
    "DateTime64(3, 'UTC')": pa.timestamp("ms", tz="UTC"),
}


def arrow_type(clickhouse_type: str) -> pa.DataType:
    try:
        return _TYPES[clickhouse_type]
    except KeyError:
        raise ValueError(f"no Arrow type for ClickHouse type {clickhouse_type!r}; add it to projections/arrow.py")


@lru_cache(maxsize=None)
def arrow_schema(table: Table) -> pa.Schema:
    """The table's columns as an Arrow schema; DateTime64(3, 'UTC') columns take epoch milliseconds."""
    return pa.schema([pa.field(name, arrow_type(typ)) for name, typ in table.columns])


def arrow_table(table: Table, columns: Sequence[Sequence[Any]]) -> pa.Table:
    """An Arrow table from one value list per column, in the table's column order."""
    schema = arrow_schema(table)
    if len(columns) != len(schema):
        raise ValueError(f"{table.name}: {len(columns)} columns given, the table has {len(schema)}")
    # from_pandas=True on float columns: a NaN becomes null, as it did through DataFrames (pyarrow's
    # from_pandas), so a non-Nullable Float64 column stores what it always stored for a missing amount
    # (0). Only there: the NaN checks are slow on the string columns, which hold no NaN.
    arrays = [pa.array(values, type=field.type, from_pandas=pa.types.is_floating(field.type))
              for values, field in zip(columns, schema)]
    return pa.Table.from_arrays(arrays, schema=schema)
