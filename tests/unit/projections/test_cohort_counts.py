"""cohorts.counts (the deal figures of every team's cohort, folded in columns) against the deal-by-deal
fold of the one-team path (deals.first_reviews, deals.collaboration), on random cohorts with the edge
cases written in: reviews before the close, a review exactly at the end of the window, a deal listed
twice for one team and period, a deal in two teams' cohorts, deals without any fact."""
from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from projections.metrics import cohorts, deals
from projections.metrics.common import FAILED_OUTCOMES, REVIEW_WINDOW_DAYS

T0 = datetime(2026, 10, 1, tzinfo=timezone.utc)
OUTCOMES = ["won", "lost", "no_decision", "won"]


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _frame(rows: list[tuple], columns: list[str], times: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for c in times:
        df[c] = pd.to_datetime(df[c], utc=True).astype("datetime64[ms, UTC]")
    return df


def _history(seed: int):
    rnd = random.Random(seed)
    day = 86_400_000
    closed, reviews, collaborators, criteria = [], [], [], []
    for i in range(300):
        deal, team, q = f"d{i:03d}", rnd.choice(["north", "south", "east"]), rnd.choice(["2026-Q3", "2026-Q4"])
        closed_at = rnd.randrange(0, 60 * day)
        closed.append((deal, rnd.choice(OUTCOMES), _at(closed_at), team, q))
        if i % 37 == 0:  # listed twice for the same team and period: the last row counts
            closed.append((deal, rnd.choice(OUTCOMES), _at(closed_at + rnd.randrange(day)), team, q))
        if i % 41 == 0:  # in another team's cohort too
            closed.append((deal, rnd.choice(OUTCOMES), _at(closed_at + day), "west", q))
        for _ in range(rnd.choice([0, 0, 1, 2, 3])):
            reviews.append((deal, _at(closed_at + rnd.randrange(-10 * day, 30 * day))))
        if i % 13 == 0:  # exactly at the end of the review window
            reviews.append((deal, _at(closed_at + REVIEW_WINDOW_DAYS * day)))
        if rnd.random() < 0.6:
            collaborators.append((deal, _at(closed_at + rnd.randrange(-20 * day, 5 * day))))
        if rnd.random() < 0.6:
            criteria.append((deal, _at(closed_at + rnd.randrange(-20 * day, 5 * day))))
    handed_off = {f"d{i:03d}" for i in range(0, 300, 3)}
    return (_frame(closed, ["deal_id", "outcome", "closed_at", "team", "quarter"], ("closed_at",)),
            _frame(reviews, ["deal_id", "time"], ("time",)),
            _frame(collaborators, ["deal_id", "first_time"], ("first_time",)),
            _frame(criteria, ["deal_id", "first_time"], ("first_time",)), handed_off)


def _by_deal(df: pd.DataFrame, column: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for d, t in zip(df["deal_id"], df[column]):
        out.setdefault(d, []).append(t.to_pydatetime())
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_columnar_counts_equal_the_deal_by_deal_fold(seed: int) -> None:
    closed, reviews, collaborators, criteria, handed_off = _history(seed)
    got = cohorts.counts(closed, reviews, collaborators, criteria, handed_off)

    cohort_of: dict[tuple, dict] = {}
    for d, o, t, team, q in closed.itertuples(index=False):
        cohort_of.setdefault((team, q), {})[d] = (o, t.to_pydatetime())
    review_times, collab_times = _by_deal(reviews, "time"), _by_deal(collaborators, "first_time")
    criteria_times = _by_deal(criteria, "first_time")
    assert set(got) == set(cohort_of)
    for key, cohort in cohort_of.items():
        failed = {d: t for d, (o, t) in cohort.items() if o in FAILED_OUTCOMES}
        won = {d: t for d, (o, t) in cohort.items() if o == "won"}
        in_window, days = deals.first_reviews(failed, review_times)
        c = got[key]
        assert (c.closed, c.failed, c.won) == (len(cohort), len(failed), len(won))
        assert c.reviewed_in_window == in_window
        assert sorted(c.days_to_review) == sorted(days)  # the same floats, not near ones
        assert (statistics.median(c.days_to_review) if days else None) == (statistics.median(days) if days else None)
        assert c.won_with_criteria == sum(1 for d, t in won.items() if any(x <= t for x in criteria_times.get(d, [])))
        assert c.won_handed_off == sum(1 for d in won if d in handed_off)
        assert deals.collaboration_counts(c.closed, c.collaborative, c.collaborative_won, c.solo_won) == \
            deals.collaboration(cohort, collab_times)
    # the edge cases were there to be counted
    assert any(c.reviewed_in_window < len(c.days_to_review) for c in got.values())
    assert ("west", "2026-Q3") in got or ("west", "2026-Q4") in got


def test_no_facts_and_no_deals() -> None:
    closed, reviews, collaborators, criteria, _ = _history(4)
    empty = reviews.iloc[0:0]
    got = cohorts.counts(closed, empty, collaborators.iloc[0:0], criteria.iloc[0:0], set())
    assert sum(c.closed for c in got.values()) == len(closed.drop_duplicates(["deal_id", "team", "quarter"]))
    assert all(c.days_to_review == [] and c.collaborative == c.won_with_criteria == c.won_handed_off == 0
               for c in got.values())
    assert all(c.solo_won == c.won for c in got.values())
    assert cohorts.counts(closed.iloc[0:0], reviews, collaborators, criteria, set()) == {}
