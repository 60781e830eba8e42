"""The fault suite: faults injected into a real worker process on the real broker and chDB, and then
exact counting. Each test produces a known set of events (with duplicates and refused ones), injects
its fault mid-run, lets the worker recover by itself, and checks what was stored against what was
sent: every distinct event once (lost = 0, doubled = 0), every refused one as a dead letter, the same
figures as the plain-Python reference. The absence of errors proves nothing here; counts do.

Figures (restart-to-folding seconds, time spent retrying) are printed and, when
TEAMFLOW_FAULT_FIGURES names a file, appended to it as JSON lines (docs/reliability.md).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import time
from datetime import datetime, timezone

import pytest

from streams.producer import make_producer, send_all
from streams.simulator import simulate
from streams.topics import ensure_topics
from support.faults import (OwnBroker, can_mount, fill, health, immutable, small_disk, stored_counts,
                            table_directories, wait_health)
from support.metric_compare import assert_all_match
from support.processes import WorkerProcess
from support.reference_metrics import index_events, reference_team_metrics, reference_teams

pytestmark = [pytest.mark.integration, pytest.mark.faults]

SEED = 777
N_EVENTS = 20_000
START = datetime(2025, 4, 1, tzinfo=timezone.utc)
PERIOD = "2025-Q3"
BAD = [b"{not json", b'{"specversion":"1.0","id":"f1","source":"//faults","type":"teamflow.help.given",'
       b'"time":"2025-05-01T10:00:00Z","data":{"help_id":"h","helper":"a","recipient":"b","kind":"advice",'
       b'"minutes":"ten"}}']

needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chattr"),
                                reason="mounting a small disk and chattr need root")


def record(figure: dict) -> None:
    print(f"\n[fault figures] {json.dumps(figure)}")
    path = os.environ.get("TEAMFLOW_FAULT_FIGURES")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(figure) + "\n")


@pytest.fixture(scope="module")
def history():
    raw = list(simulate(SEED, N_EVENTS, start=START))
    dicts = [json.loads(v) for _, v in raw]
    teams = reference_teams(dicts)
    index = index_events(dicts)
    return raw, teams, {(t, PERIOD): reference_team_metrics(dicts, t, PERIOD, index) for t in teams}


def _worker(bootstrap: str, data_dir, **env) -> WorkerProcess:
    worker = WorkerProcess(bootstrap, data_dir, extra_env={"TEAMFLOW_BATCH_SIZE": "500", **env})
    ensure_topics(bootstrap, [worker.events_topic, worker.dead_letter_topic], 4)
    return worker


def _produce(bootstrap: str, topic: str, records) -> int:
    producer = make_producer(bootstrap, linger_ms=20, batch_size=512 * 1024)
    try:
        return send_all(producer, topic, records)
    finally:
        producer.close()


def _assert_exact(worker: WorkerProcess, history, scenario: str, **figures) -> dict:
    raw, teams, expected = history
    counts = stored_counts(worker)
    sent = len(raw)
    result = {"fault": scenario, "sent": sent, "stored": counts["distinct_ids"],
              "lost": sent - counts["distinct_ids"], "doubled": counts["final"] - counts["distinct_ids"],
              "dead_letters": counts["dead_letters"], **figures}
    record(result)
    assert counts["final"] == sent and counts["distinct_ids"] == sent, result
    assert counts["dead_letters"] == len(BAD), result
    from projections.store import open_store

    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        assert_all_match(store, teams, expected)
    finally:
        store.close()
    return result


def _wait_events(worker: WorkerProcess, n: int, timeout: float = 300) -> dict:
    return worker.wait_for(lambda s: s["events"] >= n, timeout=timeout, what=f"{n} events")


@needs_root
def test_store_full_mid_run_commits_nothing_and_recovers_when_space_is_freed(kafka, tmp_path, history):
    raw = history[0]
    if not can_mount():
        pytest.skip("this machine does not allow mounting a tmpfs")
    half = len(raw) // 2
    worker = _worker(kafka.bootstrap_servers, tmp_path / "worker")
    with small_disk(worker.data_dir / "clickhouse", 256) as disk:
        _produce(kafka.bootstrap_servers, worker.events_topic, raw[:half])
        worker.start()
        _wait_events(worker, half)
        filler = fill(disk)
        _produce(kafka.bootstrap_servers, worker.events_topic, raw[half:] + raw[:500] + [("bad", b) for b in BAD])
        failing = wait_health(worker, "retrying", timeout=120)
        assert "store write failed" in failing["worker"]["detail"] and failing["healthy"] is False
        stuck = worker.status()["events"]
        time.sleep(5)  # the fault lasts: nothing is stored, nothing committed
        assert worker.status()["events"] == stuck < len(raw)
        retried = health(worker)["worker"]["retries"]
        freed = time.monotonic()
        shutil.rmtree(filler)
        _wait_events(worker, len(raw), timeout=300)
        recovered = time.monotonic() - freed
        wait_health(worker, "folding", timeout=60)
        worker.wait_for(lambda s: s["dead_letters"] >= len(BAD), what="the dead letters")
        assert worker.stop() == 0, worker.log_tail()
        log = worker.log_path.read_text(errors="replace")
        assert "failed (chDB:" in log and "NOT_ENOUGH_SPACE" in log
        assert "refused by the store" not in log  # a store fault is retried, never split or dead-lettered
        _assert_exact(worker, history, "store full (256 MB tmpfs filled mid-run), then space freed",
                      stored_while_full=stuck, failed_attempts=retried, seconds_to_catch_up_after_freeing=round(recovered, 1))


@needs_root
def test_store_read_only_mid_run_commits_nothing_and_recovers(kafka, tmp_path, history):
    raw = history[0]
    half = len(raw) // 2
    worker = _worker(kafka.bootstrap_servers, tmp_path / "worker")
    _produce(kafka.bootstrap_servers, worker.events_topic, raw[:half])
    worker.start()
    _wait_events(worker, half)
    directories = table_directories(worker.data_dir / "clickhouse")
    assert len(directories) >= 10  # every table of the database
    with immutable(directories):
        _produce(kafka.bootstrap_servers, worker.events_topic, raw[half:] + [("bad", b) for b in BAD])
        failing = wait_health(worker, "retrying", timeout=120)
        assert "store write failed" in failing["worker"]["detail"]
        stuck = worker.status()["events"]
        time.sleep(10)
        assert worker.status()["events"] == stuck < len(raw)
    released = time.monotonic()
    _wait_events(worker, len(raw))
    recovered = time.monotonic() - released
    worker.wait_for(lambda s: s["dead_letters"] >= len(BAD), what="the dead letters")
    wait_health(worker, "folding", timeout=60)
    assert worker.stop() == 0, worker.log_tail()
    assert "refused by the store" not in worker.log_path.read_text(errors="replace")  # retried, never split
    _assert_exact(worker, history, "store read-only (table directories immutable for 10 s)",
                  stored_while_read_only=stuck, seconds_to_catch_up_after_release=round(recovered, 1))


def test_worker_sigkilled_at_random_moments_restarts_in_seconds(kafka, tmp_path, history):
    raw = history[0]
    rng = random.Random(11)
    worker = _worker(kafka.bootstrap_servers, tmp_path / "worker", TEAMFLOW_BATCH_SIZE="200")
    _produce(kafka.bootstrap_servers, worker.events_topic,
             raw + raw[5_000:6_000] + [("bad", b) for b in BAD])
    worker.start()
    restarts = []
    for _ in range(3):
        time.sleep(rng.uniform(0.5, 3.0))
        before = worker.status()["events"]
        if before >= len(raw):
            break
        assert worker.kill() == -9
        started = time.monotonic()
        worker.start()
        after_kill = worker.status()["events"]
        worker.wait_for(lambda s, n=after_kill: s["events"] > n, timeout=120, what="folding after the restart")
        restarts.append(round(time.monotonic() - started, 1))
    assert restarts, "the worker finished before it could be killed; make the history longer"
    _wait_events(worker, len(raw))
    worker.wait_for(lambda s: s["dead_letters"] >= len(BAD), what="the dead letters")
    assert worker.stop() == 0, worker.log_tail()
    _assert_exact(worker, history, "worker SIGKILLed at random moments, restarted",
                  kills=len(restarts), restart_to_folding_seconds=restarts)
    # Without static membership the restarted worker waited out the dead member's session (55-88 s).
    assert max(restarts) < 45, restarts


def test_broker_sigkilled_mid_run_and_restarted(tmp_path, history):
    raw = history[0]
    broker = OwnBroker(tmp_path / "broker").start()
    try:
        worker = _worker(broker.bootstrap_servers, tmp_path / "worker")
        _produce(broker.bootstrap_servers, worker.events_topic, raw + [("bad", b) for b in BAD])
        worker.start()
        _wait_events(worker, len(raw) // 4)
        broker.kill()
        down = time.monotonic()
        time.sleep(3)
        broker.start()
        _wait_events(worker, len(raw), timeout=300)
        recovered = time.monotonic() - down
        worker.wait_for(lambda s: s["dead_letters"] >= len(BAD), what="the dead letters")
        assert worker.stop() == 0, worker.log_tail()
        _assert_exact(worker, history, "broker SIGKILLed mid-run, restarted after 3 s",
                      seconds_from_kill_to_all_stored=round(recovered, 1))
    finally:
        broker.stop()
