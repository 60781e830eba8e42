"""Row tuples of a table -> an Arrow record batch with the table's own types, and its IPC bytes.

Used by the write path instead of a pandas DataFrame: the columns go straight from Python lists
into typed Arrow arrays (a value that does not fit its column's type raises here, not in the
store), and the IPC stream is what chDB's `send_insert(..., "ArrowStream")` reads. Pure: no I/O.
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


def record_batch(table: Table, columns: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    """A record batch from one value list per column, in the table's column order."""
    schema = arrow_schema(table)
    if len(columns) != len(schema):
        raise ValueError(f"{table.name}: {len(columns)} columns given, the table has {len(schema)}")
    # from_pandas=True on float columns: a NaN becomes null, as it did through DataFrames (pyarrow's
    # from_pandas), so a non-Nullable Float64 column stores what it always stored for a missing amount
    # (0). Only there: the NaN checks cost ~20 % on the string columns, which hold no NaN.
    arrays = [pa.array(values, type=field.type, from_pandas=pa.types.is_floating(field.type))
              for values, field in zip(columns, schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def rows_batch(table: Table, rows: Sequence[tuple[Any, ...]]) -> pa.RecordBatch:
    """A record batch from row tuples in the table's column order (transposed once)."""
    return record_batch(table, list(zip(*rows)) if rows else [[] for _ in table.columns])


def ipc_bytes(batch: pa.RecordBatch) -> bytes:
    """The batch as an Arrow IPC stream (what chDB's ArrowStream insert format reads)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return sink.getvalue().to_pybytes()


def read_ipc(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(payload).read_all()


_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
"""The end-of-stream marker of the Arrow IPC stream format (continuation marker, zero length)."""


def _schema_message_size(payload: bytes) -> int | None:
    """Bytes of the stream's first message (its schema): continuation marker, metadata length, metadata
    (a schema message has no body). None when the payload does not start that way."""
    if len(payload) < 16 or payload[:4] != b"\xff\xff\xff\xff" or not payload.endswith(_EOS):
        return None
    return 8 + int.from_bytes(payload[4:8], "little")


def merge_ipc(payloads: Sequence[bytes]) -> bytes:
    """Several IPC streams of one table as one stream of their record batches (one insert statement).

    Never hand chDB concatenated streams instead: it reads the first stream and ignores the rest.
    Streams with the very same schema message (same table, same writer) are joined as bytes: the
    first stream up to its end marker, then each other's record batch messages. Anything else is
    re-streamed batch by batch through pyarrow (slower: ~1 µs per event of a replay, measured)."""
    if len(payloads) == 1:
        return payloads[0]
    if not payloads:
        raise ValueError("no payloads to merge")
    head = _schema_message_size(payloads[0])
    if head is not None and all(_schema_message_size(p) == head and p[:head] == payloads[0][:head]
                                for p in payloads[1:]):
        return b"".join([payloads[0][:-len(_EOS)], *(p[head:-len(_EOS)] for p in payloads[1:]), _EOS])
    sink = pa.BufferOutputStream()
    writer = None
    for payload in payloads:
        reader = pa.ipc.open_stream(payload)
        if writer is None:
            writer = pa.ipc.new_stream(sink, reader.schema)
        for batch in reader:
            writer.write_batch(batch)
    writer.close()
    return sink.getvalue().to_pybytes()
