"""Read and resubmit dead letters from the dead-letter Kafka topic (the source of truth for them).

The `dead_letters` table is a projection of this topic; with embedded chDB only the worker may
open it, so operators' commands read the topic itself: a throwaway consumer (no group, nothing
committed) assigned to every partition reads from the beginning to the end offsets seen at start.

Resubmitting validates each payload against the current contract first (after a fix to the
contract or to a producer's mapping, most become valid): valid ones are produced to the events
topic unchanged (same `(source, id)`, so resubmitting twice, or an event that had meanwhile
arrived, stores it once). Still-invalid ones are reported and left alone unless `force`: then
they go to the events topic too and the worker dead-letters them again with door "kafka" (the
same fingerprint every time after the first, so the table does not grow). Import rejects are
CSV rows, not events: fix the mapping and re-import the file instead.
"""
from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

from schemas import Event, decode
from streams.dead_letters import DeadLetter, from_headers
from streams.topic_reader import read_to_end

from .keys import key_for


@dataclass(frozen=True)
class Filters:
    source: str | None = None  # exact, or a glob with * (e.g. //crm/*)
    reason: str | None = None  # case-insensitive substring of the reason
    door: str | None = None
    code: str | None = None

    def match(self, dl: DeadLetter) -> bool:
        if self.source and not (dl.source == self.source or fnmatch.fnmatchcase(dl.source, self.source)):
            return False
        if self.reason and self.reason.lower() not in dl.reason.lower():
            return False
        if self.door and dl.door != self.door:
            return False
        return not (self.code and dl.code != self.code)


@dataclass
class Letter:
    """One dead letter (by fingerprint) with how often it was refused and when."""

    letter: DeadLetter
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    positions: list[tuple[int, int]] = field(default_factory=list)

    def as_dict(self) -> dict:
        dl = self.letter
        return {"fingerprint": dl.fingerprint, "door": dl.door, "code": dl.code, "reason": dl.reason,
                "source": dl.source, "id": dl.id, "type": dl.type, "count": self.count,
                "first_seen": self.first_seen.isoformat() if self.first_seen else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "raw": dl.raw.decode("utf-8", "replace")}


def read_topic(bootstrap_servers: str, topic: str, *, timeout: float = 30.0) -> Iterator[tuple[DeadLetter, int, int]]:
    """Every record of the dead-letter topic, from the beginning to the end offsets seen at start."""
    for r in read_to_end(bootstrap_servers, topic, client_id="teamflow-dead-letters", timeout=timeout):
        yield from_headers(r.value or b"", list(r.headers or [])), r.partition, r.offset


def collect(records, filters: Filters) -> list[Letter]:
    """Group by fingerprint (the same refusal repeated is one dead letter, counted), oldest first."""
    out: dict[str, Letter] = {}
    for dl, partition, offset in records:
        if not filters.match(dl):
            continue
        fp = dl.fingerprint
        letter = out.get(fp)
        if letter is None:
            letter = out[fp] = Letter(dl, 0, dl.received_at, dl.received_at)
        letter.count += 1
        letter.positions.append((partition, offset))
        if dl.received_at:
            letter.first_seen = min(filter(None, (letter.first_seen, dl.received_at)))
            letter.last_seen = max(filter(None, (letter.last_seen, dl.received_at)))
    return list(out.values())


@dataclass
class ResubmitPlan:
    valid: list[tuple[Letter, bytes, bytes]] = field(default_factory=list)  # (letter, key, value)
    still_invalid: list[tuple[Letter, str]] = field(default_factory=list)
    not_events: list[Letter] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)


def plan_resubmit(letters: list[Letter]) -> ResubmitPlan:
    plan = ResubmitPlan()
    for letter in letters:
        dl = letter.letter
        if dl.door == "import":
            plan.not_events.append(letter)
            continue
        result = decode(dl.raw)
        if isinstance(result, Event):
            plan.valid.append((letter, key_for(result), dl.raw))
        else:
            plan.still_invalid.append((letter, result.reason))
            plan.reasons[f"{result.code}: {result.reason}"] += 1
    return plan
