"""What every metric query shares: the result shape, minimum samples and SQL building blocks.

Result shape: every figure is `{"value", "sample", "min_sample", "insufficient"}`; when the
sample is below the minimum, `value` is None and `insufficient` is True, so nobody reads a
rate off three events. Counts carry themselves as sample and have no minimum.
"""
from __future__ import annotations

from typing import Any

from ..ddl import TS

# Minimum samples (the sample each figure counts is named in docs/metrics.md).
MIN_TIES = 5  # reciprocity index: directed helping ties in the team
MIN_MEMBERS = 3  # density, isolates: team members in the period
MIN_EXCHANGES_TEAM = 10  # buyer share over the team's deals: exchanges
MIN_EXCHANGES_DEAL = 3  # buyer share of one deal: its exchanges
MIN_DEALS = 5  # shares over deals (all-give-no-get share, review rate, collaboration, outcomes)
MIN_PERSON_MONTHS = 1.0  # artifacts per person-month
MIN_ARTIFACTS = 5  # reuse rate, lesson reuse rate
MIN_REUSES = 5  # cross-team reuse share: qualifying reuses
MIN_REVIEWED = 3  # median days to review: reviewed deals
MIN_WITHDRAWN_DEALS = 3  # rediscovery restart rate: deals with a withdrawn proposal
MIN_CLOSED_AFTER_RESTART = 3  # rediscovery win rate: closed deals that restarted discovery
MIN_CRITERIA = 5  # criteria met by due date: criteria due in the period
MIN_RECOGNITIONS = 5  # recognition mix: recognitions after the cap

RECOGNITION_CAP = 3
"""At most this many recognitions from one giver to the same receiver count per period."""

FAILED_OUTCOMES = ("lost", "no_decision")
"""The outcomes of a failed deal (the deals failure transparency asks to be reviewed)."""

REUSE_WINDOW_DAYS = 30
REVIEW_WINDOW_DAYS = 14

IN_PERIOD = f"time >= {{start:{TS}}} AND time < {{end:{TS}}}"
FAR_FUTURE = "toDateTime64('2200-01-01 00:00:00', 3, 'UTC')"


def every_team(sql: str, *replacements: tuple[str, str]) -> str:
    """A one-team query's every-team form: `sql` with the first occurrence of each needle replaced,
    in turn (the team filter made a team-wide one, the team added as a column, grouped or limited by it).
    Each needle must be in the query: when the one-team query changes, this fails at import
    instead of quietly filtering nothing or every team into one."""
    for needle, replacement in replacements:
        assert needle in sql, f"the one-team query changed ({needle!r} is gone): derive its every-team form again"
        sql = sql.replace(needle, replacement, 1)
    return sql


def member_of(column: Any, values: Any) -> Any:
    """A boolean mask: which values of a result's string `column` are among `values`, as
    `column.isin(values)` gives it (pandas' isin of an Arrow string column made a scalar of every
    value looked for: tens of milliseconds per snapshot for a quarter's failed deals at 10M events)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(column) == 0:
        return np.zeros(0, dtype=bool)
    looked_for = pa.array(sorted({str(v) for v in values}), type=pa.string())
    found = pc.is_in(pa.array(column.astype("string[pyarrow]").array), value_set=looked_for)
    return found.to_numpy(zero_copy_only=False)


def deal_ids(df: Any) -> list[str]:
    """The distinct deal ids of a result's `deal_id` column, sorted: the `Array(String)` parameter of a
    query of those deals (none: an empty list)."""
    column = df.get("deal_id")
    return sorted({str(d) for d in column.tolist()}) if column is not None else []


def figure(value: Any, sample: int | float, min_sample: int | float = 0) -> dict[str, Any]:
    insufficient = sample < min_sample or value is None
    return {
        "value": None if insufficient else value,
        "sample": sample,
        "min_sample": min_sample,
        "insufficient": insufficient,
    }


def count(n: int) -> dict[str, Any]:
    return figure(int(n), int(n), 0)


def ratio(numerator: int | float, denominator: int, min_sample: int) -> dict[str, Any]:
    return figure(numerator / denominator if denominator else None, int(denominator), min_sample)


def roster_asof(alias: str, person: str, time: str) -> str:
    """ASOF join giving `{alias}_team`: the person's team at `time` ('' if none then)."""
    return (
        f"ASOF LEFT JOIN (SELECT person AS {alias}_person, time AS {alias}_since, team_after AS {alias}_team "
        f"FROM roster_changes FINAL) AS {alias} ON {person} = {alias}.{alias}_person AND {time} >= {alias}.{alias}_since"
    )


def _only(deals: str | None) -> str:
    return f" AND deal_id IN ({deals})" if deals else ""


