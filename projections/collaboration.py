"""Collaboration projection: who joined a deal beyond its owner, and when."""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table

DEAL_COLLABORATORS = fact_table(
    "deal_collaborators",
    (("deal_id", "String"), ("person", "String"), ("role", "LowCardinality(String)")),
    ("deal_id", "person", "source", "event_id"),
    comment="deal.collaborator_added, one row per event; queries take each person's first time",
)


def _added(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[DEAL_COLLABORATORS.name].append((d.deal_id, d.person, d.role, ms, e.source, e.id))


TABLES = (DEAL_COLLABORATORS,)
MAPPERS = {"teamflow.deal.collaborator_added": _added}
