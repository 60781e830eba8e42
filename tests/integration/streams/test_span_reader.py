"""Reading spans of a real broker's log with `SpanReader`: exactly the span's records, in offset order,
with their headers, whether the log ends at the span's end or goes on past it."""
from __future__ import annotations

import pytest

from streams.fold.log_spans import Span, SpanReader, log_offsets, plan_spans
from streams.fold.prepare import Record
from streams.producer import make_producer
from streams.topics import ensure_topics

pytestmark = pytest.mark.integration


@pytest.fixture
def two_partitions(kafka):
    topic = kafka.unique_topic("spans")
    ensure_topics(kafka.bootstrap_servers, [topic], 2)
    producer = make_producer(kafka.bootstrap_servers)
    sent = {0: [], 1: []}
    for i in range(70):
        partition = 0 if i < 50 else 1
        value = None if i == 7 else f"v{i}".encode()  # a tombstone keeps its offset
        headers = [("ce_note", f"h{i}".encode())] if i % 10 == 0 else []
        producer.send(topic, key=b"k", value=value, headers=headers, partition=partition)
        sent[partition].append((value, headers))
    producer.flush()
    producer.close()
    return topic, sent


def test_offsets_then_spans_read_exactly_their_records(kafka, two_partitions):
    topic, sent = two_partitions
    low, high = log_offsets(kafka.bootstrap_servers, topic)
    assert (low, high) == ({0: 0, 1: 0}, {0: 50, 1: 20})
    reader = SpanReader(kafka.bootstrap_servers, topic, stall_seconds=20)
    try:
        got = {0: [], 1: []}
        spans = plan_spans(low, high, size=15)
        for span in spans:
            records = [Record(*row) for row in reader.read(span)]  # rows in Record's field order
            assert [r.offset for r in records] == list(range(span.start, span.end)), span
            assert all(r.partition == span.partition for r in records)
            got[span.partition].extend(records)
        for p in (0, 1):
            assert [(r.value, list(r.headers or [])) for r in got[p]] == sent[p]
        # out of order and mid-partition: a span the reader is not standing at, then one it is
        assert [Record(*r).offset for r in reader.read(Span(0, 3, 6))] == [3, 4, 5]
        assert [Record(*r).value for r in reader.read(Span(0, 6, 9))] == [b"v6", None, b"v8"]
        assert reader.read(Span(1, 5, 5)) == []
    finally:
        reader.close()


def test_a_span_past_the_end_of_the_log_fails_after_the_stall_time(kafka, two_partitions):
    topic, _ = two_partitions
    reader = SpanReader(kafka.bootstrap_servers, topic, stall_seconds=2)
    try:
        with pytest.raises(TimeoutError, match=r"nothing read for 2s at offset 20 \(span ends at 25\)"):
            reader.read(Span(1, 10, 25))
    finally:
        reader.close()


def test_an_unknown_topic_is_refused_by_name(kafka):
    with pytest.raises(RuntimeError, match="topic no-such-topic-here does not exist"):
        log_offsets(kafka.bootstrap_servers, "no-such-topic-here", timeout=10)
