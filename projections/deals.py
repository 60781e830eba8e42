"""Deal projection: the deal's changes (team, owner, stage) and its closing, as history.

A deal's team at time t is the team of its last change carrying a team at or before t; an act
dated before the deal's first known team falls back to that first team ("deals carry their
team"). The deal's close is its latest `deal.closed` by event time (a reopened and re-closed
deal counts once, with its final outcome).
"""
from __future__ import annotations

import math
from typing import Any

from schemas.events import deal

from .rows import Rows, fact_table, s

DEAL_CHANGES = fact_table(
    "deal_changes",
    (
        ("deal_id", "String"),
        ("change", "LowCardinality(String)"),  # opened | stage_changed
        ("stage", "String"),
        ("owner", "String"),  # '' when the event did not change it
        ("team", "String"),  # '' when the event did not change it
        ("account", "String"),
        ("amount", "Float64"),  # NaN when the event did not change it
        ("currency", "String"),
    ),
    ("deal_id", "time", "source", "event_id"),
    comment="deal.opened and deal.stage_changed, one row per event",
)
DEAL_CLOSES = fact_table(
    "deal_closes",
    (("deal_id", "String"), ("outcome", "LowCardinality(String)"), ("amount", "Float64"), ("reason", "String")),
    ("deal_id", "source", "event_id"),
    comment="deal.closed, one row per event; the latest by (time, source, event_id) is the deal's close",
)


def _amount(value: Any) -> float:
    return math.nan if value is None else float(value)


def _opened(d: Any) -> Rows:
    return ((DEAL_CHANGES, {"deal_id": d.deal_id, "change": "opened", "stage": d.stage, "owner": d.owner,
                            "team": d.team, "account": d.account, "amount": float(d.amount),
                            "currency": d.currency}),)


def _stage_changed(d: Any) -> Rows:
    return ((DEAL_CHANGES, {"deal_id": d.deal_id, "change": "stage_changed", "stage": d.stage,
                            "owner": s(d.owner), "team": s(d.team), "account": s(d.account),
                            "amount": _amount(d.amount), "currency": s(d.currency)}),)


def _closed(d: Any) -> Rows:
    return ((DEAL_CLOSES, {"deal_id": d.deal_id, "outcome": d.outcome, "amount": float(d.amount),
                           "reason": s(d.reason)}),)


TABLES = (DEAL_CHANGES, DEAL_CLOSES)
MAPPERS = {
    deal.DealOpenedV1: _opened,
    deal.DealStageChangedV1: _stage_changed,
    deal.DealClosedV1: _closed,
}
