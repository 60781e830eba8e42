"""Collaboration projection: who joined a deal beyond its owner, and when."""
from __future__ import annotations

from typing import Any

from schemas.events import deal

from .rows import Rows, fact_table

DEAL_COLLABORATORS = fact_table(
    "deal_collaborators",
    (("deal_id", "String"), ("person", "String"), ("role", "LowCardinality(String)")),
    ("deal_id", "person", "source", "event_id"),
    comment="deal.collaborator_added, one row per event; queries take each person's first time",
)


def _added(d: Any) -> Rows:
    return ((DEAL_COLLABORATORS, {"deal_id": d.deal_id, "person": d.person, "role": d.role}),)


TABLES = (DEAL_COLLABORATORS,)
MAPPERS = {deal.DealCollaboratorAddedV1: _added}
