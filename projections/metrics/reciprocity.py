"""Reciprocity among colleagues: who helps whom, acknowledged help only.

A directed tie i->j exists in a period when i gave j help in the period that j acknowledged as
useful (the ack may arrive any time later; the help's time decides the period). A team's
network holds the ties whose two ends were both in the team when the help happened.
"""
from __future__ import annotations

from typing import Any

from .common import (
    IN_PERIOD,
    MIN_MEMBERS,
    MIN_TIES,
    count,
    figure,
    ratio,
    team_members,
)

ACKNOWLEDGED_HELP = f"""
(SELECT help_id, helper, recipient, minutes, time, helper_team, recipient_team FROM help_acts FINAL
 WHERE {IN_PERIOD} AND helper != recipient AND acked = 1 AND useful = 1)
"""
"""The period's help acts their recipient acknowledged as useful, with both people's teams at the act's
time (`help_acts`: resolved by the writer, projections/resolved/)."""

TEAM_HELP_SQL = f"""
SELECT helper, recipient, helper_team, recipient_team
FROM {ACKNOWLEDGED_HELP} AS g
WHERE helper_team = {{team:String}} OR recipient_team = {{team:String}}
"""

PERSON_HELP_SQL = f"""
SELECT helper, recipient, minutes FROM {ACKNOWLEDGED_HELP}
WHERE helper = {{person:String}} OR recipient = {{person:String}}
"""

PERSON_UNACKNOWLEDGED_SQL = f"""
SELECT count() AS n FROM help_acts FINAL
WHERE {IN_PERIOD} AND helper = {{person:String}} AND helper != recipient AND NOT (acked = 1 AND useful = 1)
"""


def team(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    team_name = params["team"]
    df = store.query_df(TEAM_HELP_SQL, params)
    acts = list(zip(df.get("helper", []), df.get("recipient", []), df.get("helper_team", []), df.get("recipient_team", [])))
    members = team_members(store, params)
    ties = {(h, r) for h, r, ht, rt in acts if ht == team_name and rt == team_name}
    reciprocated = sum(1 for h, r in ties if (r, h) in ties)
    n = len(members)
    tied = {p for tie in ties for p in tie}
    isolates = [p for p in members if p not in tied]
    return {
        "reciprocity_index": ratio(reciprocated, len(ties), MIN_TIES),
        "density": figure(len(ties) / (n * (n - 1)) if n > 1 else None, n, MIN_MEMBERS),
        "isolates": figure(len(isolates), n, MIN_MEMBERS),
        "ties": count(len(ties)),
        "members": count(n),
        "acknowledged_help_given": count(sum(1 for a in acts if a[2] == team_name)),
        "acknowledged_help_received": count(sum(1 for a in acts if a[3] == team_name)),
        "help_within_team": count(sum(1 for a in acts if a[2] == team_name and a[3] == team_name)),
        "help_to_other_teams": count(sum(1 for a in acts if a[2] == team_name and a[3] != team_name)),
        "help_from_other_teams": count(sum(1 for a in acts if a[2] != team_name and a[3] == team_name)),
    }


def person(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Give/get balance of one person (their own view): acknowledged help given vs received."""
    me = params["person"]
    df = store.query_df(PERSON_HELP_SQL, params)
    rows = list(zip(df.get("helper", []), df.get("recipient", []), df.get("minutes", [])))
    given = [(r, int(m)) for h, r, m in rows if h == me]
    received = [(h, int(m)) for h, r, m in rows if r == me]
    helped = {r for r, _ in given}
    helpers = {h for h, _ in received}
    pending = int(store.query_scalar(PERSON_UNACKNOWLEDGED_SQL, params) or 0)
    return {
        "help_given": count(len(given)),
        "help_received": count(len(received)),
        "balance": figure(len(given) - len(received), len(given) + len(received), 0),
        "minutes_given": count(sum(m for _, m in given)),
        "minutes_received": count(sum(m for _, m in received)),
        "people_helped": count(len(helped)),
        "helped_by": count(len(helpers)),
        "reciprocated_ties": count(len(helped & helpers)),
        "help_given_unacknowledged": count(pending),
    }
