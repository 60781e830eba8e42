"""Buyer reciprocity projection: every exchange of value between seller and buyer on a deal."""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table

DEAL_EXCHANGES = fact_table(
    "deal_exchanges",
    (("deal_id", "String"), ("direction", "LowCardinality(String)"), ("kind", "LowCardinality(String)")),
    ("deal_id", "source", "event_id"),
    comment="One row per deal.exchange event (seller_gave | buyer_gave)",
)


def _exchange(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[DEAL_EXCHANGES.name].append((d.deal_id, d.direction, d.kind, ms, e.source, e.id))


TABLES = (DEAL_EXCHANGES,)
MAPPERS = {"teamflow.deal.exchange": _exchange}
