"""Which store errors a batch can outlive by waiting, and which are about the batch's own data.

A store error is one of three kinds, read from the ClickHouse error name the engine puts in its
message (chDB and the HTTP server both quote it, e.g. `... (NOT_ENOUGH_SPACE)`):
- transient: the store itself is unwell (no space, read-only, permissions, connection, memory,
  too many parts). Waiting and writing the same batch again loses nothing; the sink retries forever.
- data: the engine cannot hold a value of this batch (parse, type, overflow, size, constraint).
  Retrying cannot help; the fold splits the batch to find the refused events and dead-letters them.
- unknown: neither list names it. Treated as transient, but after `UNKNOWN_TRIES` failures in a
  row of the same write the fold splits the batch once to see whether single events are to blame.

`split_refused` is the split itself, pure: it only calls the `attempt` it is given.
"""
from __future__ import annotations

import re
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

UNKNOWN_TRIES = 5
"""Failures in a row of one write, with an error neither list names, before the fold splits the batch."""

TRANSIENT_NAMES = frozenset({
    "NOT_ENOUGH_SPACE", "CANNOT_WRITE_TO_FILE_DESCRIPTOR", "CANNOT_WRITE_TO_OSTREAM", "CANNOT_FSYNC",
    "CANNOT_OPEN_FILE", "CANNOT_CREATE_DIRECTORY", "CANNOT_RENAME_FILE", "CANNOT_REMOVE_FILE",
    "CANNOT_TRUNCATE_FILE", "CANNOT_SEEK_THROUGH_FILE", "CANNOT_CLOSE_FILE", "FILE_DOESNT_EXIST",
    "TABLE_IS_READ_ONLY", "READONLY", "ACCESS_DENIED", "NOT_ENOUGH_PRIVILEGES",
    "NETWORK_ERROR", "SOCKET_TIMEOUT", "TIMEOUT_EXCEEDED", "ALL_CONNECTION_TRIES_FAILED",
    "CANNOT_READ_FROM_SOCKET", "CANNOT_WRITE_TO_SOCKET", "UNEXPECTED_PACKET_FROM_SERVER",
    "TOO_MANY_PARTS", "TOO_MANY_SIMULTANEOUS_QUERIES", "MEMORY_LIMIT_EXCEEDED", "CANNOT_ALLOCATE_MEMORY",
    "TABLE_IS_DROPPED", "ABORTED", "QUERY_WAS_CANCELLED", "UNKNOWN_TABLE", "UNKNOWN_DATABASE",
})
"""The store is unwell, not the batch. (A missing table is a migration not yet run: wait for it.)"""

DATA_NAMES = frozenset({
    "VIOLATED_CONSTRAINT", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_NUMBER",
    "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_UUID", "CANNOT_PARSE_BOOL",
    "CANNOT_PARSE_ESCAPE_SEQUENCE", "CANNOT_PARSE_QUOTED_STRING", "CANNOT_READ_ARRAY_FROM_TEXT",
    "TYPE_MISMATCH", "CANNOT_CONVERT_TYPE", "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE", "ARGUMENT_OUT_OF_BOUND",
    "DECIMAL_OVERFLOW", "TOO_LARGE_STRING_SIZE", "TOO_LARGE_ARRAY_SIZE", "SIZES_OF_ARRAYS_DONT_MATCH",
    "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN", "INCORRECT_DATA", "UNKNOWN_ELEMENT_IN_ENUM", "BAD_ARGUMENTS",
    "ILLEGAL_TYPE_OF_ARGUMENT", "ILLEGAL_COLUMN", "CANNOT_CONVERT_CHARSET",
})
"""The engine cannot hold a value of the batch: the same write fails the same way forever."""

_TRANSIENT_WORDS = ("no space left", "read-only file system", "permission denied", "operation not permitted",
                    "connection refused",
                    "connection reset", "timed out", "broken pipe")
_NAME = re.compile(r"\(([A-Z][A-Z0-9_]{2,})\)")
_CODE = re.compile(r"Code: (\d+)")


def error_name(message: str) -> str:
    """The ClickHouse error name the message quotes, or ''. A known name wins over other capitals in
    parentheses (row values the engine quotes); else the last one, where ClickHouse puts the name."""
    found = _NAME.findall(message)
    known = [n for n in found if n in TRANSIENT_NAMES or n in DATA_NAMES]
    return (known or found or [""])[-1]


def error_label(message: str) -> str:
    """The engine's error as a name and code only (`VIOLATED_CONSTRAINT, code 469`): safe for logs and
    reasons, because the engine's words quote row values (e.g. a violated constraint's column values)."""
    name, code = error_name(message), _CODE.search(message)
    if name and code:
        return f"{name}, code {code.group(1)}"
    return name or (f"code {code.group(1)}" if code else "no error name")


def classify(message: str) -> str:
    """'transient', 'data' or 'unknown' (see the module docstring)."""
    name = error_name(message)
    if name in DATA_NAMES:
        return "data"
    if name in TRANSIENT_NAMES or any(w in message.lower() for w in _TRANSIENT_WORDS):
        return "transient"
    return "unknown"


class StoreRefused(Exception):
    """A write the store refused for a reason retrying cannot mend (or an unknown reason, persistently)."""

    def __init__(self, table: str, kind: str, label: str) -> None:
        super().__init__(f"table {table}: {label} ({kind})")
        self.table, self.kind, self.label = table, kind, label

    @property
    def reason(self) -> str:
        return f"the store refused the row for table {self.table}: {self.label}"


class NotOneEvent(Exception):
    """`split_refused(..., single=True)` found refusals in both halves of a part: not one event's fault."""


def split_refused(items: Sequence[T], attempt: Callable[[Sequence[T]], None], refusal: StoreRefused,
                  *, single: bool = False) -> list[tuple[T, StoreRefused]]:
    """Bisect `items`, which the store refused whole with `refusal`: each half is written by `attempt`
    (returns when stored, raises `StoreRefused`), a refused half is split again, and the single items
    the store refuses come back with their refusal. k refused items among n cost about 2 k log2(n)
    attempts. `single`: look for one refused item only, and raise `NotOneEvent` as soon as both halves
    of a part are refused (an unknown error that every write meets costs two attempts, not 2 n)."""
    if len(items) == 1:
        return [(items[0], refusal)]
    mid = len(items) // 2
    refused_halves: list[tuple[Sequence[T], StoreRefused]] = []
    for half in (items[:mid], items[mid:]):
        try:
            attempt(half)
        except StoreRefused as exc:
            refused_halves.append((half, exc))
    if single and len(refused_halves) > 1:
        raise NotOneEvent()
    refused: list[tuple[T, StoreRefused]] = []
    for half, exc in refused_halves:
        refused += split_refused(half, attempt, exc, single=single)
    return refused
