"""Information sharing projection: artifacts shared (one row per artifact) and every reuse."""
from __future__ import annotations

from typing import Any

from schemas.events import knowledge

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


def _shared(d: Any) -> Rows:
    return ((KNOWLEDGE_SHARED, {"artifact_id": d.artifact_id, "author": d.author, "kind": d.kind,
                                "title": d.title, "deal_id": s(d.deal_id), "audience": d.audience}),)


def _reused(d: Any) -> Rows:
    return ((KNOWLEDGE_REUSES, {"artifact_id": d.artifact_id, "user": d.user, "deal_id": s(d.deal_id)}),)


TABLES = (KNOWLEDGE_SHARED, KNOWLEDGE_REUSES)
MAPPERS = {
    knowledge.KnowledgeSharedV1: _shared,
    knowledge.KnowledgeReusedV1: _reused,
}
