"""Resubmitting dead letters: one set of rules for `teamflow dead-letters resubmit` and the ops console.

`plan_resubmit` (dead_letter_log) sorts letters into now-valid events, still-invalid payloads and
import rejects. On top of that, nothing goes back into the events topic past a token's scope:

- a now-valid event keeps the source it was refused under: if decoding it today yields another
  source (a contract fix that normalises sources), it is held back, since its owner was checked
  against the old one;
- a letter refused at the HTTP door (`door == "api"`) is resubmitted only while an active token
  owns its source (a revoked token's rejects stay where they are; so do rejects whose source no
  token may write).

Letters from the Kafka door came from producers the broker admitted; no token applies to them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from schemas import Event, decode

from .dead_letter_log import Letter, ResubmitPlan, plan_resubmit
from .tokens import TokenStore


@dataclass
class Resubmission:
    """What a resubmission did (or, dry, would do)."""

    plan: ResubmitPlan
    records: list[tuple[bytes | str | None, bytes]] = field(default_factory=list)
    sent: list[Letter] = field(default_factory=list)
    out_of_scope: list[tuple[Letter, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def scope_reasons(self) -> Counter:
        return Counter(reason for _, reason in self.out_of_scope)


def scope_checker(tokens_file: Path | str | None) -> Callable[[str], bool]:
    """`may_write(source)`: does an active token own this source (tokens file re-read at each call)."""
    if tokens_file is None:
        return lambda source: False
    store = TokenStore.load(tokens_file)
    return lambda source: any(r.may_write(source) for r in store.records)


def out_of_scope(letter: Letter, event_source: str | None, may_write: Callable[[str], bool]) -> str | None:
    """Why this letter may not go back to the events topic, or None when it may."""
    dl = letter.letter
    source = event_source if event_source is not None else dl.source
    if event_source is not None and dl.source and event_source != dl.source:
        return (f"its source now reads {event_source!r}, not {dl.source!r} as when it was refused; "
                "resend it from its producer")
    if dl.door == "api" and not may_write(source):
        return f"no active token owns source {source!r}"
    return None


def prepare(letters: list[Letter], may_write: Callable[[str], bool], *, force: bool = False,
            dry_run: bool = False) -> Resubmission:
    """Decide what to send: now-valid letters within scope, plus (`force`) still-invalid ones within scope."""
    plan = plan_resubmit(letters)
    result = Resubmission(plan, dry_run=dry_run)
    for letter, key, value in plan.valid:
        decoded = decode(value)
        why = out_of_scope(letter, decoded.source if isinstance(decoded, Event) else None, may_write)
        if why:
            result.out_of_scope.append((letter, why))
        else:
            result.records.append((key, value))
            result.sent.append(letter)
    if force:
        for letter, _reason in plan.still_invalid:
            why = out_of_scope(letter, None, may_write)
            if why:
                result.out_of_scope.append((letter, why))
            else:
                result.records.append((letter.letter.source or None, letter.letter.raw))
                result.sent.append(letter)
    return result


def resubmit(letters: list[Letter], *, bootstrap_servers: str, events_topic: str, tokens_file: Path | str | None,
             force: bool = False, dry_run: bool = False) -> Resubmission:
    """`prepare`, then produce the records to the events topic (acknowledged) unless `dry_run`."""
    result = prepare(letters, scope_checker(tokens_file), force=force, dry_run=dry_run)
    if not dry_run and result.records:
        from streams.producer import make_producer, send_all

        producer = make_producer(bootstrap_servers)
        try:
            send_all(producer, events_topic, result.records)
        finally:
            producer.close(timeout=10)
    return result


def letters_from_rows(rows: list[dict]) -> list[Letter]:
    """Letters from `dead_letters` table rows (the ops console searches the table, the CLI the topic)."""
    from datetime import datetime

    from streams.dead_letters import DeadLetter

    out = []
    for r in rows:
        raw = r["raw"].encode("utf-8", "surrogateescape") if isinstance(r["raw"], str) else r["raw"]
        when = r.get("received_at")
        if when is not None and not isinstance(when, datetime):
            when = when.to_pydatetime() if hasattr(when, "to_pydatetime") else None
        dl = DeadLetter(raw=raw, code=r["code"], reason=r["reason"], door=r["door"], source=r.get("source", ""),
                        id=r.get("id", ""), type=r.get("type", ""), received_at=when)
        out.append(Letter(dl, 1, when, when, [(int(r.get("_partition", 0)), int(r.get("_offset", 0)))]))
    return out
