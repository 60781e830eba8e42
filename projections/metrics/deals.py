"""Metrics over the team's deals closed in the period: failure transparency, collaboration, outcomes.

Cohort: deals whose close (latest `deal.closed` by event time) falls in the period and whose
team at that moment is the team. Facts about those deals (reviews, collaborators, criteria,
handoffs) may happen at any time and are read with the close time beside them.
"""
from __future__ import annotations

import statistics
from datetime import timedelta
from typing import Any

import pandas as pd

from .common import (
    FAILED_OUTCOMES,
    IN_PERIOD,
    MIN_ARTIFACTS,
    MIN_CRITERIA,
    MIN_DEALS,
    MIN_REVIEWED,
    REVIEW_WINDOW_DAYS,
    TEAM_CLOSED_IN_PERIOD,
    closed_deals,
    count,
    figure,
    ratio,
    roster_asof,
)

COHORT_SQL = f"SELECT deal_id, outcome, closed_at FROM {TEAM_CLOSED_IN_PERIOD} ORDER BY deal_id"
IN_COHORT = "deal_id IN (SELECT arrayJoin({cohort:Array(String)}))"
"""The cohort read once (COHORT_SQL) and bound as a parameter: recomputing it in every follow-up
query (closes, FINAL, team at close) was most of the page's time on large stores."""

REVIEWS_SQL = f"SELECT deal_id, time FROM reviews FINAL WHERE {IN_COHORT}"
COLLABORATORS_SQL = f"""
SELECT deal_id, min(time) AS first_time FROM deal_collaborators FINAL
WHERE {IN_COHORT}
  AND (deal_id, person) NOT IN (SELECT deal_id, owner FROM deal_changes WHERE owner != '' AND {IN_COHORT})
GROUP BY deal_id
"""
"""When someone other than its owners first joined each cohort deal (`collaboration` asks only whether
that was by the close: one row per deal, not one per person). The owners are read without FINAL: a
pair is in the set or not however many copies of its row the table holds yet (FINAL over
deal_changes cost as much as the rest of the query)."""
CRITERIA_SQL = f"SELECT deal_id, min(time) AS first_time FROM success_criteria FINAL WHERE {IN_COHORT} GROUP BY deal_id"
HANDOFFS_SQL = f"SELECT DISTINCT deal_id FROM handoffs FINAL WHERE criteria_transferred = 1 AND {IN_COHORT}"

CRITERIA_DUE_IDS = "SELECT deal_id FROM success_criteria WHERE due >= {start_day:Date} AND due < {end_day:Date}"
CRITERIA_DUE_SQL = f"""
SELECT sc.deal_id AS deal_id, sc.criterion_id AS criterion_id,
       toUInt8(m.has_met = 1 AND m.first_met < addDays(toDateTime64(sc.due, 3, 'UTC'), 1)) AS met_by_due
FROM (SELECT deal_id, criterion_id, due FROM success_criteria FINAL
      WHERE due >= {{start_day:Date}} AND due < {{end_day:Date}}) AS sc
INNER JOIN {closed_deals(CRITERIA_DUE_IDS)} AS cd ON sc.deal_id = cd.deal_id
LEFT JOIN (SELECT deal_id, criterion_id, min(time) AS first_met, toUInt8(1) AS has_met
           FROM criterion_results FINAL WHERE result = 'met' AND deal_id IN ({CRITERIA_DUE_IDS})
           GROUP BY deal_id, criterion_id) AS m
  ON sc.deal_id = m.deal_id AND sc.criterion_id = m.criterion_id
WHERE cd.outcome = 'won' AND cd.team = {{team:String}}
"""

REFERRALS_SQL = f"""
SELECT count() FROM (SELECT referrer, time FROM referrals FINAL WHERE {IN_PERIOD}) AS x
{roster_asof('rt', 'x.referrer', 'x.time')}
WHERE rt.rt_team = {{team:String}}
"""