def deal_team_asof(alias: str, deal: str, time: str, only: str | None = None) -> str:
    """Joins giving the deal's team at `time` as `deal_team_expr(alias)`; before its first team, that team.

    `only`: a query of the deal ids the left side can hold, so the joined tables are read for those
    deals only instead of every deal (same result; the difference grows with the store).
    """
    return (
        f"ASOF LEFT JOIN (SELECT deal_id AS {alias}_deal, time AS {alias}_since, team AS {alias}_team "
        f"FROM deal_changes FINAL WHERE team != ''{_only(only)}) AS {alias} "
        f"ON {deal} = {alias}.{alias}_deal AND {time} >= {alias}.{alias}_since "
        f"LEFT JOIN (SELECT deal_id AS {alias}_fdeal, argMin(team, (time, source, event_id)) AS {alias}_first "
        f"FROM deal_changes FINAL WHERE team != ''{_only(only)} GROUP BY deal_id) AS {alias}f "
        f"ON {deal} = {alias}f.{alias}_fdeal"
    )


def deal_team_expr(alias: str) -> str:
    return f"if({alias}.{alias}_team != '', {alias}.{alias}_team, {alias}f.{alias}_first)"


def closes_from_rows(only: str | None = None) -> str:
    """Each closed deal once, from the fact rows: its latest close by event time (outcome, closed_at);
    `only` as above. What `projections.resolved` derives `deal_outcomes` from."""
    return (
        "(SELECT deal_id, argMax(outcome, (time, source, event_id)) AS outcome, max(time) AS closed_at "
        f"FROM deal_closes FINAL WHERE 1{_only(only)} GROUP BY deal_id)"
    )


def closed_deals_from_rows(only: str | None = None) -> str:
    """Closed deals with the deal's team at closing time, from the fact rows; `only` as above."""
    return (
        "(SELECT c.deal_id AS deal_id, c.outcome AS outcome, c.closed_at AS closed_at, "
        f"{deal_team_expr('ct')} AS team FROM {closes_from_rows(only)} AS c "
        f"{deal_team_asof('ct', 'c.deal_id', 'c.closed_at', only)})"
    )


def closed_deals(only: str | None = None) -> str:
    """Closed deals (deal_id, outcome, closed_at, team): each deal's latest close and the team it carried
    then, as `projections.resolved` keeps them (`deal_outcomes`); `only`: a query of the deal ids wanted."""
    return f"(SELECT deal_id, outcome, closed_at, team FROM deal_outcomes FINAL WHERE 1{_only(only)})"


def closes(only: str | None = None) -> str:
    """Each closed deal once (deal_id, outcome, closed_at); `only` as in `closed_deals`."""
    return f"(SELECT deal_id, outcome, closed_at FROM deal_outcomes FINAL WHERE 1{_only(only)})"


CLOSED_IN_PERIOD = f"closed_at >= {{start:{TS}}} AND closed_at < {{end:{TS}}}"
"""A closed deal's latest close falls in the period (deal_outcomes is partitioned by it: a period's
query reads its months only)."""

CLOSED_IN_PERIOD_IDS = f"SELECT deal_id FROM deal_closes WHERE {IN_PERIOD}"
"""Deals with some close in the period: a superset of those whose latest close is in it."""

TEAM_CLOSED_IN_PERIOD = (
    "(SELECT deal_id, outcome, closed_at FROM deal_outcomes FINAL "
    f"WHERE team = {{team:String}} AND {CLOSED_IN_PERIOD})"
)
"""The team's deals whose close falls in the period (the cohort of most deal metrics)."""
EVERY_TEAM_CLOSED_IN_PERIOD = every_team(TEAM_CLOSED_IN_PERIOD, ("WHERE team = {team:String}", "WHERE team != ''"),
                                         ("(SELECT deal_id,", "(SELECT team, deal_id,"))
"""TEAM_CLOSED_IN_PERIOD of every team, with the team each deal carried at its close (`team`)."""

MEMBERSHIP = (
    "(SELECT person, team_after AS team, time AS since, "
    f"leadInFrame(time, 1, {FAR_FUTURE}) OVER (PARTITION BY person ORDER BY time, source, event_id "
    "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS until "
    "FROM roster_changes FINAL)"
)
"""Membership intervals [since, until): each roster change lasts until the person's next one."""

TEAM_MEMBERS_SQL = f"""
SELECT person, toInt64(sum(dateDiff('millisecond', greatest(since, {{start:{TS}}}), least(until, {{end:{TS}}})))) AS ms
FROM {MEMBERSHIP}
WHERE team = {{team:String}} AND until > since AND since < {{end:{TS}}} AND until > {{start:{TS}}}
GROUP BY person
ORDER BY person
"""
"""Members of the team during the period with their time in it (ms)."""

MS_PER_MONTH = 30.4375 * 86_400_000  # average Gregorian month


def team_members(store: Any, params: dict[str, Any]) -> dict[str, int]:
    """person -> milliseconds spent in the team during the period (members only)."""
    df = store.query_df(TEAM_MEMBERS_SQL, params)
    return {str(p): int(ms) for p, ms in zip(df.get("person", []), df.get("ms", []))}
