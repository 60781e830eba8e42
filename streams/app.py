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
import time
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


class _Throughput:
    """Logs, about every 10 s, what the agent did: events, dead letters, batches, time spent writing."""

    def __init__(self, name: str, every: float = 10.0) -> None:
        self.name, self.every = name, every
        self.reset(time.monotonic())

    def reset(self, now: float) -> None:
        self.since, self.events, self.rejected, self.batches, self.busy = now, 0, 0, 0, 0.0

    def add(self, events: int, rejected: int, busy: float) -> None:
        self.events += events
        self.rejected += rejected
        self.batches += 1
        self.busy += busy
        now = time.monotonic()
        if now - self.since >= self.every:
            span = now - self.since
            log.info("%s: %d events (%.0f/s), %d dead letters, %d batches (mean %.0f), %.0f%% of the time writing",
                     self.name, self.events, self.events / span, self.rejected, self.batches,
                     (self.events + self.rejected) / self.batches, 100 * self.busy / span)
            self.reset(now)


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
        # Feed whole batches: fetch and buffer well beyond one batch per partition.
        broker_max_poll_records=settings.batch_size,
        consumer_max_fetch_size=8 * 1024 * 1024,
        stream_buffer_maxsize=max(4096, 2 * settings.batch_size),
    )
    events_topic = app.topic(settings.events_topic, key_type=bytes, value_type=bytes,
                             partitions=settings.topic_partitions)
    dead_letter_topic = app.topic(settings.dead_letter_topic, key_type=bytes, value_type=bytes,
                                  partitions=settings.topic_partitions)

    @app.agent(events_topic, name="fold-events")
    async def fold_events(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        stats = _Throughput("fold-events")
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            started = time.perf_counter()
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
            stats.add(len(batch), len(sends), time.perf_counter() - started)
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
