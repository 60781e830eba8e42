"""Rebuild projections from the Kafka log: read everything from the beginning into fresh tables,
then swap them in.

Batch work, not the per-message path. The log (up to the end offsets taken at the start) is cut
into spans of ~50,000 offsets of one partition (`streams/fold/log_spans.py`). Spawned prepare processes
(two by default) each read a span straight from the broker with librdkafka and run the worker's
prepare step on it (`streams/fold/prepare.py`: decode, erase, the same encoder), so
records never pass through this process, which only writes what comes back: one statement per
table for ~100,000 events, into `<table>__replay` tables, in a writer thread while the next spans
are prepared. Then each fresh table is exchanged with the live one (`EXCHANGE TABLES`, atomic) and
the old one dropped. A running worker (possible with a ClickHouse server) may have written to the
old tables meanwhile; a final pass re-reads from the end offsets taken at the start into the
swapped-in tables, which is harmless because every row is keyed by what it describes.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Mapping

from projections import ddl, resolved
from projections.erasure import Erasures
from projections.project import PROJECTION_TABLES
from projections.store import Store

from .log_spans import SPAN_RECORDS, Span, SpanReader, log_offsets, plan_spans, spans_since
from .prepare import Prepared, Preparer, gc_paused, joined, prepare

log = logging.getLogger(__name__)

SUFFIX = "__replay"
DEFAULT_PROCESSES = 2


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


_readers: dict[tuple[str, str], SpanReader] = {}


def read_and_prepare(span: Span, bootstrap_servers: str, topic: str, tokens: Mapping[str, str], now_ms: int,
                     tables: frozenset[str] | None) -> Prepared:
    """One span, read and prepared where this runs (a prepare process): only the Arrow tables
    travel back. The reader is kept for the process's next span."""
    reader = _readers.get((bootstrap_servers, topic))
    if reader is None:
        reader = _readers[(bootstrap_servers, topic)] = SpanReader(bootstrap_servers, topic)
    with gc_paused():  # reading allocates a tuple per record, which would trigger full collections too
        records = reader.read(span)
    return prepare(records, tokens, now_ms, tables)


WRITE_EVENTS = 100_000
"""Prepared spans are written together, one statement per table for about this many events: each
chDB insert statement costs tens of milliseconds whatever its size (docs/benchmarks.md)."""


def _write(store: Store, prepared: list[Prepared], suffix: str) -> tuple[int, int]:
    batch = joined(prepared)
    for name, table in batch.tables.items():
        store.insert_arrow(name + suffix, table)
    # rejects are counted only: the live path already dead-lettered them
    return batch.events, len(batch.rejects)


def replay(store: Store, bootstrap_servers: str, topic: str, *, projections: Iterable[str] | None = None,
           progress: Callable[[int, int, float], None] | None = None, erasures: "Mapping[str, str] | Erasures | None" = None,
           processes: int = DEFAULT_PROCESSES, span_records: int = SPAN_RECORDS) -> ReplayReport:
    """Rebuild; `erasures` (streams.erasure.erasure_list.load_erasures, or a plain id -> token dict) are applied
    to every event.

    `processes` prepare processes each read a span of the log and prepare it (decode, erase, project,
    Arrow) while this process writes what they return; 0 reads and prepares in this process."""
    tables = tables_for(projections)
    names = frozenset(t.name for t in tables)
    report = ReplayReport(tables=[t.name for t in tables])
    started = time.monotonic()
    tokens = erasures if erasures is not None else {}
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    begin, end = log_offsets(bootstrap_servers, topic)
    total = sum(end[p] - begin[p] for p in end)
    log.info("replaying %d records of %s into %d fresh tables (%d prepare processes)", total, topic, len(tables),
             processes)
    preparer = Preparer(processes, wait=False, warm=__name__)  # they start while the tables are made
    try:
        for t in tables:
            store.command(f"DROP TABLE IF EXISTS {t.name}{SUFFIX}")
            store.command(t.create_sql(t.name + SUFFIX))
        done = 0

        def spans_done(span: Span) -> None:
            nonlocal done
            done += span.size
            if progress:
                progress(done, total, time.monotonic() - started)

        task = (bootstrap_servers, topic, tokens, now_ms, names)  # read_and_prepare's arguments after the span
        report.add(*_rebuild(store, preparer, plan_spans(begin, end, span_records), SUFFIX, spans_done, task))
        for t in tables:
            store.command(f"CREATE TABLE IF NOT EXISTS {t.name} AS {t.name}{SUFFIX}")
            store.command(f"EXCHANGE TABLES {t.name} AND {t.name}{SUFFIX}")
            store.command(f"DROP TABLE {t.name}{SUFFIX}")
        # Whatever a live worker wrote to the old tables after `end`, write again into the new ones.
        low, after = log_offsets(bootstrap_servers, topic)
        late = spans_since(end, low, after, span_records)
        if late:
            log.info("replay: %d records arrived during the rebuild; writing them to the new tables",
                     sum(s.size for s in late))
            report.add(*_rebuild(store, preparer, late, "", lambda span: None, task))
        resolved.rebuild(store)  # derived from the tables just rebuilt (projections/resolved/)
    finally:
        preparer.close()
    report.seconds = time.monotonic() - started
    return report


def _rebuild(store: Store, preparer: Preparer, spans: list[Span], suffix: str, spans_done: Callable[[Span], None],
             task: tuple) -> tuple[int, int]:
    """Prepare the spans (at most two per process in flight) and write them into `<table><suffix>`,
    ~WRITE_EVENTS events per statement, in a writer thread so that preparing goes on meanwhile.

    Spans are written in the order planned, so a partition's records reach the store in log order
    as they do from the worker (rows keyed by an entity keep the later of two equal-time versions
    by insertion order)."""
    events = rejected = 0
    todo = deque(spans)
    running: deque[tuple[Future, Span]] = deque()
    ready: list[Prepared] = []
    with ThreadPoolExecutor(1, thread_name_prefix="replay-writer") as writer:
        writing: Future | None = None

        def flush() -> None:
            nonlocal writing, ready, events, rejected
            if writing is not None:
                e, r = writing.result()  # one write at a time; raises the writer's error here
                events, rejected = events + e, rejected + r
            writing, ready = (writer.submit(_write, store, ready, suffix) if ready else None), []

        try:
            while todo or running:
                while todo and len(running) < max(1, 2 * preparer.processes):
                    span = todo.popleft()
                    running.append((preparer.call(read_and_prepare, span, *task), span))
                fut, span = running.popleft()
                ready.append(fut.result())
                spans_done(span)
                # write ~WRITE_EVENTS at a time; once every span is under way, whatever is ready (the
                # last write is the only work left when the processes are done: keep it small)
                if not todo or sum(p.events for p in ready) >= WRITE_EVENTS:
                    flush()
            flush()  # the last span was handed to the writer above: wait for that write
        finally:
            for fut, _ in running:
                fut.cancel()
    return events, rejected
