"""The fold of the events topic into the store, as named steps: poll, prepare (decode, erase,
encode), dead-letter, write, commit.

`Fold.run` is the loop the worker runs; every step is a method of its own that a test can drive
with a real broker. The loop is pipelined by one batch: batch N+1 is polled and handed to the
prepare process before batch N is written, so preparing N+1 (other core) overlaps writing N (chDB
releases the GIL). Batch N's offsets are committed only after its dead letters were acked and its
rows written, in batch order: a batch is either stored and then committed, or read again.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping

from .consumer_lag import fold_group
from ..dead_letters import DeadLetter
from .prepare import Prepared, Preparer, Reject, decode_records, prepare, rows_of
from .sink import EventSink
from .store_refusal import NotOneEvent, StoreRefused, split_refused

if TYPE_CHECKING:
    from ..settings import WorkerSettings

log = logging.getLogger(__name__)

CATCH_UP = 16
"""A worker that is behind takes up to this many batches' worth of fetched events at once."""

SendDeadLetter = Callable[[bytes | None, bytes, list], Awaitable[Any]]
"""`send(key, value, headers)` -> an awaitable of the broker's ack (Faust's topic send, or a producer's)."""


@dataclass
class Batch:
    """Records polled together, and the offset to commit per partition once they are stored."""

    records: list[Any]  # aiokafka ConsumerRecords as polled: `Record`'s fields, by name
    next_offsets: dict[Any, int]  # aiokafka TopicPartition -> offset after the batch's last record


