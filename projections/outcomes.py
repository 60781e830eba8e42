"""Customer outcomes projection: success criteria, handoffs, criteria met/missed, referrals."""
from __future__ import annotations

from datetime import date
from typing import Any

from schemas.events import outcome, referral

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


def _criteria(d: Any) -> Rows:
    return tuple((SUCCESS_CRITERIA, {"deal_id": d.deal_id, "criterion_id": c.criterion_id,
                                     "description": c.description, "target": c.target,
                                     "due": date.fromisoformat(c.due) if isinstance(c.due, str) else c.due})
                 for c in d.criteria)


def _handoff(d: Any) -> Rows:
    return ((HANDOFFS, {"deal_id": d.deal_id, "from_person": d.from_person, "to_person": d.to_person,
                        "criteria_transferred": 1 if d.criteria_transferred else 0}),)


def _met(d: Any) -> Rows:
    return ((CRITERION_RESULTS, {"deal_id": d.deal_id, "criterion_id": d.criterion_id, "result": "met",
                                 "observed": d.observed}),)


def _missed(d: Any) -> Rows:
    return ((CRITERION_RESULTS, {"deal_id": d.deal_id, "criterion_id": d.criterion_id, "result": "missed",
                                 "observed": d.observed}),)


def _referral(d: Any) -> Rows:
    return ((REFERRALS, {"referrer": d.referrer, "account": d.account, "referred_to": d.referred_to,
                         "reason": d.reason}),)


TABLES = (SUCCESS_CRITERIA, HANDOFFS, CRITERION_RESULTS, REFERRALS)
MAPPERS = {
    outcome.CriteriaDefinedV1: _criteria,
    outcome.HandoffCompletedV1: _handoff,
    outcome.CriterionMetV1: _met,
    outcome.CriterionMissedV1: _missed,
    referral.ReferralMadeV2: _referral,
}
