"""The write side of the worker: decoded events in, rows in ClickHouse out.

`EventSink.write` stores a batch's raw events and its projection rows. It retries until the
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
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import msgspec
import pandas as pd

from projections import ddl
from projections.erasure import erase
from projections.store import Store

from .dead_letters import DeadLetter

if TYPE_CHECKING:
    from .prepare import Prepared

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Positioned:
    """A decoded event with the Kafka position it was read from."""

    event: object  # schemas.Event
    partition: int
    offset: int


def forget(batch: Sequence[Positioned], tokens: Mapping[str, str]) -> Sequence[Positioned]:
    """The batch with erased people's identities removed (projections.erasure), positions kept."""
    if not tokens:
        return batch
    return [Positioned(e, p.partition, p.offset) for p, e in zip(batch, erase([p.event for p in batch], tokens))]


def raw_event_frame(batch: Sequence[Positioned], now: datetime) -> pd.DataFrame:
    encode = msgspec.json.encode
    cols: dict[str, list] = {name: [] for name in ddl.EVENTS.column_names}
    for p in batch:
        e = p.event
        cols["source"].append(e.source)
        cols["id"].append(e.id)
        cols["type"].append(e.type)
        cols["version"].append(e.version)
        cols["time"].append(e.time)
        cols["subject"].append(e.subject or "")
        cols["data"].append(encode(e.data).decode())
        cols["_partition"].append(p.partition)
        cols["_offset"].append(p.offset)
    cols["_ingested_at"] = [now] * len(batch)
    cols["_version"] = [ddl.first_copy_version(p.partition, p.offset) for p in batch]
    df = pd.DataFrame(cols)
    df["time"] = pd.to_datetime(df["time"], utc=True)
    return df


def dead_letter_frame(letters: Sequence[tuple[DeadLetter, int, int]], now: datetime) -> pd.DataFrame:
    rows = [
        (dl.fingerprint, dl.received_at or now, dl.door, dl.source, dl.id, dl.type, dl.code, dl.reason,
         dl.raw.decode("utf-8", "replace"), partition, offset)
        for dl, partition, offset in letters
    ]
    df = pd.DataFrame.from_records(rows, columns=ddl.DEAD_LETTERS.column_names)
    df["received_at"] = pd.to_datetime(df["received_at"], utc=True)
    return df


class EventSink:
    def __init__(self, store: Store, project: Callable[[list], dict[str, pd.DataFrame]], *,
                 erasures: Callable[[], Mapping[str, str]] = dict,
                 max_backoff: float = 30.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.store = store
        self.project = project
        self.erasures = erasures
        self.max_backoff = max_backoff
        self.clock = clock
        self.events_written = 0
        self.dead_letters_written = 0

    def _until_written(self, what: str, write: Callable[[], None]) -> None:
        delay = 0.5
        while True:
            try:
                write()
                return
            except Exception:  # the store is down or refused: keep the batch, retry, never ack
                log.exception("writing %s failed; retrying in %.1fs (offsets stay uncommitted)", what, delay)
                time.sleep(delay)
                delay = min(delay * 2, self.max_backoff)

    def write(self, batch: Sequence[Positioned]) -> None:
        if not batch:
            return
        batch = forget(batch, self.erasures())
        now = self.clock()
        frames = {ddl.EVENTS.name: raw_event_frame(batch, now)}
        frames.update(self.project([p.event for p in batch]))

        def write_all() -> None:
            for table, df in frames.items():
                self.store.insert_df(table, df)

        self._until_written(f"{len(batch)} events", write_all)
        self.events_written += len(batch)

    def write_prepared(self, prepared: "Prepared") -> None:
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
