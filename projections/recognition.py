"""Recognition projection: who recognised whom, for what. The per-pair cap is applied by the query."""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table

RECOGNITIONS = fact_table(
    "recognitions",
    (("giver", "String"), ("receiver", "String"), ("reason", "LowCardinality(String)")),
    ("giver", "receiver", "source", "event_id"),
)


def _given(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[RECOGNITIONS.name].append((d.giver, d.receiver, d.reason, ms, e.source, e.id))


TABLES = (RECOGNITIONS,)
MAPPERS = {"teamflow.recognition.given": _given}
