"""The Faust app: topics and agents, built from settings by a factory (nothing at import time).

- `fold-events` (a task of the Faust app with its own batch consumer) reads the events topic in
  batches, decodes each message through the contract, sends refused ones to the dead-letter topic
  with their reason (and waits for the broker's ack), writes the valid ones through the sink, and
  only then commits the batch's offsets. A Faust agent stream fed the same fold before; it was
  about ten times slower (docs/benchmarks.md) and is gone.
- `fold-dead-letters` (agent) folds the dead-letter topic (fed by every door) into the
  `dead_letters` table.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import faust

from .dead_letters import DeadLetter, from_headers
from .prepare import Prepared, Preparer
from .sink import EventSink

if TYPE_CHECKING:
    from teamflow.settings import Settings

log = logging.getLogger(__name__)

CATCH_UP = 4
"""A batch-mode worker that is behind takes up to this many batches' worth of fetched events at once."""


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


def create_app(settings: "Settings", sink: EventSink, preparer: Preparer | None = None) -> faust.App:
    """The Faust app; `preparer` runs the prepare step (streams/prepare.py), inline when not given."""
    preparer = preparer or Preparer(0)
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
        consumer_group_instance_id=settings.group_instance_id,
        broker_session_timeout=settings.kafka_session_timeout_seconds,
        broker_heartbeat_interval=max(1.0, settings.kafka_session_timeout_seconds / 3),
    )
    dead_letter_topic = app.topic(settings.dead_letter_topic, key_type=bytes, value_type=bytes,
                                  partitions=settings.topic_partitions)

    loop_now_ms = lambda: int(sink.clock().timestamp() * 1000)  # noqa: E731

    async def prepare(records: list[tuple[bytes | None, bytes | None, list, str, int, int]]) -> Prepared:
        """Start decoding, projecting and encoding a batch (in the prepare process, or inline)."""
        tokens = await asyncio.get_running_loop().run_in_executor(None, sink.erasures)
        return await preparer.submit([(value, headers, partition, offset)
                                      for _, value, headers, _, partition, offset in records], tokens, loop_now_ms(),
                                      split=True)

    async def write(records: list[tuple[bytes | None, bytes | None, list, str, int, int]], prepared: Prepared,
                    stats: _Throughput) -> None:
        """Dead-letter the refused (waiting for the broker's acks), then write the rest (retrying until stored)."""
        started = time.perf_counter()
        sends = []
        for r in prepared.rejects:
            key, _, _, topic, _, _ = records[r.index]
            # code and position only: a reason quotes payload values (names, ids)
            log.warning("dead letter from %s[%d]@%d: %s", topic, r.partition, r.offset, r.code)
            letter = DeadLetter(raw=r.raw, code=r.code, reason=r.reason, door="kafka",
                                source=r.source, id=r.id, type=r.type)
            sends.append(await dead_letter_topic.send(key=key, value=letter.raw, headers=letter.headers()))
        for fut in sends:
            await fut
        await asyncio.get_running_loop().run_in_executor(None, sink.write_prepared, prepared)
        stats.add(prepared.events, len(sends), time.perf_counter() - started)

    @app.task
    async def fold_events_in_batches() -> None:
        """The fold, fed by a batch consumer (getmany) rather than Faust's per-message stream, which
        tops out far below the store's write rate even with an empty agent (docs/benchmarks.md). Pipelined by one batch: batch N+1 is
        fetched and handed to the prepare process before batch N is written, so preparing N+1 (other
        core) overlaps writing N (chDB releases the GIL). Batch N's offsets are committed only after
        its dead letters were acked and its rows written, in batch order.
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
            # Static membership: a worker restarted after a crash takes its partitions back at once
            # instead of waiting for the dead member's session to time out.
            group_instance_id=f"{settings.group_instance_id}-fold",
            session_timeout_ms=int(settings.kafka_session_timeout_seconds * 1000),
            heartbeat_interval_ms=max(1000, int(settings.kafka_session_timeout_seconds * 1000) // 3),
        )
        await consumer.start()
        sink.status.set_state("folding")
        stats = _Throughput("fold-events")
        within_ms = int(settings.batch_within_seconds * 1000)
        inflight = following = None  # (polled, records, preparing): fetched, prepared, not yet written
        try:
            while True:
                # With a batch in flight, take what is already fetched and write it without waiting.
                polled = await consumer.getmany(timeout_ms=0 if inflight else within_ms,
                                                max_records=settings.batch_size)
                if inflight is not None and polled:
                    # Behind (a backlog): also take what is already fetched, up to CATCH_UP batches,
                    # so the next write needs the same ~20 statements for several times the events.
                    taken = sum(map(len, polled.values()))
                    while taken < CATCH_UP * settings.batch_size:
                        more = await consumer.getmany(timeout_ms=0, max_records=settings.batch_size)
                        if not more:
                            break
                        for tp, rs in more.items():
                            polled[tp] = polled.get(tp, []) + rs
                        taken += sum(map(len, more.values()))
                following = None
                preparer.check()
                if polled:
                    records = [(r.key, r.value, list(r.headers or ()), r.topic, r.partition, r.offset)
                               for rs in polled.values() for r in rs]
                    following = (polled, records, asyncio.ensure_future(prepare(records)))
                if inflight is not None:
                    done_polled, done_records, preparing = inflight
                    inflight = None
                    await write(done_records, await preparing, stats)
                    try:
                        await consumer.commit({TopicPartition(tp.topic, tp.partition): rs[-1].offset + 1
                                               for tp, rs in done_polled.items() if rs})
                        sink.status.committed(sum(map(len, done_polled.values())))
                    except CommitFailedError as exc:  # partitions moved to another worker mid-batch
                        log.warning("offsets of a written batch not committed (%s); its new owner reads it "
                                    "again, which the idempotent tables absorb", exc)
                inflight = following
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a fold that stops must stop the worker, never stall silently
            log.critical("fold-events stopped: %r", exc, exc_info=True)
            await app.crash(exc)
        finally:
            sink.status.set_state("stopped")
            for batch in (inflight, following):  # prepared but not written: not committed, read again
                if batch is not None:
                    batch[2].cancel()
            await consumer.stop()

    @app.agent(dead_letter_topic, name="fold-dead-letters")
    async def fold_dead_letters(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in stream.take_events(settings.batch_size, within=settings.batch_within_seconds):
            letters = [(from_headers(ev.value or b"", _headers(ev.message)), ev.message.partition, ev.message.offset)
                       for ev in batch]
            await loop.run_in_executor(None, sink.write_dead_letters, letters)

    return app