def _cohort(store: Any, params: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    df = store.query_df(COHORT_SQL, params)
    return {str(d): (str(o), t) for d, o, t in zip(df.get("deal_id", []), df.get("outcome", []), df.get("closed_at", []))}


def times_by_deal(store: Any, sql: str, params: dict[str, Any]) -> dict[str, list[Any]]:
    """Deal id -> the times the query gives for it (its `time` column, or `first_time`), in its order."""
    return times_of(store.query_df(sql, params))


def values_of(column: pd.Series) -> list[Any]:
    """A result column's values as Python objects, as `tolist()` gives them, but times as `datetime`
    (converted in C: a pandas Timestamp made per row cost seconds for a quarter of a large store)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return list(pd.DatetimeIndex(column).to_pydatetime())
    return column.tolist()


def times_of(df: pd.DataFrame) -> dict[str, list[Any]]:
    """Deal id -> the times of `df`'s rows for it (its `time` column, or `first_time`), in its order (pure)."""
    time_col = "time" if "time" in df.columns else "first_time"
    out: dict[str, list[Any]] = {}
    if df.empty or time_col not in df.columns:
        return out
    for d, t in zip(df["deal_id"].tolist(), values_of(df[time_col])):
        out.setdefault(str(d), []).append(t)
    return out


def team(store: Any, params: dict[str, Any], lesson_cohort: tuple[list, list]) -> dict[str, Any]:
    """Failure transparency, collaboration and customer outcomes of the team in the period."""
    cohort = _cohort(store, params)
    params = {**params, "cohort": sorted(cohort)}
    return {
        "failure_transparency": _failure(store, params, cohort, lesson_cohort),
        "collaboration": _collaboration(store, params, cohort),
        "customer_outcomes": _outcomes(store, params, cohort),
    }


def first_reviews(failed: dict, reviews: dict) -> tuple[int, list[float]]:
    """(failed deals whose first review after the close came within the review window, days from
    close to that first review per reviewed deal); `failed`: deal -> close time, `reviews`: deal ->
    review times."""
    window = timedelta(days=REVIEW_WINDOW_DAYS)
    in_window, days = 0, []
    for deal_id, closed_at in failed.items():
        after = [t for t in reviews.get(deal_id, []) if t >= closed_at]
        if after:
            first = min(after)
            days.append((first - closed_at).total_seconds() / 86400)
            in_window += first - closed_at <= window
    return in_window, days


def _failure(store: Any, params: dict[str, Any], cohort: dict, lesson_cohort: tuple[list, list]) -> dict[str, Any]:
    failed = {d: t for d, (o, t) in cohort.items() if o in FAILED_OUTCOMES}
    reviews = times_by_deal(store, REVIEWS_SQL, params)
    in_window, days = first_reviews(failed, reviews)
    artifacts, pairs = lesson_cohort
    lessons = {a for a, k in artifacts if k in ("lesson", "war_story")}
    lesson_pairs = [p for p in pairs if p[0] in lessons]
    return {
        "failed_deals": count(len(failed)),
        "review_rate": ratio(in_window, len(failed), MIN_DEALS),
        "median_days_to_review": figure(statistics.median(days) if days else None, len(days), MIN_REVIEWED),
        "war_stories_shared": count(sum(1 for _, k in artifacts if k == "war_story")),
        "lessons_shared": count(len(lessons)),
        "lesson_reuse_rate": ratio(len({p[0] for p in lesson_pairs}), len(lessons), MIN_ARTIFACTS),
        "lesson_reuses": count(len(lesson_pairs)),
    }


def _collaboration(store: Any, params: dict[str, Any], cohort: dict) -> dict[str, Any]:
    return collaboration(cohort, times_by_deal(store, COLLABORATORS_SQL, params))


def collaboration(cohort: dict, collaborators: dict) -> dict[str, Any]:
    """Collaboration figures of a cohort (deal -> (outcome, close time)); `collaborators`: deal ->
    the times collaborators first joined it (a deal is collaborative with one joined by its close). Pure."""
    collaborative = {
        d for d, (_, closed_at) in cohort.items() if any(t <= closed_at for t in collaborators.get(d, []))
    }
    solo = set(cohort) - collaborative
    won = {d for d, (o, _) in cohort.items() if o == "won"}
    return collaboration_counts(len(cohort), len(collaborative), len(collaborative & won), len(solo & won))


def collaboration_counts(closed: int, collaborative: int, collaborative_won: int, solo_won: int) -> dict[str, Any]:
    """Collaboration figures from a cohort's counts: deals closed, collaborative (a collaborator joined by
    the close), collaborative and won, solo and won. Pure."""
    return {
        "closed_deals": count(closed),
        "collaborative_share": ratio(collaborative, closed, MIN_DEALS),
        "win_rate_collaborative": ratio(collaborative_won, collaborative, MIN_DEALS),
        "win_rate_solo": ratio(solo_won, closed - collaborative, MIN_DEALS),
    }


def _outcomes(store: Any, params: dict[str, Any], cohort: dict) -> dict[str, Any]:
    won = {d: t for d, (o, t) in cohort.items() if o == "won"}
    criteria = times_by_deal(store, CRITERIA_SQL, params)
    handed_off = set(store.query_df(HANDOFFS_SQL, params).get("deal_id", []))
    before = sum(1 for d, closed_at in won.items() if any(t <= closed_at for t in criteria.get(d, [])))
    due = store.query_df(CRITERIA_DUE_SQL, params)
    met = [int(m) for m in due.get("met_by_due", [])]
    referrals = store.query_scalar(REFERRALS_SQL, params)
    return {
        "won_deals": count(len(won)),
        "criteria_defined_before_close": ratio(before, len(won), MIN_DEALS),
        "handed_off_with_criteria": ratio(sum(1 for d in won if d in handed_off), len(won), MIN_DEALS),
        "criteria_due": count(len(met)),
        "criteria_met_by_due": ratio(sum(met), len(met), MIN_CRITERIA),
        "referrals_made": count(int(referrals or 0)),
    }


PERSON_REVIEWS_SQL = f"SELECT count() FROM reviews FINAL WHERE {IN_PERIOD} AND author = {{person:String}}"
PERSON_REFERRALS_SQL = f"SELECT count() FROM referrals FINAL WHERE {IN_PERIOD} AND referrer = {{person:String}}"


def person(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "reviews_published": count(int(store.query_scalar(PERSON_REVIEWS_SQL, params) or 0)),
        "referrals_made": count(int(store.query_scalar(PERSON_REFERRALS_SQL, params) or 0)),
    }
