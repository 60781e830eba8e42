"""The CPU half of the write path, pure: raw Kafka records in, insert-ready Arrow tables out.

`prepare` decodes a batch of `Record`s through the contract, applies the erasures and runs the
encoder (`projections.project.encode`: one Arrow table per stored table, ready for the store's
`insert_arrow`). It does no I/O, so it can run in another process: `Preparer` runs it in a
process pool (`TEAMFLOW_PREPARE_PROCESSES`, spawned, never forked: the worker holds chDB) so
that decoding the next batch uses the second core while this process fetches from Kafka and
writes the previous batch (chDB releases the GIL while a statement runs). With 0 processes it
runs inline. Either way the caller still owns the commit rule: a batch's offsets are committed
only after its rows are written.
"""
from __future__ import annotations

import asyncio
from array import array
from itertools import accumulate
import gc
import importlib
from contextlib import contextmanager
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from projections.erasure import Erasures, erase
from projections.project import Positioned, encode
from schemas import Event, decode

log = logging.getLogger(__name__)

MIN_SPLIT = 1000
"""A batch is shared among prepare processes only when every slice gets at least this many records."""


class Record(NamedTuple):
    """One Kafka record as the fold reads it: what `prepare` decodes and where it was in the log.

    `prepare` and `decode_records` take rows in this field order (a `Record`, or a plain tuple).
    `PackedRecords.of` and `rows_of` read the fields by name, so they also take aiokafka's
    `ConsumerRecord`s as the consumer returns them: the fold passes those on as they are, because
    building a `Record` per polled record was a sizeable share of the writing process's time
    (docs/benchmarks.md)."""

    value: bytes | None
    headers: list[tuple[str, bytes]] | None
    partition: int
    offset: int
    key: bytes | None = None


@dataclass(frozen=True)
class Reject:
    """A record the contract refused, whole: what the dead-letter path sends (its raw bytes and key) and why."""

    code: str
    reason: str
    source: str
    id: str
    type: str
    raw: bytes
    key: bytes | None
    partition: int
    offset: int


@dataclass
class Prepared:
    """One batch, ready to write: an Arrow table per stored table, the rejects, and the count of events."""

    events: int
    rejects: list[Reject] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)  # table name -> pyarrow.Table

    @property
    def rows(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in self.tables.items()}


@dataclass(frozen=True)
class PackedRecords:
    """Records in the form that crosses to a prepare process: one bytes object for all values, arrays of
    ends, partitions and offsets, keys as a list, headers only where present (pickling many small
    named tuples costs the sending process more than the whole decode saves)."""

    values: bytes
    ends: array
    partitions: array
    offsets: array
    keys: list
    headers: dict[int, list]

    @classmethod
    def of(cls, records: Sequence[Any]) -> "PackedRecords":
        values = [r.value or b"" for r in records]
        return cls(b"".join(values), array("q", accumulate(map(len, values))),
                   array("i", [r.partition for r in records]), array("q", [r.offset for r in records]),
                   [r.key for r in records], {i: r.headers for i, r in enumerate(records) if r.headers})

    def records(self) -> list[Record]:
        return [Record(*r) for r in self.rows()]

    def rows(self) -> list[tuple]:
        """The records as plain tuples in Record's field order (what `prepare` reads; building a named
        tuple per record is a sizeable share of a prepare process's time)."""
        view = memoryview(self.values)
        starts = [0, *self.ends[:-1]] if len(self.ends) else []
        headers = self.headers
        return [(bytes(view[a:b]), headers.get(i), p, o, k)
                for i, (a, b, p, o, k) in enumerate(zip(starts, self.ends, self.partitions, self.offsets, self.keys))]


def rows_of(records: Iterable[Any]) -> list[tuple]:
    """Records with `Record`'s fields (a `Record`, aiokafka's `ConsumerRecord`) as rows `prepare` takes."""
    return [(r.value, r.headers or None, r.partition, r.offset, r.key) for r in records]


def prepare_packed(packed: PackedRecords, tokens: Mapping[str, str], now_ms: int,
                   tables: Iterable[str] | None = None) -> Prepared:
    """`prepare` on packed records (what runs in a prepare process); unpacking them, a tuple per
    record, runs with the collector paused too."""
    with gc_paused():
        return _prepare(packed.rows(), tokens, now_ms, tables)


def prepare(records: Sequence[Record], tokens: Mapping[str, str], now_ms: int,
            tables: Iterable[str] | None = None) -> Prepared:
    """Decode, erase and encode one batch. `tables` (names) limits the output (replay of one
    projection); by default the raw `events` table and every projection table that got rows.

    The cyclic garbage collector is paused meanwhile: a batch allocates millions of small objects
    and none of them form cycles, yet each allocation burst triggered full collections that walked
    them all (docs/benchmarks.md)."""
    with gc_paused():
        return _prepare(records, tokens, now_ms, tables)


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside (reference counting still frees everything acyclic)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decode_records(records: Sequence[Record]) -> tuple[list[Positioned], list[Reject]]:
    """The records the contract takes, as events with their positions, and the ones it refuses, whole."""
    good: list[Positioned] = []
    rejects: list[Reject] = []
    for value, headers, partition, offset, key in records:
        result = decode(value or b"", headers or None)
        if isinstance(result, Event):
            good.append(Positioned(result, partition, offset))
        else:
            rejects.append(Reject(result.code, result.reason, result.source or "", result.id or "",
                                  result.type or "", value or b"", key, partition, offset))
    return good, rejects


