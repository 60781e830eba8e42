"""The Faust app: topics and agents, built from settings by a factory (nothing at import time).

Two agents:
- `fold-events` reads the events topic in batches (`take_events`), decodes each message through
  the contract, sends refused ones to the dead-letter topic with their reason (and waits for the
  broker's ack), writes the valid ones through the sink, and returns; Faust acknowledges the
  batch's offsets only then, and commits acknowledged offsets.
- `fold-dead-letters` folds the dead-letter topic (fed by every door) into the `dead_letters` table.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Callable

import faust

from schemas import Event, decode

from .dead_letters import DeadLetter, from_headers
from .sink import EventSink, Positioned

if TYPE_CHECKING:
    from teamflow.settings import Settings

log = logging.getLogger(__name__)


def _headers(message: Any) -> list[tuple[str, bytes]]:
    headers = message.headers or []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(k.decode() if isinstance(k, bytes) else k, v if isinstance(v, bytes) else str(v).encode())
            for k, v in items]


def create_app(settings: "Settings", sink: EventSink, *,
               on_batch: Callable[[int, int], None] | None = None) -> faust.App:
    app = faust.App(
        settings.consumer_group,
        broker=f"kafka://{settings.bootstrap_servers}",
        store="memory://",
        datadir=str(settings.data_dir / "faust"),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        web_enabled=False,
        stream_wait_empty=False,
        broker_commit_every=settings.batch_size,
        broker_commit_interval=1.0,
    )
    events_topic = app.topic(settings.events_topic, key_type=bytes, value_type=bytes,
                             partitions=settings.topic_partitions)
    dead_letter_topic = app.topic(settings.dead_letter_topic, key_type=bytes, value_type=bytes,
                                  partitions=settings.topic_partitions)

    @app.agent(events_topic, name="fold-events")
    async def fold_events(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            good: list[Positioned] = []
            sends = []
            for ev in batch:
                msg = ev.message
                result = decode(ev.value, _headers(msg))
                if isinstance(result, Event):
                    good.append(Positioned(result, msg.partition, msg.offset))
                    continue
                log.warning("dead letter from %s[%d]@%d: %s", msg.topic, msg.partition, msg.offset, result.reason)
                letter = DeadLetter(raw=ev.value or b"", code=result.code, reason=result.reason, door="kafka",
                                    source=result.source or "", id=result.id or "", type=result.type or "")
                sends.append(await dead_letter_topic.send(key=msg.key, value=letter.raw, headers=letter.headers()))
            for fut in sends:  # the broker has every dead letter before the batch is acknowledged
                await fut
            await loop.run_in_executor(None, sink.write, good)
            if on_batch:
                on_batch(len(good), len(sends))

    @app.agent(dead_letter_topic, name="fold-dead-letters")
    async def fold_dead_letters(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            letters = [(from_headers(ev.value or b"", _headers(ev.message)), ev.message.partition, ev.message.offset)
                       for ev in batch]
            await loop.run_in_executor(None, sink.write_dead_letters, letters)

    return app
