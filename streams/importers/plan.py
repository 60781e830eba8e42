"""Pure: CSV rows of one format -> CloudEvents bytes (validated by the contract) or reasoned rejects."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from schemas import InvalidEvent, encode_event

from .facts import RowError
from .formats import FORMATS, generic_required
from .mapping import ImportMapping


@dataclass(frozen=True)
class Planned:
    line: int
    events: list[tuple[bytes, bytes, str, str]]  # (kafka key, CloudEvent JSON, type, id)


@dataclass(frozen=True)
class Reject:
    line: int
    row: dict[str, str]
    code: str
    reason: str
    deal_id: str = ""

    def raw(self, file_name: str, kind: str) -> bytes:
        """The dead letter's payload: the row as read, with where it came from (deterministic)."""
        return json.dumps({"file": file_name, "kind": kind, "line": self.line, "row": self.row},
                          sort_keys=True, ensure_ascii=False).encode("utf-8")


def check_header(kind: str, header: list[str], mapping: ImportMapping) -> list[str]:
    """Required columns missing from the file's header (empty when the file fits the format)."""
    fmt = FORMATS[kind]
    required = generic_required(mapping) if kind == "csv" else fmt.required
    return [" or ".join(alts) for alts in required if not any(a in header for a in alts)]


def plan_rows(kind: str, rows: Iterable[tuple[int, dict[str, str]]], mapping: ImportMapping,
              source: str) -> Iterator[Planned | Reject]:
    """For each (line, row): the events it states, or why it cannot be imported."""
    fmt = FORMATS[kind]
    for line, row in rows:
        row = {k: v for k, v in row.items() if k is not None}  # extra cells without a header are dropped
        try:
            built = fmt.to_events(row, mapping)
            events = []
            for b in built:
                value = encode_event(b.type, b.data, source=source, id=b.id, time=b.time, subject=b.subject,
                                     extensions=b.extensions)
                events.append(((b.team or b.subject or source).encode("utf-8"), value, b.type, b.id))
        except RowError as exc:
            yield Reject(line, row, "invalid_row", str(exc), _deal_id(row))
        except InvalidEvent as exc:
            yield Reject(line, row, exc.rejection.code, exc.rejection.reason, _deal_id(row))
        else:
            yield Planned(line, events)


def _deal_id(row: dict[str, str]) -> str:
    for k in ("Opportunity ID", "Id", "OpportunityId", "Record ID"):
        if row.get(k):
            return row[k]
    return ""
