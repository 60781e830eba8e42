"""Buyer reciprocity: of the exchanges on a deal in the period, the share the buyer gave.

A deal belongs to the team it belonged to at its last exchange in the period. "All give, no
get": 3 or more seller gives and no buyer give in the period.
"""
from __future__ import annotations

from typing import Any

from .common import (
    IN_PERIOD,
    MIN_DEALS,
    MIN_EXCHANGES_DEAL,
    MIN_EXCHANGES_TEAM,
    count,
    ratio,
)

ALL_GIVE_NO_GET_SELLER_GIVES = 3

TEAM_DEAL_EXCHANGES_SQL = f"""
SELECT deal_id, toInt64(countIf(direction = 'seller_gave')) AS seller_gave,
       toInt64(countIf(direction = 'buyer_gave')) AS buyer_gave, argMax(team, time) AS team
FROM deal_exchange_teams FINAL WHERE {IN_PERIOD}
GROUP BY deal_id
HAVING team = {{team:String}}
ORDER BY deal_id
"""
"""The team's deals with exchanges in the period: a deal's team is the one it carried at its last exchange
in the period (`deal_exchange_teams`: each exchange with the deal's team then, projections/resolved/)."""


def flagged(seller_gave: int, buyer_gave: int) -> bool:
    return seller_gave >= ALL_GIVE_NO_GET_SELLER_GIVES and buyer_gave == 0


def team(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    df = store.query_df(TEAM_DEAL_EXCHANGES_SQL, params)
    deals = []
    for deal_id, seller, buyer in zip(df.get("deal_id", []), df.get("seller_gave", []), df.get("buyer_gave", [])):
        seller, buyer = int(seller), int(buyer)
        deals.append(
            {
                "deal_id": str(deal_id),
                "seller_gave": seller,
                "buyer_gave": buyer,
                "buyer_share": ratio(buyer, seller + buyer, MIN_EXCHANGES_DEAL),
                "all_give_no_get": flagged(seller, buyer),
            }
        )
    return {**figures([(d["seller_gave"], d["buyer_gave"]) for d in deals]), "deals": deals}


def figures(deals: list[tuple[int, int]]) -> dict[str, Any]:
    """The team figures of its deals' (seller gave, buyer gave) exchange counts in the period. Pure."""
    n_flagged = sum(1 for seller, buyer in deals if flagged(seller, buyer))
    return {
        "buyer_share": ratio(sum(b for _, b in deals), sum(s + b for s, b in deals), MIN_EXCHANGES_TEAM),
        "deals_with_exchanges": count(len(deals)),
        "all_give_no_get": count(n_flagged),
        "all_give_no_get_share": ratio(n_flagged, len(deals), MIN_DEALS),
    }
