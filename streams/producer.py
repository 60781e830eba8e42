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
