"""Proposal rediscovery: withdrawn proposals, how many deals restart discovery, how those end.

Cohort: proposals withdrawn in the period on deals that belonged to the team at withdrawal.
Per deal, "restarted" means a `deal.rediscovery_started` at or after its first withdrawal in
the period (at any later time); its end is the deal's close outcome, or "open".
"""
from __future__ import annotations

from typing import Any

from .common import (
    IN_PERIOD,
    MIN_CLOSED_AFTER_RESTART,
    MIN_WITHDRAWN_DEALS,
    closes,
    count,
    ratio,
)

WITHDRAWN_IDS = f"SELECT deal_id FROM proposal_withdrawals WHERE {IN_PERIOD}"
WITHDRAWN = f"""
(SELECT deal_id, proposal_id, time FROM withdrawal_teams FINAL WHERE {IN_PERIOD} AND team = {{team:String}})
"""
"""The proposals withdrawn in the period on deals of the team then (`withdrawal_teams`, projections/resolved/)."""

DEALS_SQL = f"""
SELECT w.deal_id AS deal_id, toInt64(count()) AS proposals, min(w.time) AS first_withdrawn,
       any(c.outcome) AS outcome, toUInt8(countIf(c.deal_id != '') > 0) AS closed
FROM {WITHDRAWN} AS w
LEFT JOIN {closes(WITHDRAWN_IDS)} AS c ON w.deal_id = c.deal_id
GROUP BY w.deal_id
ORDER BY deal_id
"""

REDISCOVERIES_SQL = f"""
SELECT deal_id, time FROM rediscoveries FINAL WHERE deal_id IN (SELECT deal_id FROM {WITHDRAWN})
"""

OUTCOMES = ("won", "lost", "no_decision", "open")


def team(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    deals = store.query_df(DEALS_SQL, params)
    red = store.query_df(REDISCOVERIES_SQL, params)
    restarts: dict[str, list[Any]] = {}
    for d, t in zip(red.get("deal_id", []), red.get("time", [])):
        restarts.setdefault(str(d), []).append(t)
    withdrawn = [(str(d), int(n), first, str(outcome) if int(closed) else "open") for d, n, first, outcome, closed in zip(
        deals.get("deal_id", []), deals.get("proposals", []), deals.get("first_withdrawn", []),
        deals.get("outcome", []), deals.get("closed", []))]
    return figures(withdrawn, restarts)


def figures(withdrawn: list[tuple[str, int, Any, str]], restarts: dict[str, list[Any]]) -> dict[str, Any]:
    """The figures of a cohort: `withdrawn` holds (deal, proposals withdrawn in the period, first
    withdrawal, end: its close outcome or 'open') per deal; `restarts`: deal -> rediscovery times. Pure."""
    ends = {"restarted": dict.fromkeys(OUTCOMES, 0), "not_restarted": dict.fromkeys(OUTCOMES, 0)}
    proposals = 0
    for d, n, first, end in withdrawn:
        proposals += n
        group = "restarted" if any(t >= first for t in restarts.get(d, [])) else "not_restarted"
        ends[group][end] += 1
    restarted = sum(ends["restarted"].values())
    closed_restarted = restarted - ends["restarted"]["open"]
    return {
        "withdrawn_proposals": count(proposals),
        "deals_with_withdrawal": count(len(withdrawn)),
        "restarted_discovery": count(restarted),
        "restart_rate": ratio(restarted, len(withdrawn), MIN_WITHDRAWN_DEALS),
        "win_rate_after_restart": ratio(ends["restarted"]["won"], closed_restarted, MIN_CLOSED_AFTER_RESTART),
        "ends": ends,
    }
