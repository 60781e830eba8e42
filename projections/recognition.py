"""Recognition projection: who recognised whom, for what. The per-pair cap is applied by the query."""
from __future__ import annotations

from typing import Any

from schemas.events import recognition

from .rows import Rows, fact_table

RECOGNITIONS = fact_table(
    "recognitions",
    (("giver", "String"), ("receiver", "String"), ("reason", "LowCardinality(String)")),
    ("giver", "receiver", "source", "event_id"),
)


def _given(d: Any) -> Rows:
    return ((RECOGNITIONS, {"giver": d.giver, "receiver": d.receiver, "reason": d.reason}),)


TABLES = (RECOGNITIONS,)
MAPPERS = {recognition.RecognitionGivenV1: _given}
