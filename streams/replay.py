"""Rebuild projections from the Kafka log: read everything from the beginning into fresh tables,
then swap them in.

Batch work, not the per-message path: a plain consumer without a group reads every partition
with large fetches; the worker's prepare step (`streams/prepare.py`: decode, erase, the same
row mappers, Arrow IPC) runs in spawned processes (one by default), while this process reads and
inserts, one statement per table for ~100,000 events, into `<table>__replay` tables. When the log
is read up to the end offsets taken at the start, each fresh table is exchanged with the live one
(`EXCHANGE TABLES`, atomic) and the old one dropped. A running worker (possible with a ClickHouse server) may have
written to the old tables meanwhile; a final pass re-reads from the end offsets taken at the start
into the swapped-in tables, which is harmless because every row is keyed by what it describes.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from aiokafka import TopicPartition

from projections import ddl
from projections.arrow import merge_ipc
from projections.project import PROJECTION_TABLES
from projections.store import Store

from .prepare import Prepared, Preparer

log = logging.getLogger(__name__)

SUFFIX = "__replay"


@dataclass
class ReplayReport:
    events: int = 0
    rejected: int = 0
    seconds: float = 0.0
    tables: list[str] = field(default_factory=list)

    def add(self, events: int, rejected: int) -> None:
        self.events += events
        self.rejected += rejected

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def tables_for(projections: Iterable[str] | None) -> list[ddl.Table]:
    """The tables to rebuild: the raw events table and every projection, or the named projections."""
    if not projections:
        return [ddl.EVENTS] + [t for tables in PROJECTION_TABLES.values() for t in tables]
    chosen: list[ddl.Table] = []
    for name in projections:
        if name == "events":
            chosen.append(ddl.EVENTS)
        elif name in PROJECTION_TABLES:
            chosen.extend(PROJECTION_TABLES[name])
        else:
            known = ", ".join(["events", *PROJECTION_TABLES])
            raise ValueError(f"unknown projection {name!r}; known: {known}")
    return chosen


def _partitions(bootstrap_servers: str, topic: str) -> set[int]:
    """The topic's partition numbers (kafka-python's lookup refreshes metadata; aiokafka's does not)."""
    from kafka import KafkaConsumer

    meta = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None)
    try:
        return meta.partitions_for_topic(topic) or set()
    finally:
        meta.close()


class _LogReader:
    """Reads a topic's partitions from given offsets up to given end offsets, in large fetches.

    aiokafka (its record parsing is compiled) rather than kafka-python: reading was 44 % of the
    replay's time with kafka-python's pure-Python record parser.
    """

    def __init__(self, bootstrap_servers: str, topic: str, fetch_records: int = 20_000) -> None:
        self.bootstrap_servers, self.topic, self.fetch_records = bootstrap_servers, topic, fetch_records

    async def __aenter__(self) -> "_LogReader":
        from aiokafka import AIOKafkaConsumer

        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=16 * 1024 * 1024,
        )
        parts = _partitions(self.bootstrap_servers, self.topic)
        if not parts:
            raise RuntimeError(f"topic {self.topic} does not exist or has no partitions")
        self.partitions = [TopicPartition(self.topic, p) for p in sorted(parts)]
        await self.consumer.start()
        self.consumer.assign(self.partitions)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def end_offsets(self) -> dict[TopicPartition, int]:
        return await self.consumer.end_offsets(self.partitions)

    async def beginning_offsets(self) -> dict[TopicPartition, int]:
        return await self.consumer.beginning_offsets(self.partitions)

    async def read(self, start: dict[TopicPartition, int], end: dict[TopicPartition, int]):
        """Yield lists of records until every partition reached its end offset."""
        todo = {tp for tp in self.partitions if start[tp] < end[tp]}
        self.consumer.resume(*self.partitions)
        for tp in self.partitions:
            self.consumer.seek(tp, start[tp])
        idle = [tp for tp in self.partitions if tp not in todo]
        if idle:
            self.consumer.pause(*idle)
        while todo:
            polled = await self.consumer.getmany(timeout_ms=1000, max_records=self.fetch_records)
            batch = []
            for tp, records in polled.items():
                if tp in todo:
                    batch.extend(r for r in records if r.offset < end[tp])
            for tp in list(todo):
                if await self.consumer.position(tp) >= end[tp]:
                    todo.discard(tp)
                    self.consumer.pause(tp)
            if batch:
                yield batch


