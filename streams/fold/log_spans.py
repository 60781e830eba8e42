"""Reading a Kafka log in spans: `[start, end)` offset ranges of one partition, read in bulk.

Replay cuts the log into spans (`plan_spans`, pure) and hands them to its prepare processes,
each of which reads its span itself (`SpanReader`) and prepares it, so the records never pass
through the process that writes. The reader is librdkafka's (confluent-kafka): its fetching
and record parsing run in C threads, which made it the cheapest per record of the three clients, well
ahead of aiokafka and kafka-python's pure-Python parser (figures: docs/benchmarks.md).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping


SPAN_RECORDS = 50_000
"""Records per span: large enough that re-positioning a reader (one fetch round trip) is rare,
small enough that two processes share a 200,000-event log evenly and a span's output stays small."""


@dataclass(frozen=True)
class Span:
    partition: int
    start: int  # first offset to read
    end: int  # first offset not to read

    @property
    def size(self) -> int:
        return self.end - self.start


def plan_spans(start: Mapping[int, int], end: Mapping[int, int], size: int = SPAN_RECORDS) -> list[Span]:
    """Cut every partition's `[start, end)` into spans of at most `size` offsets, partitions
    interleaved (the first span of each partition, then the second ...) so that readers working
    at once read different partitions. Partitions with nothing to read give no span."""
    if size < 1:
        raise ValueError(f"span size must be at least 1, got {size}")
    per_partition = [
        [Span(p, a, min(a + size, end[p])) for a in range(start[p], end[p], size)]
        for p in sorted(end) if start.get(p, end[p]) < end[p]
    ]
    longest = max((len(spans) for spans in per_partition), default=0)
    return [spans[i] for i in range(longest) for spans in per_partition if i < len(spans)]


def spans_since(read_to: Mapping[int, int], low: Mapping[int, int], high: Mapping[int, int],
                size: int = SPAN_RECORDS) -> list[Span]:
    """The spans of what arrived after a first pass read every partition up to `read_to`: from there
    to `high`, and all of a partition added meanwhile (from its `low` watermark)."""
    return plan_spans({**low, **read_to}, high, size)


def _consumer_config(bootstrap_servers: str) -> dict:
    return {
        "bootstrap.servers": bootstrap_servers,
        "group.id": "teamflow-replay",  # required by the client; assign() never joins or commits
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "fetch.max.bytes": 32 * 1024 * 1024,
        "max.partition.fetch.bytes": 16 * 1024 * 1024,
        # prefetch a few MB, not librdkafka's 64 MB: what is queued past a span's end is thrown away
        # when the reader moves to another partition
        "queued.max.messages.kbytes": 4 * 1024,
        # librdkafka's defaults suit a tail-following consumer, not a bulk read of a log that is all
        # there: the fetcher paused 1 s whenever its queue was full and each fetch of a freshly
        # assigned partition waited on the broker (docs/benchmarks.md has the rates before and after)
        "fetch.queue.backoff.ms": 5,
        "fetch.wait.max.ms": 10,
    }


def log_offsets(bootstrap_servers: str, topic: str, timeout: float = 30.0) -> tuple[dict[int, int], dict[int, int]]:
    """Every partition's first and next offset (`low`, `high` watermarks), read from the broker now."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(_consumer_config(bootstrap_servers))
    try:
        meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise RuntimeError(f"topic {topic} does not exist or has no partitions"
                               + (f" ({meta.error.str()})" if meta is not None and meta.error else ""))
        low, high = {}, {}
        for p in sorted(meta.partitions):
            low[p], high[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
        return low, high
    finally:
        consumer.close()


class SpanReader:
    """Reads spans of one topic with one long-lived consumer (assign, never a group)."""

    def __init__(self, bootstrap_servers: str, topic: str, *, stall_seconds: float = 60.0) -> None:
        from confluent_kafka import Consumer

        self.topic, self.stall_seconds = topic, stall_seconds
        self.consumer = Consumer(_consumer_config(bootstrap_servers))
        self._at: tuple[int, int] | None = None  # (partition, next offset) where the consumer stands

    def read(self, span: Span) -> list[tuple]:
        """The span's records as rows in `streams.fold.prepare.Record`'s field order (what `prepare`
        takes; plain tuples, cheaper to build than a `Record` each); offsets the log no longer holds
        (compaction, transaction markers) are simply absent."""
        from confluent_kafka import KafkaError, KafkaException, TopicPartition

        if span.size <= 0:
            return []
        if self._at != (span.partition, span.start):
            self.consumer.assign([TopicPartition(self.topic, span.partition, span.start)])
        records: list[tuple] = []
        append, partition, end = records.append, span.partition, span.end
        last_progress = time.monotonic()
        while True:
            at = records[-1][3] + 1 if records else span.start  # after the last record's offset
            # never consume past the span
            messages = self.consumer.consume(num_messages=max(1, min(10_000, end - at)), timeout=1.0)
            if not messages:
                if time.monotonic() - last_progress > self.stall_seconds:
                    raise TimeoutError(f"{self.topic}[{partition}]: nothing read for {self.stall_seconds:.0f}s "
                                       f"at offset {at} (span ends at {end})")
                continue
            last_progress = time.monotonic()
            for i, m in enumerate(messages):
                error = m.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        if m.offset() >= end:  # the log ends at or after the span: nothing more is coming
                            self._at = None
                            return records
                        continue
                    raise KafkaException(error)
                offset = m.offset()
                if m.partition() != partition or offset < span.start:
                    continue  # fetched for an earlier assignment: not this span's
                if offset >= end:  # compacted away up to here, or read past: the span is complete
                    self._at = None
                    return records
                append((m.value(), m.headers(), partition, offset, None))  # replay sends no dead letter: no key
                if offset == end - 1:
                    # the consumer stands right after the span unless it handed out more (a gap)
                    self._at = (partition, end) if i == len(messages) - 1 else None
                    return records

    def close(self) -> None:
        self.consumer.close()
