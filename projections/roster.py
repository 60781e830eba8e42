"""Roster projection: every membership change, kept as history.

A person's team at time t is the team of their last roster change at or before t (`ASOF JOIN`
on `(person, time)`); a `member_left` change means "no team" from then on. Metrics therefore
attribute every act to the team the person was in when it happened.
"""
from __future__ import annotations

from typing import Any

from schemas.events import roster

from .rows import Rows, fact_table, s

ROSTER_CHANGES = fact_table(
    "roster_changes",
    (
        ("person", "String"),
        ("change", "LowCardinality(String)"),  # joined | left
        ("team", "String"),  # the team named by the event
        ("team_after", "String"),  # team from this change on; '' after leaving
        ("role", "LowCardinality(String)"),
        ("display_name", "String"),
    ),
    ("person", "time", "source", "event_id"),
    comment="Roster history, one row per roster event; team at t = ASOF the last change <= t",
)


def _joined(d: Any) -> Rows:
    return ((ROSTER_CHANGES, {"person": d.person, "change": "joined", "team": d.team, "team_after": d.team,
                              "role": s(d.role), "display_name": s(d.display_name)}),)


def _left(d: Any) -> Rows:
    return ((ROSTER_CHANGES, {"person": d.person, "change": "left", "team": d.team, "team_after": "",
                              "role": s(d.role), "display_name": s(d.display_name)}),)


TABLES = (ROSTER_CHANGES,)
MAPPERS = {
    roster.MemberJoinedV1: _joined,
    roster.MemberLeftV1: _left,
}
