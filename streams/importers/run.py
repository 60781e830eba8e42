"""The importer's I/O: read the CSV, show progress, produce events, write rejects, dead-letter them.

Events go to the events topic (kafka-python, acks=all, idempotent) in chunks; each chunk is
acknowledged before the next is read, so an interrupted import is resumed by running it again
(ids are deterministic; what was already produced is deduplicated downstream). Rejected rows go
to a rejects CSV (the row as read, plus `_line`, `_code` and `_reason`) and to the dead-letter
topic with door "import" (value: the row as JSON with file name, kind and line).
"""
from __future__ import annotations

import csv
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TextIO

from streams.dead_letters import DeadLetter

from .formats import FORMATS
from .identity import IdentityIndex, Match
from .mapping import ImportMapping
from .index_topic import ensure_index_topic, load_index, topic_for
from .plan import Footer, Planned, Reject, check_header, find_ambiguous, plan_rows

CHUNK = 5000


class ImportFailed(RuntimeError):
    """The file as a whole cannot be imported (unreadable, wrong format, missing columns)."""


@dataclass
class Summary:
    kind: str
    file: str
    source: str
    rows_read: int = 0
    events: Counter = field(default_factory=Counter)
    duplicates_in_file: int = 0
    rejected: Counter = field(default_factory=Counter)
    footers: Counter = field(default_factory=Counter)
    matches: list[Match] = field(default_factory=list)
    ambiguous: list[list[int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejects_path: str | None = None
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def events_produced(self) -> int:
        return sum(self.events.values())

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def render(self) -> str:
        label = "events to produce:" if self.dry_run else "events produced:"
        lines = [f"import {self.kind} {self.file} (source {self.source}){' [dry run]' if self.dry_run else ''}",
                 f"  rows read:          {self.rows_read:,}"
                 + (f" ({self.rows_read - sum(self.footers.values()):,} data, {sum(self.footers.values()):,} footer)"
                    if self.footers else ""),
                 f"  {label:<19} {self.events_produced:,}"
                 + "".join(f"\n    {t}: {n:,}" for t, n in sorted(self.events.items())),
                 f"  repeated in file:   {self.duplicates_in_file:,} (same event id twice; produced once)",
                 f"  rows rejected:      {self.rows_rejected:,}"]
        for reason, n in self.rejected.most_common():
            lines.append(f"    {n:,} x {reason}")
        for group in self.ambiguous[:20]:
            lines.append(f"    cannot tell apart: lines {', '.join(map(str, group))}")
        lines.append(f"  footer rows:        {sum(self.footers.values()):,} (not data; not rejected)"
                     + "".join(f"\n    {n:,} x {k}" for k, n in self.footers.most_common()))
        same = [m for m in self.matches if m.how != "possible duplicate"]
        maybe = [m for m in self.matches if m.how == "possible duplicate"]
        lines.append(f"  matched to deals of another export: {len(same):,} (same deal id and events: not counted twice)")
        lines += [f"    line {m.line} = deal {m.deal_id} from {m.origin} ({m.how})" for m in same[:50]]
        lines.append(f"  possible duplicates: {len(maybe):,} (another record id has the same account, name and "
                     "created date; imported as its own deal, check in the CRM)")
        lines += [f"    line {m.line} ~ deal {m.deal_id} from {m.origin}" for m in maybe[:50]]
        lines += [f"  note: {n}" for n in self.notes]
        if self.rejects_path and self.rows_rejected:
            lines.append(f"  rejects written to {self.rejects_path}"
                         + ("" if self.dry_run else " and to the dead-letter topic (door 'import')"))
        lines.append(f"  took {self.seconds:.1f}s")
        return "\n".join(lines)


def progress_printer(label: str, stream: TextIO = sys.stderr, every: float = 0.5) -> Callable[[int, int, bool], None]:
    """Plain stderr progress: rows done of (about) total, rate; redrawn at most every `every` seconds."""
    start, last = time.monotonic(), [0.0]

    def show(done: int, total: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - last[0] < every:
            return
        last[0] = now
        pct = min(100.0, 100.0 * done / total) if total else 100.0
        width = 30
        bar = "#" * int(width * pct / 100)
        rate = done / (now - start) if now > start else 0.0
        stream.write(f"\r{label} [{bar:<{width}}] {done:,}/{total:,} rows {pct:5.1f}% {rate:,.0f} rows/s")
        if final:
            stream.write("\n")
        stream.flush()

    return show


def _count_rows(path: Path) -> int:
    with open(path, "rb") as f:
        n = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return max(0, n - 1)


def run_import(kind: str, path: Path | str, mapping: ImportMapping, *, bootstrap_servers: str | None,
               events_topic: str, dead_letter_topic: str, source: str | None = None, dry_run: bool = False,
               rejects_path: Path | str | None = None, progress: bool = True, producer=None,
               identity_topic: str | None = None, index: IdentityIndex | None = None) -> Summary:
    """Import one file; see the module docstring. `index`: an identity index already loaded (tests);
    otherwise it is read from `identity_topic` (default `<events topic>.import-identities`)."""
    fmt = FORMATS[kind]
    path = Path(path)
    source = source or mapping.source or fmt.default_source
    if not source:
        raise ImportFailed("no CloudEvent source: give --source or `source:` in the mapping file")
    rejects_path = Path(rejects_path) if rejects_path else path.with_name(path.name + ".rejects.csv")
    summary = Summary(kind, path.name, source, rejects_path=str(rejects_path), dry_run=dry_run)
    started = time.monotonic()
    show = progress_printer(f"import {kind}") if progress else (lambda *a, **k: None)
    total = _count_rows(path)
    own_producer = False
    if not dry_run and producer is None:
        from streams.producer import make_producer

        producer = make_producer(bootstrap_servers)
        own_producer = True
    identity_topic = identity_topic or topic_for(events_topic)
    if index is None and FORMATS[kind].identity is not None:
        index = _load_index(bootstrap_servers, identity_topic, dry_run, summary)
    index = index if index is not None else IdentityIndex()
    seen: set[str] = set()
    chunk: list[tuple[bytes, bytes]] = []
    letters: list[DeadLetter] = []
    rejects_file = None
    writer = None
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = check_header(kind, header, mapping)
            if missing:
                raise ImportFailed(f"{path.name} is not a {kind} export: missing column(s) {', '.join(missing)}; "
                                   f"found: {', '.join(header) or '(empty file)'}")
            ambiguous = find_ambiguous(kind, ((reader.line_num, row) for row in reader), mapping)
            summary.ambiguous = sorted(ambiguous.values())
            f.seek(0)
            reader = csv.DictReader(f)
            rows = ((reader.line_num, row) for row in reader)
            for item in plan_rows(kind, rows, mapping, source, index=index, ambiguous=ambiguous,
                                  file_name=path.name):
                summary.rows_read += 1
                if isinstance(item, Footer):
                    summary.footers[item.kind] += 1
                    continue
                if isinstance(item, Planned):
                    if item.match:
                        summary.matches.append(item.match)
                    for key, value, type_, id_ in item.events:
                        if id_ in seen:
                            summary.duplicates_in_file += 1
                            continue
                        seen.add(id_)
                        summary.events[type_] += 1
                        chunk.append((key, value))
                else:
                    assert isinstance(item, Reject)
                    summary.rejected[item.reason] += 1
                    if writer is None:
                        rejects_file = open(rejects_path, "w", newline="", encoding="utf-8")
                        writer = csv.DictWriter(rejects_file, fieldnames=["_line", "_code", "_reason", *header],
                                                extrasaction="ignore")
                        writer.writeheader()
                    writer.writerow({"_line": item.line, "_code": item.code, "_reason": item.reason + item.detail,
                                     **item.row})
                    letters.append(DeadLetter(raw=item.raw(path.name, kind), code=item.code,
                                              reason=f"{kind} line {item.line}: {item.reason}{item.detail}",
                                              door="import",
                                              source=source, id=item.deal_id, type=""))
                if len(chunk) >= CHUNK:
                    _flush(producer, events_topic, dead_letter_topic, chunk, letters, dry_run, identity_topic, index)
                show(summary.rows_read, max(total, summary.rows_read))
        _flush(producer, events_topic, dead_letter_topic, chunk, letters, dry_run, identity_topic, index)
        show(summary.rows_read, summary.rows_read, True)
    finally:
        if rejects_file:
            rejects_file.close()
        if own_producer:
            producer.close(timeout=10)
    summary.seconds = time.monotonic() - started
    return summary


def _load_index(bootstrap_servers: str | None, topic: str, dry_run: bool, summary: Summary) -> IdentityIndex:
    """The identity index from Kafka; a dry run without a reachable broker goes on without it (and says so)."""
    try:
        if not dry_run:
            ensure_index_topic(bootstrap_servers, topic)
        return load_index(bootstrap_servers, topic, timeout=10.0 if dry_run else 30.0)
    except Exception as exc:  # noqa: BLE001 - kafka-python raises many kinds
        if not dry_run:
            raise ImportFailed(f"cannot read the import identity index {topic}: {type(exc).__name__}") from exc
        summary.notes.append(f"identity index {topic} not read ({type(exc).__name__}): "
                             "matches with earlier imports were not checked")
        return IdentityIndex()


def _flush(producer, events_topic: str, dead_letter_topic: str, chunk: list, letters: list[DeadLetter],
           dry_run: bool, identity_topic: str = "", index: IdentityIndex | None = None) -> None:
    """Index records first (acknowledged), then events, then dead letters: the index never misses a deal."""
    if not dry_run and index is not None and index.pending:
        from streams.producer import send_all

        send_all(producer, identity_topic, list(index.pending))
    if index is not None:
        index.pending.clear()
    if not dry_run and (chunk or letters):
        from streams.producer import send_all

        if chunk:
            send_all(producer, events_topic, chunk)
        futures = [producer.send(dead_letter_topic, key=dl.source.encode() or None, value=dl.raw,
                                 headers=dl.headers()) for dl in letters]
        producer.flush()
        for fut in futures:
            fut.get(timeout=30)  # raises if the broker did not acknowledge
    chunk.clear()
    letters.clear()
