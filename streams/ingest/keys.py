"""The Kafka key of an event: its team when the event names one, else its subject, else its source.

Kafka partitions by key, so events of one team stay in order in one partition (the worker
scales out by partition, see docs/ARCHITECTURE). Events without a team in their data (most
types carry person ids, not teams) use `subject` (typically the deal id, so one deal's events
stay in order) and, without a subject, `source` (one producer's events stay in order).
Every door (HTTP API, importers) uses this one function; producers with kcat choose their own.
"""
from __future__ import annotations

from schemas import Event


def key_for(event: Event, team: str | None = None) -> bytes:
    """`team` overrides when the caller knows it (importers know the owner's team)."""
    t = team or getattr(event.data, "team", None)
    return (t or event.subject or event.source).encode("utf-8")


def key_for_parts(source: str | None, subject: str | None = None, team: str | None = None) -> bytes | None:
    k = team or subject or source
    return k.encode("utf-8") if k else None
