"""Proposal rediscovery projection: proposals sent and withdrawn, discovery restarted."""
from __future__ import annotations

from typing import Any

from schemas.events import deal, proposal

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


def _sent(d: Any) -> Rows:
    return ((PROPOSALS_SENT, {"deal_id": d.deal_id, "proposal_id": d.proposal_id}),)


def _withdrawn(d: Any) -> Rows:
    return ((PROPOSAL_WITHDRAWALS, {"deal_id": d.deal_id, "proposal_id": d.proposal_id, "reason": s(d.reason)}),)


def _rediscovery(d: Any) -> Rows:
    return ((REDISCOVERIES, {"deal_id": d.deal_id}),)


TABLES = (PROPOSALS_SENT, PROPOSAL_WITHDRAWALS, REDISCOVERIES)
MAPPERS = {
    proposal.ProposalSentV1: _sent,
    proposal.ProposalWithdrawnV1: _withdrawn,
    deal.DealRediscoveryStartedV1: _rediscovery,
}
