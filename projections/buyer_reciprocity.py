"""Buyer reciprocity projection: every exchange of value between seller and buyer on a deal."""
from __future__ import annotations

from typing import Any

from schemas.events import deal

from .rows import Rows, fact_table

DEAL_EXCHANGES = fact_table(
    "deal_exchanges",
    (("deal_id", "String"), ("direction", "LowCardinality(String)"), ("kind", "LowCardinality(String)")),
    ("deal_id", "source", "event_id"),
    comment="One row per deal.exchange event (seller_gave | buyer_gave)",
)


def _exchange(d: Any) -> Rows:
    return ((DEAL_EXCHANGES, {"deal_id": d.deal_id, "direction": d.direction, "kind": d.kind}),)


TABLES = (DEAL_EXCHANGES,)
MAPPERS = {deal.DealExchangeV1: _exchange}
