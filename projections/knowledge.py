"""Information sharing projection: artifacts shared (one row per artifact) and every reuse."""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table, s

KNOWLEDGE_SHARED = fact_table(
    "knowledge_shared",
    (
        ("artifact_id", "String"),
        ("author", "String"),
        ("kind", "LowCardinality(String)"),
        ("title", "String"),
        ("deal_id", "String"),
        ("audience", "LowCardinality(String)"),
    ),
    ("artifact_id",),
    latest_wins=True,
)
KNOWLEDGE_REUSES = fact_table(
    "knowledge_reuses",
    (("artifact_id", "String"), ("user", "String"), ("deal_id", "String")),
    ("artifact_id", "user", "source", "event_id"),
    comment="knowledge.reused, one row per event; a reuse before its artifact is known still joins later",
)


def _shared(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[KNOWLEDGE_SHARED.name].append(
        (d.artifact_id, d.author, d.kind, d.title, s(d.deal_id), d.audience, ms, e.source, e.id)
    )


def _reused(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[KNOWLEDGE_REUSES.name].append((d.artifact_id, d.user, s(d.deal_id), ms, e.source, e.id))


TABLES = (KNOWLEDGE_SHARED, KNOWLEDGE_REUSES)
MAPPERS = {
    "teamflow.knowledge.shared": _shared,
    "teamflow.knowledge.reused": _reused,
}
