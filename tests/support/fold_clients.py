"""A `Fold` on a real broker for tests of its steps: its own consumer group on the events topic, dead
letters sent by a producer to their topic, and a reader of what landed there."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from streams.fold.loop import Fold
from streams.fold.prepare import Preparer
from streams.fold.sink import EventSink


@asynccontextmanager
async def fold_on(bootstrap: str, store: Any, events_topic: str, dead_topic: str, *,
                  batch_size: int) -> AsyncIterator[tuple[Fold, Any]]:
    """(fold, producer): the fold prepares inline and writes through an `EventSink` of `store`; the
    producer (acks from all replicas) also serves the test to send events."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    consumer = AIOKafkaConsumer(events_topic, bootstrap_servers=bootstrap, group_id=f"g-{uuid.uuid4().hex[:8]}",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()

    async def send(key, value, headers):
        return await producer.send(dead_topic, value, key=key, headers=headers)

    try:
        yield Fold(consumer, Preparer(0), EventSink(store), send, batch_size=batch_size, within_ms=2000), producer
    finally:
        await consumer.stop()
        await producer.stop()


async def landed(bootstrap: str, topic: str) -> list:
    """The messages on `topic` (read from the start by a consumer of no group)."""
    from aiokafka import AIOKafkaConsumer

    reader = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                              enable_auto_commit=False)
    await reader.start()
    try:
        got = await reader.getmany(timeout_ms=5000)
    finally:
        await reader.stop()
    return [m for ms in got.values() for m in ms]
