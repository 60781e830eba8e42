"""Proposal rediscovery projection: proposals sent and withdrawn, discovery restarted."""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table, s

PROPOSALS_SENT = fact_table(
    "proposals_sent",
    (("deal_id", "String"), ("proposal_id", "String")),
    ("deal_id", "proposal_id"),
    latest_wins=True,
)
PROPOSAL_WITHDRAWALS = fact_table(
    "proposal_withdrawals",
    (("deal_id", "String"), ("proposal_id", "String"), ("reason", "String")),
    ("deal_id", "proposal_id"),
    latest_wins=True,
)
REDISCOVERIES = fact_table(
    "rediscoveries",
    (("deal_id", "String"),),
    ("deal_id", "source", "event_id"),
    comment="deal.rediscovery_started, one row per event",
)


def _sent(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[PROPOSALS_SENT.name].append((d.deal_id, d.proposal_id, ms, e.source, e.id))


def _withdrawn(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[PROPOSAL_WITHDRAWALS.name].append((d.deal_id, d.proposal_id, s(d.reason), ms, e.source, e.id))


def _rediscovery(e: Any, ms: int, rows: Rows) -> None:
    rows[REDISCOVERIES.name].append((e.data.deal_id, ms, e.source, e.id))


TABLES = (PROPOSALS_SENT, PROPOSAL_WITHDRAWALS, REDISCOVERIES)
MAPPERS = {
    "teamflow.proposal.sent": _sent,
    "teamflow.proposal.withdrawn": _withdrawn,
    "teamflow.deal.rediscovery_started": _rediscovery,
}
