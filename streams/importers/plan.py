"""Pure: CSV rows of one format -> CloudEvents bytes (validated by the contract) or reasoned rejects."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from schemas import InvalidEvent, encode_event

from .facts import RowError
from .footers import split_footers
from .formats import FORMATS, generic_required
from .identity import FIX, IdentityIndex, Match, Origin, ambiguous_keys, row_digest
from .mapping import ImportMapping

AMBIGUOUS = ("Account Name, Opportunity Name and Created Date are the same as on another row with different "
             f"values, so the two opportunities cannot be told apart: {FIX}")


@dataclass(frozen=True)
class Planned:
    line: int
    events: list[tuple[bytes, bytes, str, str]]  # (kafka key, CloudEvent JSON, type, id)
    match: Match | None = None  # the deal was already stated by another export (see `identity`)


@dataclass(frozen=True)
class Footer:
    line: int
    kind: str


@dataclass(frozen=True)
class Reject:
    line: int
    row: dict[str, str]
    code: str
    reason: str
    deal_id: str = ""
    detail: str = ""  # appended to the reason in the rejects file and the dead letter (e.g. the other lines)

    def raw(self, file_name: str, kind: str) -> bytes:
        """The dead letter's payload: the row as read, with where it came from (deterministic)."""
        return json.dumps({"file": file_name, "kind": kind, "line": self.line, "row": self.row},
                          sort_keys=True, ensure_ascii=False).encode("utf-8")


def check_header(kind: str, header: list[str], mapping: ImportMapping) -> list[str]:
    """Required columns missing from the file's header (empty when the file fits the format)."""
    fmt = FORMATS[kind]
    required = generic_required(mapping) if kind == "csv" else fmt.required
    return [" or ".join(alts) for alts in required if not any(a in header for a in alts)]


def find_ambiguous(kind: str, rows: Iterable[tuple[int, dict[str, str]]], mapping: ImportMapping) -> dict[str, list[int]]:
    """First pass over a file: identity keys of rows without record id that differ (see `identity`)."""
    fmt = FORMATS[kind]
    if fmt.identity is None:
        return {}
    seen = []
    for line, row, footer in split_footers(rows):
        if footer:
            continue
        row = {k: v for k, v in row.items() if k is not None}
        try:
            ident = fmt.identity(row, mapping)
        except RowError:
            continue  # refused with its reason in the second pass
        if ident.key and not ident.record_id:
            seen.append((line, ident.key, row_digest(row)))
    return ambiguous_keys(seen)


def plan_rows(kind: str, rows: Iterable[tuple[int, dict[str, str]]], mapping: ImportMapping,
              source: str, *, index: IdentityIndex | None = None, ambiguous: dict[str, list[int]] | None = None,
              file_name: str = "") -> Iterator[Planned | Reject | Footer]:
    """For each (line, row): the events it states, why it cannot be imported, or that it is a footer."""
    fmt = FORMATS[kind]
    index = index if index is not None else IdentityIndex()
    ambiguous = ambiguous or {}
    for line, row, footer in split_footers(rows):
        if footer:
            yield Footer(line, footer)
            continue
        row = {k: v for k, v in row.items() if k is not None}  # extra cells without a header are dropped
        try:
            resolved = None
            if fmt.identity is not None:
                ident = fmt.identity(row, mapping)
                if ident.key in ambiguous and not ident.record_id:
                    others = ", ".join(str(n) for n in ambiguous[ident.key] if n != line)
                    yield Reject(line, row, "ambiguous_identity", AMBIGUOUS, _deal_id(row), f" (lines {others})")
                    continue
                if ident.record_id or ident.key:
                    resolved = index.resolve(ident, Origin(kind, file_name, line))
            built = fmt.to_events(row, mapping, resolved)
            events = []
            for b in built:
                value = encode_event(b.type, b.data, source=source, id=b.id, time=b.time, subject=b.subject,
                                     extensions=b.extensions)
                events.append(((b.team or b.subject or source).encode("utf-8"), value, b.type, b.id))
        except RowError as exc:
            index.rollback()
            yield Reject(line, row, "invalid_row", str(exc), _deal_id(row))
        except InvalidEvent as exc:
            index.rollback()
            yield Reject(line, row, exc.rejection.code, exc.rejection.reason, _deal_id(row))
        else:
            index.commit()
            yield Planned(line, events, resolved.match if resolved else None)


def _deal_id(row: dict[str, str]) -> str:
    for k in ("Opportunity ID", "Id", "OpportunityId", "Record ID"):
        if row.get(k):
            return row[k]
    return ""
