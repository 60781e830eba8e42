"""Customer outcomes projection: success criteria, handoffs, criteria met/missed, referrals."""
from __future__ import annotations

from datetime import date
from typing import Any

from .rows import Rows, fact_table

SUCCESS_CRITERIA = fact_table(
    "success_criteria",
    (
        ("deal_id", "String"),
        ("criterion_id", "String"),
        ("description", "String"),
        ("target", "String"),
        ("due", "Date"),
    ),
    ("deal_id", "criterion_id"),
    latest_wins=True,
    comment="One row per criterion of outcome.criteria_defined; a later definition replaces it",
)
HANDOFFS = fact_table(
    "handoffs",
    (("deal_id", "String"), ("from_person", "String"), ("to_person", "String"), ("criteria_transferred", "UInt8")),
    ("deal_id", "source", "event_id"),
)
CRITERION_RESULTS = fact_table(
    "criterion_results",
    (("deal_id", "String"), ("criterion_id", "String"), ("result", "LowCardinality(String)"), ("observed", "String")),
    ("deal_id", "criterion_id", "source", "event_id"),
    comment="outcome.criterion_met / criterion_missed, one row per event (result = met | missed)",
)
REFERRALS = fact_table(
    "referrals",
    (("referrer", "String"), ("account", "String"), ("referred_to", "String"), ("reason", "String")),
    ("source", "event_id"),
)


def _criteria(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    out = rows[SUCCESS_CRITERIA.name]
    for c in d.criteria:
        due = date.fromisoformat(c.due) if isinstance(c.due, str) else c.due
        out.append((d.deal_id, c.criterion_id, c.description, c.target, due, ms, e.source, e.id))


def _handoff(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[HANDOFFS.name].append(
        (d.deal_id, d.from_person, d.to_person, 1 if d.criteria_transferred else 0, ms, e.source, e.id)
    )


def _met(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[CRITERION_RESULTS.name].append((d.deal_id, d.criterion_id, "met", d.observed, ms, e.source, e.id))


def _missed(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[CRITERION_RESULTS.name].append((d.deal_id, d.criterion_id, "missed", d.observed, ms, e.source, e.id))


def _referral(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[REFERRALS.name].append((d.referrer, d.account, d.referred_to, d.reason, ms, e.source, e.id))


TABLES = (SUCCESS_CRITERIA, HANDOFFS, CRITERION_RESULTS, REFERRALS)
MAPPERS = {
    "teamflow.outcome.criteria_defined": _criteria,
    "teamflow.outcome.handoff_completed": _handoff,
    "teamflow.outcome.criterion_met": _met,
    "teamflow.outcome.criterion_missed": _missed,
    "teamflow.referral.made": _referral,
}
