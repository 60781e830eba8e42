"""`teamflow simulate`: the same seed gives the same bytes; produced events land on the real topic."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kafka import KafkaConsumer

from schemas import Event, decode
from support.services import REPO

pytestmark = pytest.mark.integration


def run(*args: str, env: dict | None = None, command: str = "simulate") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "teamflow", command, *args], cwd=REPO, capture_output=True,
                          env=env or dict(os.environ), timeout=300, check=True)


def topic_records(kafka, topic: str) -> list:
    consumer = KafkaConsumer(topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest",
                             consumer_timeout_ms=5000, group_id=None)
    records = list(consumer)
    consumer.close()
    return records


def topic_env(kafka, topic: str) -> dict:
    return {**os.environ, "TEAMFLOW_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "TEAMFLOW_EVENTS_TOPIC": topic,
            "TEAMFLOW_DEAD_LETTER_TOPIC": topic + "-dl"}


def test_same_seed_same_bytes_and_every_event_valid(tmp_path):
    a = run("--events", "3000", "--seed", "5", "--start", "2025-03-01", "--out", "-").stdout
    b = run("--events", "3000", "--seed", "5", "--start", "2025-03-01", "--out", "-").stdout
    other = run("--events", "3000", "--seed", "6", "--start", "2025-03-01", "--out", "-").stdout
    assert a == b and a != other
    lines = a.splitlines()
    assert len(lines) == 3000
    assert all(isinstance(decode(line), Event) for line in lines)


def test_produces_to_the_events_topic(kafka):
    topic = kafka.unique_topic("sim")
    done = run("--events", "2500", "--seed", "5", env=topic_env(kafka, topic))
    assert b"produced 2,500 events" in done.stdout and b"100.0%" in done.stderr
    records = topic_records(kafka, topic)
    assert len(records) == 2500
    assert {r.key.decode() for r in records} <= {"atlas", "borealis", "cascade", "delta"}, "keyed by team"


def test_demo_history_ends_now_and_a_restart_continues_with_new_events(kafka):
    """The history ends at the run's start, the trickle is stamped as it is sent, and a second run
    neither re-sends the history nor repeats an event: it continues the same stream."""
    import json
    from datetime import datetime, timezone

    topic = kafka.unique_topic("demo")
    before = datetime.now(timezone.utc).replace(microsecond=0)
    first = run("--backlog", "2500", "--count", "4", "--rate", "50", env=topic_env(kafka, topic), command="demo")
    assert b"new demo anchored now" in first.stderr
    events = [json.loads(r.value) for r in topic_records(kafka, topic)]
    history = [e for e in events if not e["time"] >= before.strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert 2000 < len(history) <= 2500 and len(events) == len(history) + 4
    assert f"demo producer stopped after {len(events)} events".encode() in first.stderr
    times = sorted(e["time"] for e in history)
    assert times[-1] <= datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = datetime.fromisoformat(times[-1].replace("Z", "+00:00"))
    assert (before - newest).days <= 3, "the history reaches the present"
    second = run("--backlog", "2500", "--count", "5", "--rate", "50", env=topic_env(kafka, topic), command="demo")
    assert b"continuing from there" in second.stderr and b"demo producer stopped after 5 events" in second.stderr
    again = [json.loads(r.value) for r in topic_records(kafka, topic)]
    ids = [(e["source"], e["id"]) for e in again]
    assert len(ids) == len(set(ids)) == len(events) + 5, "new events only"
    assert {e["source"] for e in again} == {events[0]["source"]}, "the same stream, continued"
    assert max(int(e["id"].removeprefix("demo-")) for e in again) == len(again) - 1
    assert all(isinstance(decode(json.dumps(e).encode()), Event) for e in again)