def fold_consumer(settings: "WorkerSettings") -> Any:
    """The fold's own batch consumer (aiokafka: `getmany` with explicit commits; not the Faust app's
    group, which speaks Faust's assignor protocol)."""
    from aiokafka import AIOKafkaConsumer

    return AIOKafkaConsumer(
        settings.events_topic,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=fold_group(settings.consumer_group),
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


class Throughput:
    """Logs, about every 10 s, what the fold did: events, dead letters, batches, time spent writing."""

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


class Fold:
    def __init__(self, consumer: Any, preparer: Preparer, sink: EventSink, send_dead_letter: SendDeadLetter,
                 erasures: Callable[[], Mapping[str, str]] = dict, *, batch_size: int, within_ms: int) -> None:
        self.consumer, self.preparer, self.sink = consumer, preparer, sink
        self.send_dead_letter, self.erasures = send_dead_letter, erasures
        self.batch_size, self.within_ms = batch_size, within_ms
        self.stats = Throughput("fold-events")

    async def poll(self, *, wait: bool = True) -> Batch | None:
        """The next batch (None when nothing came within `within_ms`, or at once when not `wait`).
        Without waiting, the fold is behind: take up to CATCH_UP batches of what is already fetched,
        so the next write needs the same statements for several times the events."""
        get = self.consumer.getmany
        polled = await get(timeout_ms=self.within_ms if wait else 0, max_records=self.batch_size)
        if not polled:
            return None
        taken = sum(map(len, polled.values()))
        while not wait and taken < CATCH_UP * self.batch_size:
            more = await get(timeout_ms=0, max_records=self.batch_size)
            if not more:
                break
            for tp, rs in more.items():
                polled[tp] = polled.get(tp, []) + rs
            taken += sum(map(len, more.values()))
        records = [r for rs in polled.values() for r in rs]
        return Batch(records, {tp: rs[-1].offset + 1 for tp, rs in polled.items() if rs})

    def prepare(self, batch: Batch) -> "asyncio.Future[Prepared]":
        """Start decoding, erasing and encoding the batch (in the prepare processes, or inline)."""

        async def run() -> Prepared:
            tokens = await asyncio.get_running_loop().run_in_executor(None, self.erasures)
            return await self.preparer.submit(batch.records, tokens, int(time.time() * 1000), split=True)

        return asyncio.ensure_future(run())

    async def dead_letter(self, rejects: list[Reject]) -> None:
        """Send the refused records to the dead-letter topic and wait for every ack."""
        sends = []
        for r in rejects:
            # code and position only: a reason quotes payload values (names, ids)
            log.warning("dead letter from [%d]@%d: %s", r.partition, r.offset, r.code)
            letter = DeadLetter(raw=r.raw, code=r.code, reason=r.reason, door="kafka", source=r.source, id=r.id,
                                type=r.type)
            sends.append(await self.send_dead_letter(r.key, letter.raw, letter.headers()))
        for fut in sends:
            await fut

    async def write(self, prepared: Prepared, batch: Batch | None = None) -> None:
        """Store the batch's rows (the sink retries until the store confirms them). Given the `batch`, a
        batch the store refuses for its data is split instead: the rows the store takes are written, the
        events it refuses are dead-lettered (`store_refused`), and this returns once both are stored."""
        loop = asyncio.get_running_loop()
        if batch is None:
            await loop.run_in_executor(None, self.sink.write_prepared, prepared)
            return
        try:
            await loop.run_in_executor(None, self.sink.write_prepared, prepared, True)
        except StoreRefused as refusal:
            rejects = await loop.run_in_executor(None, self.split_refused, batch, refusal)
            if rejects is None:  # an unknown error that no single event explains: back to waiting
                await loop.run_in_executor(None, self.sink.write_prepared, prepared)
                return
            await self.dead_letter(rejects)

    def split_refused(self, batch: Batch, refusal: StoreRefused) -> list[Reject] | None:
        """Bisect a refused batch by events, each part prepared again by the one encoder and written,
        and return the events the store refuses alone as `store_refused` rejects. None when no event
        alone is refused, or the refusal was of an unknown kind and more than one part is refused: the
        store, not the data, is at fault, and the batch is retried whole as any store fault is."""
        started = time.perf_counter()
        tokens, now_ms = self.erasures(), int(time.time() * 1000)
        good, _ = decode_records(rows_of(batch.records))  # the contract's rejects are dead-lettered already
        by_position = {(r.partition, r.offset): r for r in batch.records}

        def attempt(part: list) -> None:
            records = [by_position[(p.partition, p.offset)] for p in part]
            self.sink.write_prepared(prepare(rows_of(records), tokens, now_ms), refusable=True)

        try:  # an unknown error is blamed on the data only when one event alone explains it
            refused = split_refused(good, attempt, refusal, single=refusal.kind == "unknown")
        except NotOneEvent:
            refused = []
        if not refused:
            log.error("no single event of the batch explains the store's refusal (%s); treating it as a "
                      "store fault, retrying the batch whole", refusal.label)
            return None
        log.warning("store refused %d of %d events of a batch (%s); split in %.2f s, dead-lettering them",
                    len(refused), len(good), refusal.label, time.perf_counter() - started)
        rejects = []
        for p, exc in refused:
            r = by_position[(p.partition, p.offset)]
            e = p.event
            rejects.append(Reject("store_refused", exc.reason, e.source, e.id, e.type, r.value or b"", r.key,
                                  r.partition, r.offset))
        return rejects

    async def commit(self, batch: Batch) -> None:
        from aiokafka.errors import CommitFailedError

        try:
            await self.consumer.commit(batch.next_offsets)
            self.sink.status.committed(len(batch.records))
        except CommitFailedError as exc:  # partitions moved to another worker mid-batch
            log.warning("offsets of a written batch not committed (%s); its new owner reads it again, "
                        "which the idempotent tables absorb", exc)

    async def finish(self, batch: Batch, preparing: "asyncio.Future[Prepared]") -> None:
        """Dead-letter, write and commit one prepared batch, in that order."""
        prepared = await preparing
        started = time.perf_counter()
        await self.dead_letter(prepared.rejects)
        await self.write(prepared, batch)
        self.stats.add(prepared.events, len(prepared.rejects), time.perf_counter() - started)
        await self.commit(batch)

    async def run(self) -> None:
        """Fold until cancelled; a batch prepared but not written when stopping is not committed."""
        self.sink.status.set_state("folding")
        inflight = following = None  # (batch, preparing)
        try:
            while True:
                batch = await self.poll(wait=inflight is None)
                self.preparer.check()
                following = (batch, self.prepare(batch)) if batch is not None else None
                if inflight is not None:
                    done, inflight = inflight, None
                    await self.finish(*done)
                inflight, following = following, None
        finally:
            self.sink.status.set_state("stopped")
            for pending in (inflight, following):
                if pending is not None:
                    pending[1].cancel()