def _as_records(records: list) -> list[tuple]:
    return [(r.value, list(r.headers or ()), r.partition, r.offset) for r in records]


WRITE_EVENTS = 100_000
"""Prepared batches are written together, one statement per table for about this many events: each
chDB insert statement costs tens of milliseconds whatever its size (docs/benchmarks.md)."""


def _write(store: Store, prepared: list[Prepared], suffix: str) -> tuple[int, int]:
    tables: dict[str, list[bytes]] = {}
    for p in prepared:
        for table, payload in p.payloads.items():
            tables.setdefault(table, []).append(payload)
    for table, payloads in tables.items():
        store.insert_arrow(table + suffix, merge_ipc(payloads))
    # rejects are counted only: the live path already dead-lettered them
    return sum(p.events for p in prepared), sum(len(p.rejects) for p in prepared)


def replay(store: Store, bootstrap_servers: str, topic: str, *, projections: Iterable[str] | None = None,
           progress: Callable[[int, int, float], None] | None = None, fetch_records: int = 25_000,
           erasures: Mapping[str, str] | None = None, processes: int = 1) -> ReplayReport:
    """Rebuild; `erasures` (person id -> token, streams.erasures) are applied to every event.

    `processes` prepare processes (streams/prepare.py) decode, project and encode batches while this
    process reads the log and writes; 0 prepares inline."""
    preparer = Preparer(processes)
    try:
        return asyncio.run(_replay(store, bootstrap_servers, topic, projections=projections, progress=progress,
                                   fetch_records=fetch_records, erasures=erasures or {}, preparer=preparer))
    finally:
        preparer.close()


async def _replay(store: Store, bootstrap_servers: str, topic: str, *, projections: Iterable[str] | None,
                  progress: Callable[[int, int, float], None] | None, fetch_records: int,
                  erasures: Mapping[str, str], preparer: Preparer) -> ReplayReport:
    tables = tables_for(projections)
    names = frozenset(t.name for t in tables)
    report = ReplayReport(tables=[t.name for t in tables])
    started = time.monotonic()
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    loop = asyncio.get_running_loop()
    async with _LogReader(bootstrap_servers, topic, fetch_records) as reader:
        begin, end = await reader.beginning_offsets(), await reader.end_offsets()
        total = sum(end[tp] - begin[tp] for tp in reader.partitions)
        log.info("replaying %d records of %s into %d fresh tables", total, topic, len(tables))
        for t in tables:
            store.command(f"DROP TABLE IF EXISTS {t.name}{SUFFIX}")
            store.command(t.create_sql(t.name + SUFFIX))

        # Read -> prepare (processes, several batches in flight) -> write (one thread, in read order).
        queue: asyncio.Queue = asyncio.Queue(maxsize=max(1, preparer.processes))

        async def write_all() -> None:
            ready: list[Prepared] = []
            while (preparing := await queue.get()) is not None:
                ready.append(await preparing)
                if sum(p.events for p in ready) >= WRITE_EVENTS:
                    report.add(*await loop.run_in_executor(None, _write, store, ready, SUFFIX))
                    ready = []
            if ready:
                report.add(*await loop.run_in_executor(None, _write, store, ready, SUFFIX))

        writer = asyncio.ensure_future(write_all())
        try:
            read = 0
            async for records in reader.read(begin, end):
                put = asyncio.ensure_future(queue.put(preparer.submit(_as_records(records), erasures, now_ms, names)))
                await asyncio.wait({put, writer}, return_when=asyncio.FIRST_COMPLETED)
                if not put.done():  # the writer failed with the queue full: stop reading, raise its error
                    put.cancel()
                    break
                read += len(records)
                if progress:
                    progress(read, total, time.monotonic() - started)
            if not writer.done():
                await queue.put(None)
            await writer
        finally:
            writer.cancel()
        for t in tables:
            store.command(f"CREATE TABLE IF NOT EXISTS {t.name} AS {t.name}{SUFFIX}")
            store.command(f"EXCHANGE TABLES {t.name} AND {t.name}{SUFFIX}")
            store.command(f"DROP TABLE {t.name}{SUFFIX}")
        # Whatever a live worker wrote to the old tables after `end`, write again into the new ones.
        after = await reader.end_offsets()
        if any(after[tp] > end[tp] for tp in reader.partitions):
            async for records in reader.read(end, after):
                prepared = await preparer.submit(_as_records(records), erasures, now_ms, names)
                report.add(*_write(store, [prepared], ""))
    report.seconds = time.monotonic() - started
    return report
