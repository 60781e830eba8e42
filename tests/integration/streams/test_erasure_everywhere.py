"""Erasure that erases, on the real broker and chDB: after `teamflow erase`'s steps the person's id
and display name are in no table of the database and no record of any Teamflow topic (events,
dead letters, erasures), read end to end; team-level figures replay the same as before."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from projections import metrics
from streams.dead_letters import DeadLetter, from_headers
from streams.erasure.erasure_list import load_erasures, record_erasure
from streams.erasure.log_scrub import _read, find_names, rewrite_topic, scrub_dead_letters
from streams.fold.log_spans import _consumer_config, log_offsets
from streams.fold.prepare import Record, prepare
from streams.producer import make_producer, send_all
from streams.fold.replay import replay
from streams.erasure.scrubber import Scrubber
from streams.simulator import simulate
from streams.fold.sink import EventSink
from streams.topics import ensure_topics
from support.metric_compare import assert_close

pytestmark = pytest.mark.integration

PERSON = "person-0002"
SECRET = b"erasure-test-secret"


def whole_word(text: str) -> re.Pattern:
    # "Person 2" is also the start of "Person 21": search it as a whole word, bytes and all
    return re.compile(rb"(?<![\w])" + re.escape(text.encode()) + rb"(?![\w])")


def topic_hits(bootstrap: str, topic: str, patterns: list[re.Pattern]) -> int:
    """Records of the topic (key, value or any header) that any pattern matches, read end to end."""
    from confluent_kafka import Consumer

    consumer = Consumer(_consumer_config(bootstrap))
    hits = 0
    try:
        low, high = log_offsets(bootstrap, topic)
        for p in high:
            for m in _read(consumer, topic, p, low[p], high[p]):
                blob = b"\0".join([m.key() or b"", m.value() or b""] +
                                  [k.encode() + b"=" + (v or b"") for k, v in (m.headers() or [])])
                hits += any(pat.search(blob) for pat in patterns)
    finally:
        consumer.close()
    return hits


def table_hits(store, patterns: list[re.Pattern]) -> dict[str, int]:
    """Rows of every table in the database whose text (every column) any pattern matches."""
    found = {}
    for name in store.query_df("SELECT name FROM system.tables WHERE database = currentDatabase()")["name"]:
        df = store.query_df(f"SELECT * FROM {name}")
        n = sum(any(pat.search(b"\0".join(str(v).encode("utf-8", "replace") for v in row)) for pat in patterns)
                for row in df.itertuples(index=False))
        if n:
            found[name] = n
    return found


def test_erase_leaves_nothing_in_tables_or_topics_and_keeps_team_figures(kafka, store):
    bs = kafka.bootstrap_servers
    events, dead, erasures = kafka.unique_topic("ev"), kafka.unique_topic("dl"), kafka.unique_topic("er")
    ensure_topics(bs, [events, dead], 2)
    raw = list(simulate(21, 4_000, start=datetime(2025, 1, 6, tzinfo=timezone.utc)))
    joined = next(json.loads(v) for _, v in raw
                  if json.loads(v)["type"] == "teamflow.roster.member_joined" and json.loads(v)["data"]["person"] == PERSON)
    name, team = joined["data"]["display_name"], joined["data"]["team"]
    # refused input that names the person: an unknown field, and bytes that are not JSON at all
    bad_doc = dict(joined, id="bad-1", data=dict(joined["data"], nickname=name))
    refused = [(team, json.dumps(bad_doc).encode()), (team, f"not json {PERSON} {name}".encode())]
    producer = make_producer(bs)
    send_all(producer, events, raw + refused)
    # the worker's dead-letter path: reject, send with the reason in headers, fold into the table
    rejects = prepare([Record(v, [], 0, i) for i, (_, v) in enumerate(refused)], {}, 0).rejects
    assert len(rejects) == 2
    for r in rejects:
        letter = DeadLetter(raw=r.raw, code=r.code, reason=r.reason, door="kafka", source=r.source, id=r.id,
                            type=r.type)
        send_all(producer, dead, [(team, letter.raw)], headers=letter.headers())
    producer.close()
    from confluent_kafka import Consumer
    c = Consumer(_consumer_config(bs))
    low, high = log_offsets(bs, dead)
    letters = [(from_headers(m.value(), m.headers()), m.partition(), m.offset())
               for p in high for m in _read(c, dead, p, low[p], high[p])]
    c.close()
    EventSink(store).write_dead_letters(letters)

    replay(store, bs, events)
    before = {p: metrics.team_metrics(store, team, p) for p in ("2025-Q1", "2025-Q2")}
    patterns = [whole_word(PERSON), whole_word(name)]
    # the search finds them before: every place is looked at, and the test can fail
    assert {"events", "dead_letters", "roster_changes", "help_given"} <= set(table_hits(store, patterns))
    assert topic_hits(bs, events, patterns) > 0 and topic_hits(bs, dead, patterns) == 2

    # `teamflow erase --person`: record, rewrite the topics, scrub the dead letters, replay
    token, new = record_erasure(bs, erasures, PERSON, SECRET)
    assert new
    names = find_names(bs, events, PERSON)
    assert name in names
    scrubber = Scrubber({PERSON: token}, names)
    ev_report = rewrite_topic(bs, events, scrubber.record)
    dl_report = rewrite_topic(bs, dead, scrubber.record)
    assert ev_report.changed > 0 and dl_report.changed == 2
    assert scrub_dead_letters(store, scrubber) == 2
    replay(store, bs, events, erasures=load_erasures(bs, erasures, SECRET))

    assert table_hits(store, patterns) == {}
    for topic in (events, dead, erasures):
        assert topic_hits(bs, topic, patterns) == 0, topic
    # nothing lost: every record is still in each topic, and both dead letters in the table
    low, high = log_offsets(bs, events)
    assert sum(high[p] - low[p] for p in high) == len(raw) + len(refused)
    assert int(store.query_scalar("SELECT count() FROM dead_letters FINAL")) == 2
    assert int(store.query_scalar("SELECT count() FROM events FINAL")) == len(raw)
    for period, want in before.items():
        assert_close(metrics.team_metrics(store, team, period), want, f"{team}/{period}")
    # their acts remain, under the token
    assert int(store.query_scalar("SELECT count() FROM help_given FINAL WHERE helper = {t:String} "
                                  "OR recipient = {t:String}", {"t": token})) > 0
