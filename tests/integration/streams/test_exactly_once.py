"""Exactly once in effect, on the real broker and a real worker process:

a simulated history of 100,000 events with duplicates and bad events, a SIGKILL of the worker
mid-stream and a restart, then: every metric equals the plain-Python reference computed from the
same events, and `teamflow replay` rebuilds tables with the same content.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from projections import ddl
from projections.project import ALL_TABLES
from projections.store import open_store
from streams.producer import make_producer, send_all
from streams.simulator import simulate
from support.metric_compare import assert_all_match, assert_close
from support.processes import WorkerProcess
from support.reference_metrics import index_events, reference_team_metrics, reference_teams
from support.services import REPO

pytestmark = pytest.mark.integration

SEED = 4242
N_EVENTS = 100_000
START = datetime(2025, 4, 1, tzinfo=timezone.utc)
PERIODS = ["2025-Q3", "2025-11"]
BAD = [b"{not json", b'{"specversion":"1.0","id":"x1","source":"s","type":"teamflow.help.given",'
       b'"time":"2025-05-01T10:00:00Z","data":{"help_id":"h","helper":"a","recipient":"b","kind":"advice",'
       b'"minutes":"ten"}}']


def table_fingerprints(store) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row (FINAL), per table; ingestion times excluded."""
    out = {}
    for table in [ddl.EVENTS, *ALL_TABLES]:
        cols = [c for c in table.column_names if c != "_ingested_at"]
        row = store.query_df(f"SELECT count() AS n, groupBitXor(cityHash64({', '.join(cols)})) AS h "
                             f"FROM {table.name} FINAL").iloc[0]
        out[table.name] = (int(row["n"]), int(row["h"]))
    return out


def run_teamflow(worker: WorkerProcess, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "teamflow", *args], cwd=REPO, env=worker.env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def history():
    raw = list(simulate(SEED, N_EVENTS, start=START))
    dicts = [json.loads(v) for _, v in raw]
    index = index_events(dicts)
    teams = reference_teams(dicts)
    expected = {(t, p): reference_team_metrics(dicts, t, p, index) for t in teams for p in PERIODS}
    return raw, teams, expected


def test_kill_restart_duplicates_and_replay_change_nothing(kafka, tmp_path, history):
    raw, teams, expected = history
    worker = WorkerProcess(kafka.bootstrap_servers, tmp_path / "worker")
    producer = make_producer(kafka.bootstrap_servers, linger_ms=20, batch_size=512 * 1024)
    from streams.topics import ensure_topics

    ensure_topics(kafka.bootstrap_servers, [worker.events_topic, worker.dead_letter_topic], 4)
    send_all(producer, worker.events_topic, raw)
    send_all(producer, worker.events_topic, raw[10_000:15_000])  # a producer retrying a slice
    send_all(producer, worker.events_topic, [("bad", b) for b in BAD])

    worker.start()
    worker.wait_for(lambda s: s["events"] >= 30_000, timeout=300, what="a third of the events")
    assert worker.kill() == -9  # SIGKILL: no flush, no commit, mid-stream
    worker.start()  # restarts from the last committed offsets: some batches are delivered again
    send_all(producer, worker.events_topic, raw[:3_000])  # and a late redelivery after the restart
    producer.close()
    status = worker.wait_for(lambda s: s["events"] >= N_EVENTS and s["dead_letters"] >= len(BAD),
                             timeout=600, what="every event")
    assert worker.stop() == 0, worker.log_tail()
    assert status == {**status, "events": N_EVENTS, "dead_letters": len(BAD)}

    # The command line reads the same queries: one team through `teamflow metrics --json`.
    team, period = teams[0], PERIODS[0]
    printed = json.loads(run_teamflow(worker, "metrics", "--team", team, "--period", period, "--json").stdout)
    assert_close(printed, json.loads(json.dumps(expected[(team, period)])), f"cli {team}/{period}")

    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        assert_all_match(store, teams, expected)
        reasons = store.query_df("SELECT door, code, reason FROM dead_letters FINAL ORDER BY code")
        assert list(reasons["code"]) == ["invalid_data", "malformed_json"]
        assert "data.minutes" in reasons["reason"].iloc[0] and set(reasons["door"]) == {"kafka"}
        before = table_fingerprints(store)
    finally:
        store.close()
    assert before["events"][0] == N_EVENTS

    replayed = run_teamflow(worker, "replay")
    assert f"replayed {N_EVENTS + 5_000 + 3_000:,} events" in replayed.stdout, replayed.stdout
    assert "%" in replayed.stderr  # progress was shown

    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        assert table_fingerprints(store) == before
        assert_all_match(store, teams, expected)
        leftovers = store.query_df("SELECT name FROM system.tables WHERE database = currentDatabase() "
                                   "AND name LIKE '%replay%'")
        assert leftovers.empty
    finally:
        store.close()
