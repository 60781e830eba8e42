"""The deal figures of every team's cohort in every period, folded in columns.

`trends.grouped` reads the deals closed in a span (`Reads.closed`: one row per deal and the team and
period of its close) and the facts of those deals (reviews, first collaborator, first criterion,
handoffs). The one-team path (`deals.team`) folds them deal by deal in Python; over every team of a
quarter at 10M events that is tens of thousands of deals and review rows per snapshot, and the fold
held the interpreter for most of a snapshot update (docs/architecture.md, "Fifth round"). `counts`
joins and counts the same facts per (team, period) with pandas, so the per-deal work runs in numpy;
`trends._deals` (with `deals.collaboration_counts`, which the one-team path uses too) turns the counts
into the same figures as the one-team path (tests/integration/projections/test_trend_metrics_chdb.py
compares every figure). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .common import FAILED_OUTCOMES, REVIEW_WINDOW_DAYS, member_of

KEY = ["team", "quarter"]


@dataclass
class Counts:
    """One (team, period)'s cohort: deals closed, failed and won; failed deals first reviewed (after their
    close) within the review window and the days to each first review; won deals with a criterion
    defined by their close and handed off with criteria; deals with a collaborator by their close, won
    ones among them, and won ones without."""
    closed: int = 0
    failed: int = 0
    won: int = 0
    reviewed_in_window: int = 0
    days_to_review: list[float] = field(default_factory=list)
    won_with_criteria: int = 0
    won_handed_off: int = 0
    collaborative: int = 0
    collaborative_won: int = 0
    solo_won: int = 0


NO_DEALS = Counts()


def _first_time(facts: pd.DataFrame) -> pd.DataFrame:
    """(deal_id, t): the earliest time of each deal in a facts read (`time` or `first_time`)."""
    column = "time" if "time" in facts.columns else "first_time"
    if facts.empty or column not in facts.columns:
        return pd.DataFrame({"deal_id": pd.Series([], dtype=object), "t": pd.Series([], dtype="datetime64[ms, UTC]")})
    return facts.groupby("deal_id", sort=False, observed=True)[column].min().rename("t").reset_index()


def _by_close(cohort: pd.DataFrame, first: pd.DataFrame) -> np.ndarray:
    """Per cohort row: whether the deal has a fact (`first`: deal_id, t) at or before its close."""
    if first.empty:
        return np.zeros(len(cohort), dtype=bool)
    t = cohort[["deal_id"]].merge(first, on="deal_id", how="left")["t"]
    return (t.notna() & (t <= cohort["closed_at"])).to_numpy(dtype=bool)


def counts(closed: pd.DataFrame, reviews: pd.DataFrame, collaborators: pd.DataFrame, criteria: pd.DataFrame,
           handed_off: set[str]) -> dict[tuple[str, str], Counts]:
    """(team, period) -> `Counts` of the deals `closed` (deal_id, outcome, closed_at, team, quarter; a deal
    listed twice for one team and period counts once, as its last row), with `reviews` (deal_id, time),
    the first collaborator and first criterion times (deal_id, first_time) and the deals `handed_off`
    with criteria."""
    if closed.empty:
        return {}
    cohort = closed[["deal_id", "outcome", "closed_at", *KEY]].drop_duplicates(["deal_id", *KEY], keep="last")
    cohort = cohort.reset_index(drop=True)
    failed = member_of(cohort["outcome"], FAILED_OUTCOMES)
    won = member_of(cohort["outcome"], ["won"])
    collaborative = _by_close(cohort, _first_time(collaborators))
    frame = pd.DataFrame({
        "team": cohort["team"].astype(str).to_numpy(dtype=object),
        "quarter": cohort["quarter"].astype(str).to_numpy(dtype=object),
        "closed": 1, "failed": failed.astype(np.int64), "won": won.astype(np.int64),
        "won_with_criteria": (won & _by_close(cohort, _first_time(criteria))).astype(np.int64),
        "won_handed_off": (won & member_of(cohort["deal_id"], handed_off)).astype(np.int64),
        "collaborative": collaborative.astype(np.int64),
        "collaborative_won": (collaborative & won).astype(np.int64),
        "solo_won": (~collaborative & won).astype(np.int64),
    })
    totals = frame.groupby(KEY, sort=False).sum()
    days = _days_to_first_review(cohort[failed], reviews)
    out: dict[tuple[str, str], Counts] = {}
    for key, row in zip(totals.index, totals.itertuples(index=False)):
        in_window, reviewed = days.get(key, (0, []))
        out[key] = Counts(closed=int(row.closed), failed=int(row.failed), won=int(row.won),
                          reviewed_in_window=int(in_window), days_to_review=reviewed,
                          won_with_criteria=int(row.won_with_criteria), won_handed_off=int(row.won_handed_off),
                          collaborative=int(row.collaborative),
                          collaborative_won=int(row.collaborative_won), solo_won=int(row.solo_won))
    return out


def _days_to_first_review(failed: pd.DataFrame,
                          reviews: pd.DataFrame) -> dict[tuple[str, str], tuple[int, list[float]]]:
    """(team, period) -> (its failed deals first reviewed within the review window, the days from close to
    the first review at or after it of each failed deal reviewed since its close), as `deals.first_reviews`
    computes them (the wait as seconds in a float, then days)."""
    if failed.empty or reviews.empty:
        return {}
    rows = failed[["deal_id", "closed_at", *KEY]].merge(reviews[["deal_id", "time"]], on="deal_id")
    rows = rows[rows["time"] >= rows["closed_at"]]
    if rows.empty:
        return {}
    first = rows.groupby(["deal_id", *KEY], sort=False, observed=True).agg(closed_at=("closed_at", "first"),
                                                                          time=("time", "min")).reset_index()
    waited = first["time"] - first["closed_at"]
    seconds = (waited / pd.Timedelta(seconds=1)).tolist()
    in_window = (waited <= pd.Timedelta(days=REVIEW_WINDOW_DAYS)).tolist()
    out: dict[tuple[str, str], tuple[int, list[float]]] = {}
    for team, q, s, w in zip(first["team"].astype(str).tolist(), first["quarter"].astype(str).tolist(), seconds,
                             in_window):
        n, days = out.setdefault((team, q), (0, []))
        days.append(s / 86400)
        out[(team, q)] = (n + w, days)
    return out
