"""`replay` on the real broker into chDB: every table, or one named projection alone."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from projections.project import PROJECTION_TABLES
from schemas import decode
from streams.producer import make_producer, send_all
from streams.fold.replay import replay, tables_for
from streams.simulator import simulate
from streams.topics import ensure_topics

pytestmark = pytest.mark.integration

N = 6_000


def counts(store, tables) -> dict[str, int]:
    return {t.name: int(store.query_scalar(f"SELECT count() FROM {t.name} FINAL")) for t in tables}


@pytest.fixture
def topic_with_history(kafka):
    topic = kafka.unique_topic("replay")
    ensure_topics(kafka.bootstrap_servers, [topic], 3)
    raw = list(simulate(99, N, start=datetime(2025, 2, 1, tzinfo=timezone.utc)))
    producer = make_producer(kafka.bootstrap_servers)
    send_all(producer, topic, raw + [("x", b"{broken")])
    producer.close()
    return topic, raw


def test_replay_rebuilds_everything_then_one_projection_alone(kafka, store, topic_with_history):
    topic, raw = topic_with_history
    seen = []
    report = replay(store, kafka.bootstrap_servers, topic, progress=lambda done, total, s: seen.append((done, total)))
    assert (report.events, report.rejected) == (N, 1)
    assert seen and seen[-1] == (N + 1, N + 1), "progress reaches the end of the log"
    everything = tables_for(None)
    full = counts(store, everything)
    assert full["events"] == N
    # Independent expectation: knowledge rows straight from the pure encoder.
    from projections.project import Positioned, encode

    direct = encode([Positioned(decode(v), 0, i) for i, (_, v) in enumerate(raw)], 0)
    for table in PROJECTION_TABLES["knowledge"]:
        assert full[table.name] == direct[table.name].num_rows > 0

    # A projection "added later" or broken: empty it, rebuild only it, the others stay as they were.
    for table in PROJECTION_TABLES["knowledge"]:
        store.command(f"TRUNCATE TABLE {table.name}")
    store.command("TRUNCATE TABLE help_given")  # not part of the knowledge projection
    report = replay(store, kafka.bootstrap_servers, topic, projections=["knowledge"])
    assert report.tables == [t.name for t in PROJECTION_TABLES["knowledge"]]
    after = counts(store, everything)
    assert after == {**full, "help_given": 0}


def test_unknown_projection_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown projection 'nope'; known: events, roster"):
        tables_for(["nope"])
