"""The write side of the worker: decoded events in, rows in ClickHouse out.

`EventSink.write_prepared` stores a batch's raw events and its projection rows, as the prepare
step (`streams.fold.prepare`, decode + erasure + row mappers + Arrow) encoded them. It retries until the
store takes the batch (with backoff, logging each failure) and only then returns, because the
caller acknowledges the batch's offsets when it returns: a batch is either written and then
committed, or not committed and redelivered. Every table is keyed by the identity of what a
row describes, so a redelivered batch writes the same rows again and changes nothing.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Sequence

from projections import activity, ddl, resolved
from projections.arrow import arrow_table
from projections.project import Positioned, encode
from projections.rows import epoch_ms
from projections.store import Store

from ..dead_letters import DeadLetter
from .status import StatusBoard
from .prepare import Prepared
from .store_refusal import UNKNOWN_TRIES, StoreRefused, classify, error_label

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)


def dead_letter_table(letters: Sequence[tuple[DeadLetter, int, int]], now: datetime) -> "pa.Table":
    """The `dead_letters` rows of (letter, partition, offset) triples, as the store's one insert takes them."""
    columns = {
        "fingerprint": [dl.fingerprint for dl, _, _ in letters],
        "received_at": [epoch_ms(dl.received_at or now) for dl, _, _ in letters],
        "door": [dl.door for dl, _, _ in letters],
        "source": [dl.source for dl, _, _ in letters],
        "id": [dl.id for dl, _, _ in letters],
        "type": [dl.type for dl, _, _ in letters],
        "code": [dl.code for dl, _, _ in letters],
        "reason": [dl.reason for dl, _, _ in letters],
        "raw": [dl.raw.decode("utf-8", "replace") for dl, _, _ in letters],
        "_partition": [partition for _, partition, _ in letters],
        "_offset": [offset for _, _, offset in letters],
    }
    return arrow_table(ddl.DEAD_LETTERS, [columns[name] for name in ddl.DEAD_LETTERS.column_names])


def _engine_words(exc: BaseException, limit: int = 300) -> str:
    """The first line of a store error: the engine's code and words (never a payload value)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first[:limit]


class EventSink:
    def __init__(self, store: Store, *, max_backoff: float = 30.0, status: StatusBoard | None = None) -> None:
        self.store = store
        self.max_backoff = max_backoff
        self.status = status or StatusBoard()
        self.events_written = 0
        self.dead_letters_written = 0
        self.failed_writes = 0
        self.writing = ""  # the table being written, named in a refusal

    def _until_written(self, what: str, write: Callable[[], None], refusable: bool = False) -> None:
        """Run `write` until it returns; every store error is logged, counted and shown in the status.

        The stores raise unless the engine confirmed every row, so returning here means stored. A write
        that fails halfway is repeated whole: rows already in are keyed by what they describe, so the
        second copy replaces the first. `refusable`: a data error (`streams.fold.store_refusal`) raises
        `StoreRefused` at once, an unknown one after `UNKNOWN_TRIES` failures in a row; `write` names
        the table it was writing in `self.writing`."""
        delay = 0.5
        failed = False
        unknown = 0
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
                kind = classify(str(exc))
                unknown = unknown + 1 if kind == "unknown" else 0
                if refusable and (kind == "data" or unknown >= UNKNOWN_TRIES):
                    label = error_label(str(exc))
                    log.error("writing %s refused by the store (%s: %s); looking for the refused events",
                              what, kind, label)
                    raise StoreRefused(self.writing, kind, label) from exc
                log.error("writing %s failed (%s); retrying in %.1fs, offsets stay uncommitted", what, reason, delay)
                self.status.retrying(f"store write failed: {reason}; next try in {delay:.1f} s")
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    def write_prepared(self, prepared: Prepared, refusable: bool = False) -> None:
        """Write a batch prepared by `streams.fold.prepare` (an Arrow table per stored table), with the same retry
        rule; `refusable`: raise `StoreRefused` when the store refuses the batch's data (see `_until_written`)."""
        if not prepared.tables:
            return

        touched = resolved.touched(prepared.tables)

        def write_all() -> None:
            for name, table in prepared.tables.items():
                self.writing = name
                self.store.insert_arrow(name, table)
            self.writing = "resolved entity rows"
            resolved.refresh(self.store, touched)  # before the offsets are committed: part of the write

        self._until_written(f"{prepared.events} events", write_all, refusable)
        self.events_written += prepared.events
        activity.written(self.store)  # the pages' refresher looks at once, not at its next poll

    def write_dead_letters(self, letters: Sequence[tuple[DeadLetter, int, int]]) -> None:
        if not letters:
            return
        table = dead_letter_table(letters, datetime.now(timezone.utc))
        self._until_written(f"{len(letters)} dead letters",
                            lambda: self.store.insert_arrow(ddl.DEAD_LETTERS.name, table))
        self.dead_letters_written += len(letters)
        activity.written(self.store)


def store_events(store: Store, positioned: Sequence[Positioned], now_ms: int) -> int:
    """Encode decoded events and insert every table, as the worker's write does (without its retry):
    for writers that start from decoded events (benchmarks, tests). Returns the events stored."""
    tables = encode(positioned, now_ms)
    for name, table in tables.items():
        store.insert_arrow(name, table)
    resolved.refresh(store, resolved.touched(tables))
    activity.written(store)
    return len(positioned)
