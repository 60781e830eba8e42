"""The write side of the worker: decoded events in, rows in ClickHouse out.

`EventSink.write_prepared` stores a batch's raw events and its projection rows, as the prepare
step (`streams.prepare`, decode + erasure + row mappers + Arrow) encoded them. It retries until the
store takes the batch (with backoff, logging each failure) and only then returns, because the
caller acknowledges the batch's offsets when it returns: a batch is either written and then
committed, or not committed and redelivered. Every table is keyed by the identity of what a
row describes, so a redelivered batch writes the same rows again and changes nothing.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Mapping, Sequence

import pandas as pd

from projections import ddl
from projections.arrow import record_batch
from projections.rows import epoch_ms
from projections.store import Store

from .dead_letters import DeadLetter
from .status import StatusBoard
from .prepare import Prepared, raw_event_columns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Positioned:
    """A decoded event with the Kafka position it was read from."""

    event: object  # schemas.Event
    partition: int
    offset: int


def raw_event_frame(batch: Sequence[Positioned], now: datetime) -> pd.DataFrame:
    """The `events` table's rows as a DataFrame, from the same columns the worker writes
    (`streams.prepare.raw_event_columns`), for writers that insert DataFrames (benchmarks, tests)."""
    cols = raw_event_columns([(p.event, p.partition, p.offset) for p in batch], epoch_ms(now))
    return record_batch(ddl.EVENTS, cols).to_pandas()


def dead_letter_frame(letters: Sequence[tuple[DeadLetter, int, int]], now: datetime) -> pd.DataFrame:
    rows = [
        (dl.fingerprint, dl.received_at or now, dl.door, dl.source, dl.id, dl.type, dl.code, dl.reason,
         dl.raw.decode("utf-8", "replace"), partition, offset)
        for dl, partition, offset in letters
    ]
    df = pd.DataFrame.from_records(rows, columns=ddl.DEAD_LETTERS.column_names)
    df["received_at"] = pd.to_datetime(df["received_at"], utc=True)
    return df


def _engine_words(exc: BaseException, limit: int = 300) -> str:
    """The first line of a store error: the engine's code and words (never a payload value)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first[:limit]


class EventSink:
    def __init__(self, store: Store, *,
                 erasures: Callable[[], Mapping[str, str]] = dict,
                 max_backoff: float = 30.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 status: StatusBoard | None = None) -> None:
        self.store = store
        self.erasures = erasures
        self.max_backoff = max_backoff
        self.clock = clock
        self.status = status or StatusBoard()
        self.events_written = 0
        self.dead_letters_written = 0
        self.failed_writes = 0

    def _until_written(self, what: str, write: Callable[[], None]) -> None:
        """Run `write` until it returns; every store error is logged, counted and shown in the status.

        The stores raise unless the engine confirmed every row, so returning here means stored. A write
        that fails halfway is repeated whole: rows already in are keyed by what they describe, so the
        second copy replaces the first."""
        delay = 0.5
        failed = False
        while True:
            try:
                write()
                if failed:
                    log.info("writing %s succeeded again after the store fault; folding goes on", what)
                    self.status.set_state("folding")
                return
            except Exception as exc:  # the store is down or refused: keep the batch, retry, never ack
                failed = True
                self.failed_writes += 1
                reason = _engine_words(exc)
                log.error("writing %s failed (%s); retrying in %.1fs, offsets stay uncommitted", what, reason, delay)
                self.status.retrying(f"store write failed: {reason}; next try in {delay:.1f} s")
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    def write_prepared(self, prepared: Prepared) -> None:
        """Write a batch prepared by `streams.prepare` (Arrow IPC per table), with the same retry rule."""
        if not prepared.payloads:
            return

        def write_all() -> None:
            for table, payload in prepared.payloads.items():
                self.store.insert_arrow(table, payload)

        self._until_written(f"{prepared.events} events", write_all)
        self.events_written += prepared.events

    def write_dead_letters(self, letters: Sequence[tuple[DeadLetter, int, int]]) -> None:
        if not letters:
            return
        df = dead_letter_frame(letters, self.clock())
        self._until_written(f"{len(letters)} dead letters", lambda: self.store.insert_df(ddl.DEAD_LETTERS.name, df))
        self.dead_letters_written += len(letters)
