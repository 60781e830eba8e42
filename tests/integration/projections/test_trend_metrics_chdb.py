"""The grouped (all-teams) queries equal the one-team functions, figure by figure, on chDB.

`projections.metrics.trends.quarterly` answers every team and quarter of a range with one query
per area; `team_metrics_all` and `team_views.team_live` every team of one period of any kind.
`team_metrics(team, period)` and `views` are the one-team paths (the plain-Python reference checks
team_metrics: test_projection_metrics_chdb.py). Every figure must be the same: value, sample,
minimum sample and the insufficient flag, for every team and period, including periods before the
data begins and redelivered events; every detail frame the same rows in the same order.
"""
from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timezone

import pytest
from pandas.testing import assert_frame_equal

from dashboards.exec_trends import KEYS, compact, quarters_ending
from projections.metrics import deal_views, team_metrics, team_views, teams, views
from projections.metrics.trends import quarterly, team_metrics_all
from projections.project import Positioned
from streams.simulator import simulate
from streams.fold.sink import store_events

pytestmark = pytest.mark.integration

SEED = 4242
N_EVENTS = 12_000
START = datetime(2025, 2, 10, tzinfo=timezone.utc)
DAYS = 480


def _load(store, events, batch=3_000):
    for i in range(0, len(events), batch):
        store_events(store, [Positioned(e, 0, i + j) for j, e in enumerate(events[i:i + batch])], 0)


def _same(got, want) -> bool:
    if got["insufficient"] != want["insufficient"] or got["sample"] != want["sample"]:
        return False
    if got["min_sample"] != want["min_sample"]:
        return False
    if want["value"] is None or got["value"] is None:
        return got["value"] is None and want["value"] is None
    return math.isclose(got["value"], want["value"], rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("cohort", ["bound", "read inside"])
def test_grouped_trends_equal_team_metrics_for_every_team_and_quarter(store, monkeypatch, cohort):
    """`cohort`: the closed deals' per-deal reads take their ids as a parameter (a cohort up to
    trends.COHORT_PARAM_MAX deals) or read the closed deals' query inside (a larger one)."""
    import schemas

    from projections.metrics import trends

    monkeypatch.setattr(trends, "COHORT_PARAM_MAX", 10**9 if cohort == "bound" else 0)

    events = [schemas.decode(v) for _, v in simulate(SEED, N_EVENTS, start=START, days=DAYS)]
    _load(store, events)
    _load(store, events[: N_EVENTS // 2], batch=2_500)  # redelivered: must change nothing
    names = teams(store)
    quarters = quarters_ending("2026-Q2", 8)  # 2024-Q3 .. 2026-Q2: two quarters before the data
    got = quarterly(store, quarters, names)
    diffs, shown = [], 0
    for team in names:
        for q in quarters:
            want = compact(team_metrics(store, team, q))
            assert got[team][q]["members"] == want["members"], (team, q)
            for key in KEYS:
                shown += want[key]["value"] is not None
                if not _same(got[team][q][key], want[key]):
                    diffs.append((team, q, key, got[team][q][key], want[key]))
    assert diffs == []
    assert shown > len(names) * len(KEYS), "the history exercises the measures: most quarters have figures"
    assert all(got[t][quarters[0]]["members"] == 0 for t in names), "before the data: nobody"


ALL_TEAMS_PERIODS = ["2025-Q3", "2026-Q1", "2025-11", "2026-02", "2025-W48", "2026-W05", "2025-12-03", "2026-01-20",
                     "2024-06"]  # the last before the data


def test_all_teams_in_one_pass_equal_the_one_team_functions_for_every_team_and_period_kind(store):
    import schemas

    events = [schemas.decode(v) for _, v in simulate(SEED, N_EVENTS, start=START, days=DAYS)]
    _load(store, events)
    _load(store, events[: N_EVENTS // 3], batch=2_500)  # redelivered: must change nothing
    names = teams(store)
    diffs, compared, shown, rows = [], 0, 0, 0
    for period in ALL_TEAMS_PERIODS:
        got = team_metrics_all(store, period, names)
        detail = team_views.team_live(store, period, names)
        assert sorted(got) == names and sorted(detail) == names
        for team in names:
            acts = views.team_help(store, team, period)
            one_team = {"members": views.team_roster(store, team, period),
                        "edges": views.help_edges(store, team, period, acts),
                        "balance": views.help_balance(store, team, period, acts),
                        "by_kind": views.knowledge_by_kind(store, team, period),
                        "failed": views.failed_deal_reviews(store, team, period),
                        "lessons": views.recent_lessons(store, team, period)}
            for name, frame in one_team.items():
                if frame.empty:  # an empty result's column types vary with the query: same columns, no rows
                    assert detail[team][name].empty and list(detail[team][name].columns) == list(frame.columns)
                else:
                    assert_frame_equal(detail[team][name], frame, obj=f"{period} {team} {name}")
                rows += len(frame)
            want = team_metrics(store, team, period)
            assert got[team]["period"] == want["period"]
            for area, figures in got[team].items():
                if area in ("team", "period"):
                    continue
                for key, fig in figures.items():
                    compared += 1
                    if isinstance(fig, dict) and "insufficient" in fig:
                        shown += fig["value"] is not None
                        ok = _same(fig, want[area][key])
                    else:
                        ok = fig == want[area][key]
                    if not ok:
                        diffs.append((period, team, area, key, fig, want[area][key]))
    assert diffs == []
    assert compared >= len(ALL_TEAMS_PERIODS) * len(names) * 30, "every figure Team live shows is compared"
    assert shown > len(ALL_TEAMS_PERIODS) * len(names), "the history exercises the measures"
    assert rows > len(ALL_TEAMS_PERIODS) * len(names) * 10, "the views have rows to compare"


def test_deals_views_of_every_team_equal_the_one_team_views_for_every_team_and_period_kind(store):
    import schemas

    events = [schemas.decode(v) for _, v in simulate(SEED, N_EVENTS, start=START, days=DAYS)]
    _load(store, events)
    _load(store, events[: N_EVENTS // 3], batch=2_500)  # redelivered: must change nothing
    names = teams(store)
    rows, empty = Counter(), Counter()
    for period in ALL_TEAMS_PERIODS:
        got = deal_views.deals(store, period, names)
        assert sorted(got) == names
        for team in names:
            one_team = {"open": views.open_deals(store, team, period),
                        "withdrawn": views.withdrawn_proposals(store, team, period),
                        "roles": views.collaborator_roles(store, team, period)}
            for name, frame in one_team.items():
                if frame.empty:  # an empty result's column types vary with the query: same columns, no rows
                    assert got[team][name].empty and list(got[team][name].columns) == list(frame.columns), \
                        f"{period} {team} {name}"
                    empty[name] += 1
                else:
                    assert_frame_equal(got[team][name], frame, obj=f"{period} {team} {name}")
                    rows[name] += len(frame)
    assert min(rows[n] for n in ("open", "withdrawn", "roles")) > len(names) * 3, f"rows compared: {rows}"
    assert empty["open"] and empty["withdrawn"] and empty["roles"], "teams without rows are compared too"
