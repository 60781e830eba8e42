"""Producing to Kafka with kafka-python: acks from every in-sync replica, idempotence on."""
from __future__ import annotations

from typing import Iterable

from kafka import KafkaProducer


def make_producer(bootstrap_servers: str, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        compression_type=None,
        max_block_ms=10_000,
        request_timeout_ms=10_000,
    )
    config.update(overrides)
    return KafkaProducer(**config)


def send_all(producer: KafkaProducer, topic: str, records: Iterable[tuple[str | bytes | None, bytes]],
             headers: list[tuple[str, bytes]] | None = None) -> int:
    """Send (key, value) records, wait until the broker acknowledged all of them; returns the count."""
    futures = []
    for key, value in records:
        k = key.encode() if isinstance(key, str) else key
        futures.append(producer.send(topic, key=k, value=value, headers=headers))
    producer.flush()
    for f in futures:
        f.get(timeout=30)  # raises if any record was not acknowledged
    return len(futures)


def send_chunked(producer: KafkaProducer, topic: str, records: Iterable[tuple[str | bytes | None, bytes]],
                 limit: int, *, chunk: int = 10_000, progress=None) -> int:
    """Send up to `limit` records from an iterator in acknowledged chunks; `progress(sent)` after each.

    Stops after `limit` records without reading further, so the caller can go on with the rest.
    """
    sent, batch = 0, []
    for record in records:
        batch.append(record)
        if len(batch) == chunk or sent + len(batch) == limit:
            sent += send_all(producer, topic, batch)
            batch = []
            if progress:
                progress(sent)
            if sent >= limit:
                break
    if batch:
        sent += send_all(producer, topic, batch)
        if progress:
            progress(sent)
    return sent
