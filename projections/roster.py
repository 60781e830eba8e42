"""Roster projection: every membership change, kept as history.

A person's team at time t is the team of their last roster change at or before t (`ASOF JOIN`
on `(person, time)`); a `member_left` change means "no team" from then on. Metrics therefore
attribute every act to the team the person was in when it happened.
"""
from __future__ import annotations

from typing import Any

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


def _joined(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[ROSTER_CHANGES.name].append(
        (d.person, "joined", d.team, d.team, s(d.role), s(d.display_name), ms, e.source, e.id)
    )


def _left(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[ROSTER_CHANGES.name].append(
        (d.person, "left", d.team, "", s(d.role), s(d.display_name), ms, e.source, e.id)
    )


TABLES = (ROSTER_CHANGES,)
MAPPERS = {
    "teamflow.roster.member_joined": _joined,
    "teamflow.roster.member_left": _left,
}
