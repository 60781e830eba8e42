"""Deal projection: the deal's changes (team, owner, stage) and its closing, as history.

A deal's team at time t is the team of its last change carrying a team at or before t; an act
dated before the deal's first known team falls back to that first team ("deals carry their
team"). The deal's close is its latest `deal.closed` by event time (a reopened and re-closed
deal counts once, with its final outcome).
"""
from __future__ import annotations

import math
from typing import Any

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


def _opened(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[DEAL_CHANGES.name].append(
        (d.deal_id, "opened", d.stage, d.owner, d.team, d.account, float(d.amount), d.currency, ms, e.source, e.id)
    )


def _stage_changed(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[DEAL_CHANGES.name].append(
        (
            d.deal_id, "stage_changed", d.stage, s(d.owner), s(d.team), s(d.account),
            _amount(d.amount), s(d.currency), ms, e.source, e.id,
        )
    )


def _closed(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[DEAL_CLOSES.name].append((d.deal_id, d.outcome, float(d.amount), s(d.reason), ms, e.source, e.id))


TABLES = (DEAL_CHANGES, DEAL_CLOSES)
MAPPERS = {
    "teamflow.deal.opened": _opened,
    "teamflow.deal.stage_changed": _stage_changed,
    "teamflow.deal.closed": _closed,
}
