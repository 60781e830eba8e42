"""Migration of existing stores to the partitioned projection tables (migrations 3 and 4).

Event-keyed projection tables are partitioned by the year of the event's time (see
`rows.fact_table`). A store created before migration 3 holds them unpartitioned, and a store that
migration 3 brought to month partitions (before migration 4) holds them by month; ClickHouse cannot
change a table's partition key in place, so each such table is rebuilt in the store from its
own rows: a fresh table from the definition, `INSERT ... SELECT` of every column, then
`EXCHANGE TABLES` (atomic, as replay does) and the old one dropped. Rows are copied as they are,
duplicates included (FINAL and merges deduplicate them as before, now per partition, which
holds every copy of an event since copies share its time). A table already partitioned as
defined (every new store: migration 2 creates it so) is left alone, so running this twice
changes nothing. The sorting key is compared too (it gained `time`, see `fact_table`).
"""
from __future__ import annotations

import logging

from .ddl import Table
from .store import Store
from .store.base import INSERT_SETTINGS

log = logging.getLogger(__name__)

SUFFIX = "__repartition"


def _plain(expression: str) -> str:
    """A key expression without spaces or one pair of brackets around it all (the engine reports a
    one-column key as `(c)`)."""
    e = expression.replace(" ", "")
    return e[1:-1] if e.startswith("(") and e.endswith(")") and "(" not in e[1:-1] else e


def stored_keys(store: Store, table: str) -> tuple[str, str] | None:
    """The stored table's (partition key, sorting key) as plain expressions; None if it does not exist."""
    df = store.query_df(
        "SELECT partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
        {"t": table})
    if df.empty:
        return None
    return _plain(str(df["partition_key"].iloc[0])), _plain(str(df["sorting_key"].iloc[0]))


def defined_keys(table: Table) -> tuple[str, str]:
    """The definition's (partition key, sorting key), in `stored_keys`'s form."""
    return _plain(table.partition_by or ""), _plain(",".join(table.order_by))


def needs_rebuild(store: Store, table: Table) -> bool:
    """True when the stored table exists and its partition or sorting key is not its definition's."""
    stored = stored_keys(store, table.name)
    return stored is not None and stored != defined_keys(table)


def repartition(store: Store, tables: tuple[Table, ...]) -> list[str]:
    """Rebuild every table of `tables` whose stored partition key differs from its definition's;
    returns the names rebuilt."""
    done = []
    for table in tables:
        if not needs_rebuild(store, table):
            continue
        fresh = table.name + SUFFIX
        cols = ", ".join(table.column_names)
        store.command(f"DROP TABLE IF EXISTS {fresh}")
        store.command(table.create_sql(fresh))
        settings = ", ".join(f"{k} = {v}" for k, v in INSERT_SETTINGS.items())
        store.command(f"INSERT INTO {fresh} ({cols}) SETTINGS {settings} SELECT {cols} FROM {table.name}")
        store.command(f"EXCHANGE TABLES {table.name} AND {fresh}")
        store.command(f"DROP TABLE {fresh}")
        log.info("repartitioned %s by %s", table.name, table.partition_by)
        done.append(table.name)
    return done
