"""The Deals page's detail views (projections.metrics.views) of every team of one period, one query each.

Each query is the one-team query of `views` with the team filter turned into a team column
(`common.every_team`); the reductions are those of `views`, over every team's rows at once, then
split by team. `deals(store, period, teams)[t]` equals what the one-team functions give for t
(tests/integration/projections/test_trend_metrics_chdb.py checks it), so a hundred watched Deals
pages cost these few queries per change, not a hundred sets of them.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from . import views
from .common import CLOSED_IN_PERIOD_IDS, EVERY_TEAM_CLOSED_IN_PERIOD, deal_ids, every_team
from .periods import Period
from .team_views import ByTeam, Lazy
from .trends import Reads

OPEN_DEALS_SQL = every_team(views.OPEN_DEALS_SQL, ("WHERE d.team = {team:String}", "WHERE d.team != ''"),
                            ("SELECT d.deal_id AS deal_id", "SELECT d.team AS team, d.deal_id AS deal_id"))

WITHDRAWN_SQL = every_team(views.WITHDRAWN_SQL, ("AND team = {team:String}", "AND team != ''"),
                           ("SELECT deal_id,", "SELECT team, deal_id,"))
WITHDRAWN_BY_ID = "SELECT arrayJoin({withdrawn:Array(String)})"
WITHDRAWN_FOLLOWUP_SQL = views.withdrawn_followup_sql(WITHDRAWN_BY_ID, WITHDRAWN_BY_ID)
"""The follow-ups of the withdrawn proposals' deals, by the ids WITHDRAWN_SQL found (not running it again)."""

COLLABORATOR_ROLES_SQL = f"""
SELECT c.team AS team, dc.role AS role, toInt64(uniqExact(dc.deal_id, dc.person)) AS collaborators,
       toInt64(uniqExact(dc.deal_id)) AS deals
FROM (SELECT deal_id, person, role FROM deal_collaborators FINAL WHERE deal_id IN ({CLOSED_IN_PERIOD_IDS})) AS dc
INNER JOIN {EVERY_TEAM_CLOSED_IN_PERIOD} AS c ON dc.deal_id = c.deal_id
GROUP BY team, role ORDER BY team, role
"""
"""views.COLLABORATOR_ROLES_SQL for every team: a closed deal is in the cohort of the team it carried
at its close, so each deal counts for one team."""


ONLY_SQL = {
    "open_deals": every_team(OPEN_DEALS_SQL, ("WHERE d.team != ''", "WHERE d.team IN {only:Array(String)}")),
    "withdrawn_proposals": every_team(WITHDRAWN_SQL, ("AND team != ''", "AND team IN {only:Array(String)}")),
    "collaborator_roles": every_team(COLLABORATOR_ROLES_SQL,
                                     ("GROUP BY team, role", "WHERE c.team IN {only:Array(String)} GROUP BY team, role")),
}
"""The views' queries for the teams of the `only` parameter (a snapshot of the teams new rows touched)."""


def _withdrawn_ids(reads: Reads) -> dict[str, Any]:
    return {"withdrawn": deal_ids(reads.frame("withdrawn_proposals"))}


def snapshot_reads(store: Any, period: str, only: list[str] | None = None) -> Reads:
    """The reads of a Deals snapshot of every team (`only`: of these teams): the period's `trends.Reads`
    (the figures') with these views' own queries queued after them."""
    params = Period.of(period).params()
    sql = {"open_deals": OPEN_DEALS_SQL, "withdrawn_proposals": WITHDRAWN_SQL, "collaborator_roles": COLLABORATOR_ROLES_SQL}
    if only is not None:
        sql, params = ONLY_SQL, {**params, "only": sorted(only)}
    return Reads.of(store, period, extra={
        "open_deals": (sql["open_deals"], params), "withdrawn_proposals": (sql["withdrawn_proposals"], params),
        "withdrawn_followups": (WITHDRAWN_FOLLOWUP_SQL, _withdrawn_ids),
        "collaborator_roles": (sql["collaborator_roles"], params)}, only=only)


def deals(store: Any, period: str, teams: list[str], reads: Reads | None = None) -> Lazy:
    """team -> {open, withdrawn, roles} as views.open_deals, withdrawn_proposals and collaborator_roles
    give them, from one set of queries for every team; a team's frames are built when first asked for.
    `reads`: `snapshot_reads(store, period)`, when the caller passes them to the figures too."""
    reads = snapshot_reads(store, period) if reads is None else reads
    open_all = views.open_deals_frame(reads.frame("open_deals"))
    withdrawn = reads.frame("withdrawn_proposals")
    withdrawn_all = views.withdrawn_frame(withdrawn, reads.frame("withdrawn_followups") if not withdrawn.empty else None)
    roles = reads.frame("collaborator_roles")
    open_of = ByTeam(open_all, _no_rows(open_all))
    withdrawn_of = ByTeam(withdrawn_all, _no_rows(withdrawn_all))
    roles_of = ByTeam(roles, pd.DataFrame(columns=["role", "collaborators", "deals"]) if roles.empty else None)

    def frames(team: str) -> dict[str, Any]:
        return {"open": open_of(team), "withdrawn": withdrawn_of(team), "roles": roles_of(team)}
    return Lazy(teams, frames)


def _no_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The frame a team without rows gets: the one-team function's empty frame (its columns, no dtypes)."""
    return pd.DataFrame(columns=[c for c in df.columns if c != "team"])
