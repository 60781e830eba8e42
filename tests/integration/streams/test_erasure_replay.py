"""Right to be forgotten on the real broker and chDB: the person disappears from every table, the
team-level history stays the same, and the live write path anonymises new events too."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from projections import metrics
from projections.rows import epoch_ms
from projections.project import ALL_TABLES
from streams.erasure.erasure_list import load_erasures, record_erasure
from projections.erasure import person_key
from streams.producer import make_producer, send_all
from streams.fold.replay import replay
from streams.simulator import simulate
from streams.fold.prepare import Record, prepare
from streams.fold.sink import EventSink
from streams.topics import ensure_topics
from support.metric_compare import assert_close

pytestmark = pytest.mark.integration

PERSON, NAME = "person-0002", "Person 2"


def occurrences(store, text: str) -> dict[str, int]:
    """Rows of each table in which any String column contains `text`."""
    found = {}
    for table in [t for t in ALL_TABLES] + [type("T", (), {"name": "events", "columns": (("data", "String"),
                                                                                          ("subject", "String"))})]:
        cols = [c for c, typ in table.columns if typ == "String"]
        if not cols:
            continue
        cond = " OR ".join(f"position({c}, {{t:String}}) > 0" for c in cols)
        n = int(store.query_scalar(f"SELECT count() FROM {table.name} FINAL WHERE {cond}", {"t": text}))
        if n:
            found[table.name] = n
    return found


def named(store) -> int:
    """Places the person's display name is stored: roster rows and raw event payloads."""
    return int(store.query_scalar("SELECT count() FROM roster_changes FINAL WHERE display_name = {n:String}",
                                  {"n": NAME})) + \
        int(store.query_scalar("SELECT count() FROM events FINAL WHERE position(data, {q:String}) > 0",
                               {"q": json.dumps(NAME)}))


def test_erase_rebuilds_without_the_person_and_keeps_team_history(kafka, store):
    topic, erasures_topic = kafka.unique_topic("ev"), kafka.unique_topic("erasures")
    ensure_topics(kafka.bootstrap_servers, [topic], 2)
    raw = list(simulate(21, 5_000, start=datetime(2025, 1, 6, tzinfo=timezone.utc)))
    producer = make_producer(kafka.bootstrap_servers)
    send_all(producer, topic, raw)
    producer.close()
    team = next(json.loads(v)["data"]["team"] for _, v in raw if json.loads(v)["data"].get("person") == PERSON)

    replay(store, kafka.bootstrap_servers, topic)
    before = {p: metrics.team_metrics(store, team, p) for p in ("2025-Q1", "2025-Q2")}
    assert occurrences(store, PERSON).get("help_given", 0) > 0 and named(store) > 0

    secret = b"test-secret"
    assert not load_erasures(kafka.bootstrap_servers, erasures_topic, secret)
    token, new = record_erasure(kafka.bootstrap_servers, erasures_topic, PERSON, secret)
    assert new and token.startswith("erased-")
    assert record_erasure(kafka.bootstrap_servers, erasures_topic, PERSON, secret) == (token, False)
    tokens = load_erasures(kafka.bootstrap_servers, erasures_topic, secret)
    assert tokens.tokens == {person_key(secret, PERSON): token} and tokens[PERSON] == token
    assert PERSON not in repr(tokens.tokens), "the list holds no clear id"

    replay(store, kafka.bootstrap_servers, topic, erasures=tokens)
    assert occurrences(store, PERSON) == {} and named(store) == 0
    assert occurrences(store, token).get("help_given", 0) > 0, "their acts remain, anonymous"
    for period, want in before.items():
        assert_close(metrics.team_metrics(store, team, period), want, f"{team}/{period}")

    # The live path: a new event about the person is anonymised before it is written.
    late = next(v for _, v in raw if json.loads(v)["data"].get("helper") == PERSON)
    sink = EventSink(store)
    sink.write_prepared(prepare([Record(late, [], 0, 10**9)], tokens, epoch_ms(datetime.now(timezone.utc))))
    assert sink.events_written == 1, "the event was written"
    assert occurrences(store, PERSON) == {}
