"""The Faust app: topics and agents, built from settings by a factory (nothing at import time).

- `fold-events` reads the events topic in batches, decodes each message through the contract,
  sends refused ones to the dead-letter topic with their reason (and waits for the broker's ack),
  writes the valid ones through the sink, and only then lets the batch's offsets be committed.
  Two feeds for the same fold (`TEAMFLOW_FOLD_MODE`): `batch` (default), a batch consumer task in
  the Faust app that commits each batch after its write; `agent`, a Faust agent with
  `take_events`, whose offsets Faust acknowledges after the loop body returned. They differ only in
  throughput (docs/benchmarks.md).
- `fold-dead-letters` (agent) folds the dead-letter topic (fed by every door) into the
  `dead_letters` table.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

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


def create_app(settings: "Settings", sink: EventSink) -> faust.App:
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

    async def fold(records: list[tuple[bytes | None, bytes | None, list, str, int, int]],
                   stats: _Throughput) -> None:
        """Decode a batch, dead-letter the refused (waiting for the broker's ack), write the rest."""
        started = time.perf_counter()
        good: list[Positioned] = []
        sends = []
        for key, value, headers, topic, partition, offset in records:
            result = decode(value or b"", headers)
            if isinstance(result, Event):
                good.append(Positioned(result, partition, offset))
                continue
            log.warning("dead letter from %s[%d]@%d: %s", topic, partition, offset, result.reason)
            letter = DeadLetter(raw=value or b"", code=result.code, reason=result.reason, door="kafka",
                                source=result.source or "", id=result.id or "", type=result.type or "")
            sends.append(await dead_letter_topic.send(key=key, value=letter.raw, headers=letter.headers()))
        for fut in sends:
            await fut
        await asyncio.get_running_loop().run_in_executor(None, sink.write, good)
        stats.add(len(good), len(sends), time.perf_counter() - started)

    if settings.fold_mode == "agent":

        @app.agent(events_topic, name="fold-events")
        async def fold_events(stream: faust.StreamT) -> None:
            stats = _Throughput("fold-events")
            async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
                await fold([(ev.message.key, ev.value, _headers(ev.message), ev.message.topic,
                             ev.message.partition, ev.message.offset) for ev in batch], stats)

    else:

        @app.task
        async def fold_events_in_batches() -> None:
            """The same fold, fed by a batch consumer (getmany) instead of Faust's per-message stream.

            Faust's stream path tops out at ~7,000 messages/s on our 2-core machine even with an empty
            agent (docs/benchmarks.md); this reads whole fetches, and commits each batch's offsets only
            after `fold` returned, so the commit-after-write rule is the same as the agent's.
            """
            from aiokafka import AIOKafkaConsumer, TopicPartition
            from aiokafka.errors import CommitFailedError

            consumer = AIOKafkaConsumer(
                settings.events_topic,
                bootstrap_servers=settings.bootstrap_servers,
                # Not the Faust app's own group: that one speaks Faust's assignor protocol.
                group_id=f"{settings.consumer_group}-fold",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_partition_fetch_bytes=8 * 1024 * 1024,
                fetch_max_bytes=64 * 1024 * 1024,
                max_poll_interval_ms=600_000,
            )
            await consumer.start()
            stats = _Throughput("fold-events")
            try:
                while True:
                    polled = await consumer.getmany(timeout_ms=int(settings.batch_within_seconds * 1000),
                                                    max_records=settings.batch_size)
                    if not polled:
                        continue
                    records = [(r.key, r.value, list(r.headers or ()), r.topic, r.partition, r.offset)
                               for rs in polled.values() for r in rs]
                    await fold(records, stats)
                    try:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): rs[-1].offset + 1
                                               for tp, rs in polled.items() if rs})
                    except CommitFailedError as exc:  # partitions moved to another worker mid-batch
                        log.warning("offsets of a written batch not committed (%s); its new owner reads it "
                                    "again, which the idempotent tables absorb", exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a fold that stops must stop the worker, never stall silently
                log.critical("fold-events stopped: %r", exc, exc_info=True)
                await app.crash(exc)
            finally:
                await consumer.stop()

    @app.agent(dead_letter_topic, name="fold-dead-letters")
    async def fold_dead_letters(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            letters = [(from_headers(ev.value or b"", _headers(ev.message)), ev.message.partition, ev.message.offset)
                       for ev in batch]
            await loop.run_in_executor(None, sink.write_dead_letters, letters)

    return app
