"""Numbered migrations that create or evolve the ClickHouse schema on start.

Each migration only calls the builders of `ddl` (and of projection table modules), never
hand-written column lists. `migrate(store)` applies the ones not yet recorded in
`schema_migrations`, in order, and records each; running it again does nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from . import ddl, resolved
from .partitions import repartition
from .project import ALL_TABLES, PROJECTION_TABLES
from .store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[Store], None]


def _create(*tables: ddl.Table) -> Callable[[Store], None]:
    def run(store: Store) -> None:
        for table in tables:
            store.command(table.create_sql())

    return run


MIGRATION_2_TABLES = tuple(
    table
    for projection in ("roster", "reciprocity", "buyer_reciprocity", "deals", "collaboration", "knowledge",
                       "failure_transparency", "rediscovery", "outcomes", "recognition")
    for table in PROJECTION_TABLES[projection]
)
"""The tables migration 2 creates, from their definitions. A table added later gets a migration of its
own that creates it (CREATE TABLE IF NOT EXISTS: this one creating it as well on a new store is harmless)."""

def _repartition_all(store: Store) -> None:
    """Rebuild every table whose stored keys differ from its definition (migrations 3 and 4 both: each
    brings a store to today's definitions, so on an old store 3 does the work and 4 finds none)."""
    repartition(store, ALL_TABLES)


MIGRATIONS: list[Migration] = [
    Migration(1, "raw events and dead letters", _create(ddl.EVENTS, ddl.DEAD_LETTERS)),
    Migration(2, "projection tables (roster, help, deals, knowledge, reviews, proposals, outcomes, recognition)",
              _create(*MIGRATION_2_TABLES)),
    Migration(3, "event-keyed projection tables partitioned by month of event time (rebuilt in place)",
              _repartition_all),
    Migration(4, "event-keyed projection tables partitioned by year of event time (rebuilt in place)",
              _repartition_all),
    Migration(5, "resolved entity rows (help acts, deal outcomes, exchanges and withdrawals with their teams)",
              resolved.rebuild),
]


def applied(store: Store) -> set[int]:
    store.command(ddl.SCHEMA_MIGRATIONS.create_sql())
    df = store.query_df("SELECT number FROM schema_migrations FINAL")
    return set(int(n) for n in df["number"]) if not df.empty else set()


def migrate(store: Store) -> list[int]:
    """Apply pending migrations; returns the numbers applied now."""
    numbers = [m.number for m in MIGRATIONS]
    if numbers != sorted(set(numbers)):
        raise RuntimeError(f"migration numbers must be unique and increasing: {numbers}")
    done = applied(store)
    now: list[int] = []
    for m in MIGRATIONS:
        if m.number in done:
            continue
        log.info("applying migration %03d: %s", m.number, m.name)
        m.apply(store)
        store.command(
            "INSERT INTO schema_migrations (number, name, applied_at) "
            "VALUES ({n:UInt32}, {name:String}, now64(3))",
            {"n": m.number, "name": m.name},
        )
        now.append(m.number)
    return now