def _prepare(records: Sequence[Record], tokens: Mapping[str, str], now_ms: int,
             tables: Iterable[str] | None) -> Prepared:
    good, rejects = decode_records(records)
    if tokens and good:
        erased = erase([p.event for p in good], tokens)
        good = [Positioned(e, p.partition, p.offset) for e, p in zip(erased, good)]
    return Prepared(events=len(good), rejects=rejects, tables=encode(good, now_ms, tables))


def joined(parts: Sequence[Prepared]) -> Prepared:
    """Several prepared batches as one (one Arrow table per stored table, its chunks not copied)."""
    import pyarrow as pa

    if len(parts) == 1:
        return parts[0]
    out = Prepared(events=sum(p.events for p in parts), rejects=[r for p in parts for r in p.rejects])
    for name in dict.fromkeys(name for p in parts for name in p.tables):
        out.tables[name] = pa.concat_tables([p.tables[name] for p in parts if name in p.tables])
    return out


def _snapshot(tokens):
    """What crosses to a prepare process: a plain id -> token dict copied, an `Erasures` as it is
    (its keyed-hash list, not its cache)."""
    return tokens if isinstance(tokens, Erasures) else dict(tokens)


def _child_ready(module: str | None = None) -> int:
    if module:
        importlib.import_module(module)
    return os.getpid()


def _exit_with_parent(parent: int) -> None:
    """In a prepare process: ignore Ctrl-C, and exit when the worker that started it is gone (a
    SIGKILLed worker cannot shut its pool down, and the pool's queues would keep an orphan waiting)."""
    import signal
    import threading
    import time

    # Ctrl-C reaches the whole process group: the worker shuts down and closes the pool; a child
    # dying of the same SIGINT first would look like a crash.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class Preparer:
    """Runs `prepare` in `processes` spawned processes (0: inline, in the caller's thread).

    A child that dies breaks the pool: the awaiting caller gets `BrokenProcessPool` and must stop
    (the worker crashes so that a supervisor restarts it; nothing was committed for that batch).
    """

    def __init__(self, processes: int, *, wait: bool = True, warm: str | None = None) -> None:
        """`wait`: return once every process is up (else they start while the caller goes on);
        `warm`: a module every process imports before its first task (the one its tasks live in)."""
        self.processes = processes
        self.pool: ProcessPoolExecutor | None = None
        self.pids: set[int] = set()  # known once every process reported (wait=True)
        if processes > 0:
            self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_exit_with_parent, initargs=(os.getpid(),))
            ready = [self.pool.submit(_child_ready, warm) for _ in range(processes)]
            if wait:
                self.pids = {f.result() for f in ready}
                log.info("prepare step: %d spawned process(es) (pids %s) decode, project and encode batches",
                         processes, ", ".join(map(str, sorted(self.pids))))
        else:
            log.info("prepare step: inline in this process")

    def call(self, fn, *args) -> Future:
        """Run `fn(*args)` (a module-level function) in a prepare process; inline: here, now."""
        if self.pool is None:
            fut: Future = Future()
            try:
                fut.set_result(fn(*args))
            except Exception as exc:
                fut.set_exception(exc)
            return fut
        return self.pool.submit(fn, *args)

    def submit(self, records: Sequence[Any], tokens: Mapping[str, str], now_ms: int,
               tables: Iterable[str] | None = None, *, split: bool = False) -> "asyncio.Future[Prepared]":
        """Start preparing a batch of records with `Record`'s fields (see `Record`); await the result
        (inline: already done). `split`: share one batch among the processes (the worker, which
        prepares one batch at a time)."""
        tables = None if tables is None else frozenset(tables)
        if self.pool is None:
            return asyncio.wrap_future(self.call(prepare, rows_of(records), tokens, now_ms, tables))
        if split and self.processes > 1 and len(records) >= 2 * MIN_SPLIT:
            return asyncio.ensure_future(self._split(records, _snapshot(tokens), now_ms, tables))
        return asyncio.wrap_future(self.pool.submit(prepare_packed, PackedRecords.of(records), _snapshot(tokens),
                                                    now_ms, tables))

    async def _split(self, records: Sequence[Record], tokens: Mapping[str, str], now_ms: int,
                     tables: frozenset[str] | None) -> Prepared:
        """One batch over every process: prepare slices at once, then join them (one stream per table)."""
        size = -(-len(records) // self.processes)
        parts = await asyncio.gather(*(asyncio.wrap_future(self.pool.submit(
            prepare_packed, PackedRecords.of(records[i:i + size]), tokens, now_ms, tables))
            for i in range(0, len(records), size)))
        return joined(parts)

    def check(self) -> None:
        """Raise when a prepare process died, also between batches (so an idle worker does not carry on
        without one until the next batch arrives). Uses the processes' pids, reported when they
        started, against `multiprocessing.active_children()`."""
        if self.pool is None or not self.pids:
            return
        alive = {p.pid for p in multiprocessing.active_children()}
        gone = sorted(self.pids - alive)
        if gone:
            raise BrokenProcessPool(f"prepare process(es) {', '.join(map(str, gone))} died")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
