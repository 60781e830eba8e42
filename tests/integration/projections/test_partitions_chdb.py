"""Year partitions of the event-keyed projection tables, on chDB (or the configured server).

- A store made before them (unpartitioned tables, as migration 2 used to create, or by month, as
  migration 3 did before migration 4) is rebuilt in place: same rows, duplicates and late events
  included, and every figure equal to the plain-Python reference, before and after; migrating
  again changes nothing.
- A period's query under FINAL reads only that period's partitions (the reason for the change):
  the engine's estimate for a quarter is below the table's rows.
"""
from __future__ import annotations

import dataclasses
import json
import random
from datetime import datetime, timezone

import pytest

from projections.ddl import SCHEMA_MIGRATIONS
from projections.migrations import MIGRATIONS, migrate
from projections.partitions import defined_keys, needs_rebuild, stored_keys
from projections.project import ALL_TABLES, Positioned
from streams.simulator import simulate
from streams.fold.sink import store_events
from support.metric_compare import assert_all_match
from support.reference_metrics import index_events, reference_team_metrics, reference_teams

pytestmark = pytest.mark.integration

SEED = 4411
N_EVENTS = 8_000
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PERIODS = ["2025-Q3", "2025-Q4", "2025-09"]


@pytest.fixture(scope="module")
def simulated():
    import schemas

    raw = [value for _, value in simulate(SEED, N_EVENTS, start=START)]
    decoded = [schemas.decode(v) for v in raw]
    dicts = [json.loads(v) for v in raw]
    index = index_events(dicts)
    teams = reference_teams(dicts)
    expected = {(t, p): reference_team_metrics(dicts, t, p, index) for t in teams for p in PERIODS}
    return decoded, teams, expected


def _load(store, events, batch=1_000):
    for i in range(0, len(events), batch):
        store_events(store, [Positioned(e, 0, i + j) for j, e in enumerate(events[i:i + batch])], 0)


def _unpartitioned(table):
    """The table as stores made before migration 3 hold it: no partition, key without the added `time`."""
    key = table.order_by[:-1] if table.partition_by and table.order_by[-1] == "time" else table.order_by
    return dataclasses.replace(table, partition_by=None, order_by=key)


def _by_month(table):
    """The table as migration 3 left it before migration 4: event-keyed tables by month."""
    return dataclasses.replace(table, partition_by="toYYYYMM(time)") if table.partition_by else table


OLD_LAYOUTS = {  # layout -> (how each table was, the migrations already applied, the ones to apply now; 5 derives
    # the resolved rows again from the rebuilt tables)
    "unpartitioned": (_unpartitioned, 2, [3, 4, 5]),
    "by month": (_by_month, 3, [4, 5]),
}


def _final_counts(store):
    return {t.name: int(store.query_scalar(f"SELECT count() FROM {t.name} FINAL")) for t in ALL_TABLES}


@pytest.mark.parametrize("layout", OLD_LAYOUTS)
def test_an_old_store_is_rebuilt_in_place_with_the_same_rows_and_figures(store, simulated, layout):
    events, teams, expected = simulated
    old, last_applied, to_apply = OLD_LAYOUTS[layout]
    for table in ALL_TABLES:  # the store as an earlier version left it
        store.command(f"DROP TABLE {table.name}")
        store.command(old(table).create_sql())
    store.command("DROP TABLE schema_migrations")
    store.command(SCHEMA_MIGRATIONS.create_sql())
    for m in [m for m in MIGRATIONS if m.number <= last_applied]:
        store.command("INSERT INTO schema_migrations (number, name, applied_at) "
                      "VALUES ({n:UInt32}, {name:String}, now64(3))", {"n": m.number, "name": m.name})
    assert all(stored_keys(store, t.name) == defined_keys(old(t)) for t in ALL_TABLES)
    assert any(needs_rebuild(store, t) for t in ALL_TABLES)

    shuffled = list(events)
    random.Random(3).shuffle(shuffled)  # late and out-of-order
    _load(store, shuffled)
    _load(store, events[1_000:3_000], batch=700)  # redelivered duplicates
    before = _final_counts(store)
    assert_all_match(store, teams, expected)

    assert migrate(store) == to_apply
    for table in ALL_TABLES:
        assert stored_keys(store, table.name) == defined_keys(table), table.name
        assert not needs_rebuild(store, table)
    assert _final_counts(store) == before
    assert_all_match(store, teams, expected)
    _load(store, events[:2_000])  # the worker keeps writing into the rebuilt tables: duplicates still fold
    assert _final_counts(store) == before
    assert_all_match(store, teams, expected)
    assert migrate(store) == []


def test_a_period_query_under_final_reads_only_its_partitions(store, simulated):
    events, _, _ = simulated
    assert not any(needs_rebuild(store, t) for t in ALL_TABLES)  # a new store is made partitioned
    _load(store, events)
    total = int(store.query_scalar("SELECT count() FROM recognitions"))
    assert int(store.query_scalar("SELECT uniqExact(toYear(time)) FROM recognitions")) == 2  # 2025 and 2026
    params = {"start": "2025-07-01 00:00:00", "end": "2025-10-01 00:00:00"}
    sql = ("SELECT count() FROM recognitions FINAL WHERE time >= {start:DateTime64(3, 'UTC')} "
           "AND time < {end:DateTime64(3, 'UTC')}")
    in_quarter = int(store.query_scalar(sql, params))
    estimate = store.query_df("EXPLAIN ESTIMATE " + sql, params)
    read = int(estimate["rows"].sum())
    assert 0 < in_quarter <= read < total


def test_one_batch_spanning_more_partitions_than_the_engine_allows_by_default_is_stored(store):
    """An import of a long history writes one batch over many years: 150 partitions in one insert."""
    from datetime import timedelta

    from projections.arrow import arrow_table
    from projections.recognition import RECOGNITIONS

    start = datetime(1901, 1, 15, tzinfo=timezone.utc)
    times = [int((start + timedelta(days=366 * i)).timestamp() * 1000) for i in range(150)]
    n = len(times)
    columns = {"giver": ["p1"] * n, "receiver": ["p2"] * n, "reason": ["helping"] * n, "time": times,
               "source": ["import"] * n, "event_id": [f"e{i}" for i in range(n)]}
    store.insert_arrow(RECOGNITIONS.name, arrow_table(RECOGNITIONS, [columns[c] for c in RECOGNITIONS.column_names]))
    assert int(store.query_scalar("SELECT count() FROM recognitions FINAL")) == n
    assert int(store.query_scalar("SELECT uniqExact(toYear(time)) FROM recognitions")) == n
