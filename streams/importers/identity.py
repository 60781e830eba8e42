"""Pure: which deal a Salesforce row is, when the export carries the record id and when it does not.

A row names its opportunity by the record id (`Opportunity ID`, `Id`, `OpportunityId`) when the
export has one. A report export without that column only offers what a person sees: account,
opportunity name and created date. Those three make the row's *identity key*
(`identity_key`, whitespace collapsed and case folded, the created date as a day); the deal id
derived from it is `sf-` + a hash of the key (`derived_deal_id`).

Two rules keep two records from ever becoming one deal:

- In one file, rows with the same key but different cells are two opportunities the export
  cannot tell apart: `ambiguous_keys` finds them before anything is produced, and the importer
  refuses them (the fix: add the Opportunity ID column to the report).
- Across files and export kinds, an `IdentityIndex` remembers every deal an import stated: its
  id, its opening time, its key, and where it came from. The first import of a deal fixes its id
  and opening time; a later export of another kind of the same deal (same key) reuses both, so
  its events get the same ids and are stored once. A record id first seen after its deal was
  imported without ids becomes an alias of the derived id (`aliases`), so history exports keyed
  by the record id land on the same deal. Every such match is reported, never silent.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from .facts import RowError

DERIVED_PREFIX = "sf-"
FIX = "add the Opportunity ID column to the report and export it again"


def _norm(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def identity_key(account: str, name: str, created_day: str) -> str:
    """Digest of (account, opportunity name, created day); the same for a report and a Data Loader row."""
    h = hashlib.sha256()
    for part in (_norm(account), _norm(name), created_day):
        b = part.encode("utf-8")
        h.update(len(b).to_bytes(4, "big"))
        h.update(b)
    return h.hexdigest()[:32]


def derived_deal_id(key: str) -> str:
    return DERIVED_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]


def is_derived(deal_id: str) -> bool:
    return deal_id.startswith(DERIVED_PREFIX)


@dataclass(frozen=True)
class RowIdentity:
    """What a row says about which opportunity it is. `key` is '' when account or name is missing."""

    record_id: str
    key: str
    opened: datetime | None = None


@dataclass(frozen=True)
class Origin:
    """Where the index learned a deal: export kind, file name, line."""

    kind: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.kind} {self.file} line {self.line}"


@dataclass(frozen=True)
class Match:
    """A row matched to a deal an earlier import (or an earlier row of another kind) stated."""

    line: int
    deal_id: str
    origin: Origin
    how: str  # "same account, name and created date" | "record id known as an alias" | "possible duplicate"


@dataclass(frozen=True)
class Resolved:
    """The deal id a row's events use, the opening time to use (None: the row's own), and any match."""

    deal_id: str
    opened: datetime | None = None
    match: Match | None = None


@dataclass
class _Deal:
    opened: str
    key: str
    origin: Origin


@dataclass
class IdentityIndex:
    """Deals stated by imports (by id), their keys, and record-id aliases; records to persist in `pending`."""

    deals: dict[str, _Deal] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)
    pending: list[tuple[bytes, bytes]] = field(default_factory=list)
    _staged: list = field(default_factory=list, repr=False)

    # ------------------------------------------------------------ persistence (records of a compacted topic)
    def apply(self, key: bytes, value: bytes | None) -> None:
        """Load one record (the latest per key wins, as in a compacted topic)."""
        k = key.decode("utf-8")
        if value is None:
            return
        v = json.loads(value)
        if k.startswith("d:"):
            deal_id = k[2:]
            self._add(deal_id, _Deal(v["opened"], v["key"], Origin(v["kind"], v["file"], int(v["line"]))))
        elif k.startswith("a:"):
            self.aliases[k[2:]] = v["deal_id"]

    def _add(self, deal_id: str, deal: _Deal) -> None:
        old = self.deals.get(deal_id)
        if old is not None and old.key and deal_id in self.by_key.get(old.key, []):
            self.by_key[old.key].remove(deal_id)
        self.deals[deal_id] = deal
        if deal.key:
            self.by_key.setdefault(deal.key, []).append(deal_id)

    def _claim(self, deal_id: str, key: str, opened: datetime | None, origin: Origin) -> None:
        if deal_id in self.deals or opened is None:
            return
        deal = _Deal(opened.isoformat(), key, origin)
        record = ((f"d:{deal_id}").encode(), json.dumps(
            {"opened": deal.opened, "key": key, "kind": origin.kind, "file": origin.file, "line": origin.line},
            sort_keys=True).encode())
        self._staged.append((lambda: self._add(deal_id, deal), record))

    def _alias(self, record_id: str, deal_id: str) -> None:
        record = ((f"a:{record_id}").encode(), json.dumps({"deal_id": deal_id}).encode())
        self._staged.append((lambda: self.aliases.__setitem__(record_id, deal_id), record))

    def commit(self) -> None:
        """Keep what the last `resolve` learned (its row became events) and queue it for persisting."""
        for apply, record in self._staged:
            apply()
            self.pending.append(record)
        self._staged.clear()

    def rollback(self) -> None:
        """Forget what the last `resolve` learned (its row was refused)."""
        self._staged.clear()

    def _opened(self, deal_id: str) -> datetime | None:
        deal = self.deals.get(deal_id)
        return datetime.fromisoformat(deal.opened) if deal else None

    # ------------------------------------------------------------ resolution
    def resolve(self, ident: RowIdentity, origin: Origin) -> Resolved:
        """The deal this row is; what it learns is staged until `commit` (or dropped by `rollback`).

        Raises RowError when a row without a record id matches several deals of the index.
        """
        return self._by_record(ident, origin) if ident.record_id else self._by_key(ident, origin)

    def _by_record(self, ident: RowIdentity, origin: Origin) -> Resolved:
        rid = ident.record_id
        if rid in self.aliases:
            deal_id = self.aliases[rid]
            known = self.deals.get(deal_id)
            match = Match(origin.line, deal_id, known.origin, "record id known as an alias") if known else None
            return Resolved(deal_id, self._opened(deal_id), match)
        if rid in self.deals or not ident.key:
            self._claim(rid, ident.key, ident.opened, origin)
            return Resolved(rid, self._opened(rid))
        same = [d for d in self.by_key.get(ident.key, []) if d != rid]
        derived = [d for d in same if is_derived(d)]
        if len(derived) == 1 and len(same) == 1:
            deal_id = derived[0]
            self._alias(rid, deal_id)
            return Resolved(deal_id, self._opened(deal_id),
                            Match(origin.line, deal_id, self.deals[deal_id].origin,
                                  "same account, name and created date"))
        self._claim(rid, ident.key, ident.opened, origin)
        match = (Match(origin.line, same[0], self.deals[same[0]].origin, "possible duplicate") if same else None)
        return Resolved(rid, self._opened(rid), match)

    def _by_key(self, ident: RowIdentity, origin: Origin) -> Resolved:
        same = self.by_key.get(ident.key, [])
        if len(same) > 1:
            raise RowError(f"Account Name, Opportunity Name and Created Date match {len(same)} opportunities "
                           f"imported before: {FIX}")
        if same:
            deal_id = same[0]
            match = None if is_derived(deal_id) else Match(origin.line, deal_id, self.deals[deal_id].origin,
                                                           "same account, name and created date")
            return Resolved(deal_id, self._opened(deal_id), match)
        deal_id = derived_deal_id(ident.key)
        self._claim(deal_id, ident.key, ident.opened, origin)
        return Resolved(deal_id, self._opened(deal_id))


def row_digest(row: dict[str, str]) -> str:
    """The row's cells (header order), hashed: equal digests = the same row exported twice."""
    h = hashlib.sha256()
    for k, v in row.items():
        h.update(f"{k}\x00{(v or '').strip()}\x01".encode("utf-8"))
    return h.hexdigest()[:32]


def ambiguous_keys(rows: list[tuple[int, str, str]]) -> dict[str, list[int]]:
    """(line, identity key, row digest) of rows without record id -> keys whose rows differ, with their lines."""
    digests: dict[str, set[str]] = {}
    lines: dict[str, list[int]] = {}
    for line, key, digest in rows:
        digests.setdefault(key, set()).add(digest)
        lines.setdefault(key, []).append(line)
    return {k: lines[k] for k, d in digests.items() if len(d) > 1}
