"""Table definitions: the one place each table's columns, key and engine are written down.

Migrations, inserts and tests all read the column lists from here, so they cannot drift.
Projection tables are `ReplacingMergeTree`s ordered by the identity of what a row describes
(an event's `(source, id)`, a help act's `help_id`, ...): writing the same row twice, as a
redelivered batch or a replay does, leaves one row, and queries read with `FINAL`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .store.base import check_identifier


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    order_by: tuple[str, ...]
    engine: str = "ReplacingMergeTree"
    partition_by: str | None = None
    comment: str = ""

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def create_sql(self, name: str | None = None) -> str:
        """CREATE TABLE for this definition, optionally under another name (replay builds fresh tables)."""
        target = check_identifier(name or self.name)
        cols = ",\n    ".join(f"{check_identifier(c)} {t}" for c, t in self.columns)
        sql = f"CREATE TABLE IF NOT EXISTS {target} (\n    {cols}\n) ENGINE = {self.engine}"
        if self.partition_by:
            sql += f"\nPARTITION BY {self.partition_by}"
        sql += f"\nORDER BY ({', '.join(self.order_by)})"
        if self.comment:
            sql += "\nCOMMENT " + "'" + self.comment.replace("'", "''") + "'"
        return sql


TS = "DateTime64(3, 'UTC')"

EVENTS = Table(
    name="events",
    columns=(
        ("source", "String"),
        ("id", "String"),
        ("type", "LowCardinality(String)"),
        ("version", "UInt16"),
        ("time", TS),
        ("subject", "String"),
        ("data", "String"),
        ("_partition", "Int32"),
        ("_offset", "Int64"),
        ("_ingested_at", TS),
        ("_version", "UInt64"),
    ),
    order_by=("source", "id"),
    engine="ReplacingMergeTree(_version)",
    comment="Every valid event once per (source, id), with the Kafka position of its first copy in the log",
)


def first_copy_version(partition: int, offset: int) -> int:
    """Version for `events`: higher for earlier log positions, so a duplicate keeps its first copy's
    position whatever order the worker or a replay read the copies in."""
    return (1 << 63) - 1 - ((partition << 40) | offset)

DEAD_LETTERS = Table(
    name="dead_letters",
    columns=(
        ("fingerprint", "String"),
        ("received_at", TS),
        ("door", "LowCardinality(String)"),
        ("source", "String"),
        ("id", "String"),
        ("type", "String"),
        ("code", "LowCardinality(String)"),
        ("reason", "String"),
        ("raw", "String"),
        ("_partition", "Int32"),
        ("_offset", "Int64"),
    ),
    order_by=("fingerprint",),
    comment="Every rejected input with its reason; fingerprint = sha256 of door, raw payload and reason",
)

SCHEMA_MIGRATIONS = Table(
    name="schema_migrations",
    columns=(("number", "UInt32"), ("name", "String"), ("applied_at", TS)),
    order_by=("number",),
)
