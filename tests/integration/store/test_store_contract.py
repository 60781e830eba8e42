"""The store contract: the same tests on chDB (always) and on a ClickHouse server when configured
(TEAMFLOW_TEST_CLICKHOUSE_URL=http://user:pass@host:8123)."""
from __future__ import annotations

import os
import uuid

import pandas as pd
import pytest

from projections import ddl
from projections.migrations import MIGRATIONS, migrate
from projections.store import StoreError, open_store
from support.store_rows import raw_events

pytestmark = pytest.mark.integration

BACKENDS = ["chdb"] + (["server"] if os.environ.get("TEAMFLOW_TEST_CLICKHOUSE_URL") else [])


@pytest.fixture(params=BACKENDS)
def any_store(request, chdb_dir):
    url = os.environ.get("TEAMFLOW_TEST_CLICKHOUSE_URL") if request.param == "server" else None
    s = open_store(url=url, data_dir=str(chdb_dir), database=f"c_{uuid.uuid4().hex[:10]}")
    yield s
    s.command(f"DROP DATABASE IF EXISTS {s.database}")
    s.close()


def test_migrations_create_every_table_once(any_store):
    assert migrate(any_store) == [m.number for m in MIGRATIONS]
    assert migrate(any_store) == []
    tables = set(any_store.query_df("SELECT name FROM system.tables WHERE database = currentDatabase()")["name"])
    assert {ddl.EVENTS.name, ddl.DEAD_LETTERS.name, ddl.SCHEMA_MIGRATIONS.name} <= tables


def test_columns_match_the_single_definition(any_store):
    migrate(any_store)
    for table in (ddl.EVENTS, ddl.DEAD_LETTERS):
        cols = any_store.query_df(
            "SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} "
            "ORDER BY position", {"t": table.name})["name"].tolist()
        assert cols == table.column_names


def test_same_identity_written_twice_is_one_row(any_store):
    migrate(any_store)
    batch = raw_events([dict(id="1", _offset=5), dict(id="2", _offset=6)])
    assert any_store.insert_arrow("events", batch) == 2
    any_store.insert_arrow("events", batch)  # a redelivered batch
    later_copy = raw_events([dict(id="1", _partition=3, _offset=900)])
    any_store.insert_arrow("events", later_copy)  # the same event again, later in the log
    assert any_store.query_scalar("SELECT count() FROM events FINAL") == 2
    kept = any_store.query_rows("SELECT _partition, _offset FROM events FINAL WHERE id = '1'")
    assert kept == [{"_partition": 0, "_offset": 5}], "the first copy's position is kept"


def test_parameters_are_bound_not_pasted(any_store):
    migrate(any_store)
    tricky = "x'); DROP TABLE events; --"
    rows = any_store.query_rows("SELECT {v:String} AS v, {n:UInt32} + 1 AS n", {"v": tricky, "n": 41})
    assert rows == [{"v": tricky, "n": 42}]
    assert any_store.query_scalar("SELECT count() FROM system.tables WHERE database = currentDatabase() "
                                  "AND name = 'events'") == 1


def test_engine_errors_are_store_errors_with_the_engine_message(any_store):
    with pytest.raises(StoreError, match="(?i)unknown|doesn't exist|does not exist"):
        any_store.query_df("SELECT * FROM no_such_table")


def test_identifiers_are_checked(any_store):
    with pytest.raises(ValueError):
        any_store.insert_arrow("events; DROP TABLE x", raw_events([dict(id="1", _offset=1)]))


def test_a_second_process_cannot_open_a_chdb_directory_in_use(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, time; from projections.store import open_store; "
        "s = open_store(url=None, data_dir=sys.argv[1], database='held'); print('open', flush=True); time.sleep(30)"
    )
    first = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "db")], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "open"
        second = subprocess.run([sys.executable, "-c", "import sys; from projections.store import open_store; "
                                 "open_store(url=None, data_dir=sys.argv[1], database='x')", str(tmp_path / "db")],
                                capture_output=True, text=True, timeout=60)
        assert second.returncode != 0
        assert f"in use by pid {first.pid}" in second.stderr
    finally:
        first.kill()
        first.wait()


def test_prepared_arrow_batches_insert_every_table(any_store):
    """The worker's prepare step output (an Arrow table per stored table) goes in through `insert_arrow`
    on every backend."""
    from datetime import datetime, timezone

    from projections.project import TABLES_BY_NAME
    from streams.fold.prepare import Record, prepare
    from streams.simulator import simulate

    migrate(any_store)
    records = [Record(v, [], i % 4, i) for i, (_, v) in enumerate(simulate(8, 3000, start=datetime(2025, 1, 1,
                                                                                             tzinfo=timezone.utc)))]
    prepared = prepare(records, {}, 1_767_225_600_000)
    for table, arrow_table in prepared.tables.items():
        any_store.insert_arrow(table, arrow_table)
        any_store.insert_arrow(table, arrow_table)  # a redelivered batch changes nothing
    for table, rows in prepared.rows.items():
        name = TABLES_BY_NAME[table].name if table in TABLES_BY_NAME else table
        assert any_store.query_scalar(f"SELECT count() FROM {name} FINAL") == rows, table
    assert any_store.query_scalar("SELECT max(_ingested_at) FROM events") == pd.Timestamp(1_767_225_600_000,
                                                                                            unit="ms", tz="UTC")
