"""Removing an erased person from what Teamflow keeps outside the projections: the Kafka topics
(events, dead letters) and the `dead_letters` table.

Kafka cannot change a record in place, so a partition that mentions the person is rewritten: every
record from the partition's start to its current end is appended again (key, headers and timestamp
kept; the person's id replaced by their token, their names by "erased", `streams/erasure/scrubber.py`),
then DeleteRecords moves the partition's start past the old records, which the broker then no
longer serves. Records produced meanwhile are checked too: a pass repeats while the tail still
names the person. Partitions that never mention them are left alone. Consumers (the worker, replay)
read the copies as new records; every table is keyed by what a row describes, so that changes no
figure (docs/architecture.md, Erasure).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from ..fold.log_spans import _consumer_config, log_offsets

log = logging.getLogger(__name__)

Transform = Callable[[bytes | None, bytes | None, list | None], "tuple | None"]


@dataclass
class RewriteReport:
    partitions: int = 0  # rewritten
    copied: int = 0  # records appended again
    changed: int = 0  # of which without the person
    seconds: float = 0.0


def _read(consumer, topic: str, partition: int, start: int, end: int) -> Iterator:
    from confluent_kafka import KafkaError, KafkaException, TopicPartition

    if start >= end:
        return
    consumer.assign([TopicPartition(topic, partition, start)])
    stalled = time.monotonic()
    while True:
        messages = consumer.consume(num_messages=10_000, timeout=1.0)
        if not messages and time.monotonic() - stalled > 60:
            raise TimeoutError(f"{topic}[{partition}]: nothing read for 60 s before offset {end}")
        for m in messages:
            if m.error() is not None:
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= end:
                        return
                    continue
                raise KafkaException(m.error())
            stalled = time.monotonic()
            if m.partition() != partition or m.offset() < start:
                continue
            if m.offset() >= end:
                return
            yield m
            if m.offset() == end - 1:
                return


def rewrite_topic(bootstrap_servers: str, topic: str, transform: Transform, *, max_passes: int = 5) -> RewriteReport:
    """Rewrite every partition in which `transform(key, value, headers)` changes a record (it returns
    the new (key, value, headers), or None for a record to keep as it is)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient

    started = time.monotonic()
    report = RewriteReport()
    consumer = Consumer(_consumer_config(bootstrap_servers))
    producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 20})
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    failures: list = []

    def delivered(err, _msg) -> None:
        if err is not None:
            failures.append(err)

    try:
        low, high = log_offsets(bootstrap_servers, topic)
        for p in sorted(high):
            start, end = low[p], high[p]
            for _ in range(max_passes):
                if not any(transform(m.key(), m.value(), m.headers()) is not None
                           for m in _read(consumer, topic, p, start, end)):
                    break
                report.partitions += 1
                for m in _read(consumer, topic, p, start, end):
                    new = transform(m.key(), m.value(), m.headers())
                    key, value, headers = (m.key(), m.value(), m.headers()) if new is None else new
                    kind, ts = m.timestamp()
                    while True:
                        try:
                            producer.produce(topic, value=value, key=key, partition=p, headers=headers or None,
                                             timestamp=ts if kind else 0, on_delivery=delivered)
                            break
                        except BufferError:
                            producer.poll(0.1)
                    producer.poll(0)
                    report.copied += 1
                    report.changed += new is not None
                if producer.flush(60) or failures:
                    raise RuntimeError(f"{topic}[{p}]: copies not acknowledged ({failures[:1] or 'timeout'}); "
                                       "nothing deleted, run the erasure again")
                for fut in admin.delete_records([TopicPartition(topic, p, end)], request_timeout=30).values():
                    fut.result()
                # the copies and whatever arrived meanwhile: check again, from the old end
                start, end = end, log_offsets(bootstrap_servers, topic)[1][p]
            else:
                raise RuntimeError(f"{topic}[{p}] still names the person after {max_passes} passes")
    finally:
        consumer.close()
    report.seconds = time.monotonic() - started
    log.info("rewrote %d partition(s) of %s: %d records copied, %d without the person, in %.1fs",
             report.partitions, topic, report.copied, report.changed, report.seconds)
    return report


def find_names(bootstrap_servers: str, topic: str, person: str) -> set[str]:
    """The display names the log gives the person (roster events), read from the whole topic."""
    from confluent_kafka import Consumer

    from .scrubber import names_in

    names: set[str] = set()
    consumer = Consumer(_consumer_config(bootstrap_servers))
    try:
        low, high = log_offsets(bootstrap_servers, topic)
        for p in sorted(high):
            for m in _read(consumer, topic, p, low[p], high[p]):
                names |= names_in(m.value(), person)
    finally:
        consumer.close()
    return names


def scrub_dead_letters(store, scrubber) -> int:
    """Replace the person in the `dead_letters` table (raw payload, reason, source, id, type): each
    row that names them is written again scrubbed, under the fingerprint the dead-letter fold gives
    the scrubbed copy in the rewritten topic, and the old row deleted. Returns rows changed."""
    from datetime import datetime, timezone

    from projections import ddl

    from ..dead_letters import DeadLetter
    from ..fold.sink import dead_letter_table

    needles = [n.decode("utf-8") for n in scrubber._needles] + ["\\u"]
    cols = ("raw", "reason", "source", "id", "type")
    cond = " OR ".join(f"multiSearchAny({c}, {{n:Array(String)}})" for c in cols)
    rows = store.query_rows(f"SELECT * FROM {ddl.DEAD_LETTERS.name} FINAL WHERE {cond}", {"n": needles})
    letters, old = [], []
    for r in rows:
        # the same scrub as the topic's value and headers get, so fingerprints agree with the fold's
        fixed = {c: (scrubber.value(r[c].encode("utf-8")) or r[c].encode("utf-8")).decode("utf-8", "replace")
                 for c in cols}
        if all(fixed[c] == r[c] for c in cols):
            continue
        received = r["received_at"].to_pydatetime() if hasattr(r["received_at"], "to_pydatetime") else r["received_at"]
        letters.append((DeadLetter(raw=fixed["raw"].encode("utf-8"), code=r["code"], reason=fixed["reason"],
                                   door=r["door"], source=fixed["source"], id=fixed["id"], type=fixed["type"],
                                   received_at=received), int(r["_partition"]), int(r["_offset"])))
        old.append(r["fingerprint"])
    if letters:
        store.insert_arrow(ddl.DEAD_LETTERS.name, dead_letter_table(letters, datetime.now(timezone.utc)))
        store.command(f"ALTER TABLE {ddl.DEAD_LETTERS.name} DELETE WHERE fingerprint IN {{f:Array(String)}} "
                      "SETTINGS mutations_sync = 2", {"f": old})
    return len(letters)
