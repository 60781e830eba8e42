"""Team live and Deals on chDB: one snapshot per period serves every team's page, each page its own team's data.

Every team's `team_live.fetch` (`deals.fetch`) must equal what the one-team `_fetch` computes (the
figures the page shows, the detail frames and the names), and the read model must hold a single
all-teams snapshot for the period, computed once, however many team pages ask.
"""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone

import pytest
from pandas.testing import assert_frame_equal

from dashboards import read_model
from dashboards.components import period_options
from dashboards.pages import deals, team_live
from projections.metrics import team_views, teams, views
from projections.project import Positioned
from streams.simulator import simulate
from streams.fold.sink import store_events

pytestmark = pytest.mark.integration

FRAMES = ("members", "edges", "balance", "by_kind", "failed", "lessons")
PAGES = {"team_live": (team_live, FRAMES), "deals": (deals, ("open", "withdrawn", "roles"))}


def _same(got, want) -> bool:
    if isinstance(want, dict) and "insufficient" in want:
        if (got["value"] is None) != (want["value"] is None):
            return False
        close = want["value"] is None or math.isclose(got["value"], want["value"], rel_tol=1e-9, abs_tol=1e-12)
        return close and {k: v for k, v in got.items() if k != "value"} == {
            k: v for k, v in want.items() if k != "value"}
    return got == want


@pytest.mark.parametrize("page_name", PAGES)
def test_every_team_page_is_its_slice_of_one_snapshot(store, page_name):
    import schemas

    page_module, frames = PAGES[page_name]

    now = datetime.now(timezone.utc)
    events = [schemas.decode(v) for _, v in simulate(7, 4000, start=now - timedelta(days=80), teams=3)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)], int(now.timestamp() * 1000))
    names = teams(store)
    assert len(names) >= 3
    span = views.data_span(store)
    read_model.clear()
    try:
        model = read_model.for_store(store)
        for period in (period_options(span, "quarter")[0], period_options(span, "month")[1]):
            before = model.refreshes
            first = page_module.fetch(store, names[0], period)
            built = model._entries[(f"{page_name}_all", period)].value["teams"].built
            assert built == {names[0]}, "only the page asked for built its frames"
            pages = {t: page_module.fetch(store, t, period) for t in names}
            assert model.refreshes - before == len(names), (
                "one snapshot for every team page of the period, each first visit computing its own team into it "
                "(a period the dashboards warmed at start is computed whole, once)")
            assert not model._entries[(f"{page_name}_all", period)].value["behind"], "every team opened: none behind"
            assert pages[names[0]][frames[0]] is first[frames[0]], "a page's frames are built once per snapshot"
            keys = [k for k in model._entries if k and str(k[0]).startswith(page_name)]
            assert (f"{page_name}_all", period) in keys and not [k for k in keys if k[0] == page_name]
            for team, page in pages.items():
                want = page_module._fetch(store, team, period)
                assert page["team"] == team and page["period"] == period and page["names"] == want["names"]
                for area, figures in page["metrics"].items():
                    if area in ("team", "period"):
                        assert figures == want["metrics"][area]
                        continue
                    for key, fig in figures.items():
                        assert _same(fig, want["metrics"][area][key]), (period, team, area, key)
                for name in frames:
                    if want[name].empty:
                        assert page[name].empty and list(page[name].columns) == list(want[name].columns)
                    else:
                        assert_frame_equal(page[name], want[name], obj=f"{period} {team} {name}")
            for name in frames:
                assert any(not p[name].empty for p in pages.values()), f"{period}: some team has {name} rows"
            if page_name == "team_live":
                assert len({id(p["edges"]) for p in pages.values()}) == len(names), "each page its own team's edges"
    finally:
        read_model.clear()


def test_a_snapshot_of_every_team_runs_no_query_twice(store, monkeypatch):
    """The figures and the detail views read the same help acts and knowledge of the period
    (trends.Reads): one snapshot reads each once, whichever part asks first."""
    from collections import Counter

    import schemas

    now = datetime.now(timezone.utc)
    events = [schemas.decode(v) for _, v in simulate(3, 1500, start=now - timedelta(days=40), teams=3, days=40)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)], 0)
    names, period = teams(store), period_options(views.data_span(store), "quarter")[0]
    run, query_df = Counter(), store.query_df

    def counted(sql, params=None):
        run[sql] += 1
        return query_df(sql, params)
    monkeypatch.setattr(store, "query_df", counted)
    team_live.PAGES.clear()
    data = team_live._fetch_all(store, period)
    assert data["teams"][names[0]]["edges"] is not None
    assert len(run) >= 15, "the snapshot's queries were counted"
    assert [sql.split()[:6] for sql, n in run.items() if n > 1] == []


def _recognition(giver: str, n: int, now: datetime):
    import json

    import schemas

    return schemas.decode(json.dumps({
        "specversion": "1.0", "id": f"reuse-{n}", "source": "test", "type": "teamflow.recognition.given",
        "time": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "datacontenttype": "application/json",
        "dataschema": "https://schemas.teamflow.dev/recognition.given/v1",
        "data": {"giver": giver, "receiver": f"reuse-receiver-{n}", "reason": "helping"}}).encode())


def test_a_new_snapshot_rebuilds_only_the_pages_its_events_touched_and_every_page_equals_a_fresh_build(store):
    """team_live.PAGES keeps a team's page while the fingerprint of what it is drawn from holds. Kept
    pages must equal pages built from nothing after batches of every event type, and an event of one
    team must rebuild that team's page only."""
    import json

    import schemas

    now = datetime.now(timezone.utc)
    events = [schemas.decode(v) for _, v in simulate(11, 3000, start=now - timedelta(days=60), teams=3, days=60)]
    late = set(random.Random(5).sample(range(len(events)), 96))  # of every type, landing late, a few at a time
    history, live = [e for i, e in enumerate(events) if i not in late], [events[i] for i in sorted(late)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(history)], 0)
    names = teams(store)
    period = period_options(views.data_span(store), "quarter")[0]

    def pages() -> dict:
        data = team_live._fetch_all(store, period)
        return {t: data["teams"][t] for t in names}

    def plain(value):
        return value.to_dict("records") if hasattr(value, "columns") else str(value)

    def fresh() -> str:
        team_live.PAGES.clear()
        return json.dumps(pages(), sort_keys=True, default=plain)

    team_live.PAGES.clear()
    before = pages()
    again = pages()
    assert all(again[t] is before[t] for t in names), "nothing changed: every page is kept"

    team = names[0]
    period_members = views.team_roster(store, team, period)["person"]
    giver = next(p for p in period_members if views.current_team(store, p) == team)
    store_events(store, [Positioned(_recognition(giver, 0, now), 1, 0)], 0)
    after = pages()
    assert after[team] is not before[team], "the giver's team is rebuilt"
    assert (after[team]["metrics"]["recognition"]["recognitions"]["value"]
            == before[team]["metrics"]["recognition"]["recognitions"]["value"] + 1)
    assert all(after[t] is before[t] for t in names if t != team), "the other teams' pages are kept"

    kept = rebuilt = frames_held = 0
    for start in range(0, len(live), 4):  # small batches of every event type
        last, detail = pages(), team_views.team_live(store, period, names)
        store_events(store, [Positioned(e, 2, start + i) for i, e in enumerate(live[start:start + 4])], 0)
        now_pages, now_detail = pages(), team_views.team_live(store, period, names)
        kept += sum(now_pages[t] is last[t] for t in names)
        rebuilt += sum(now_pages[t] is not last[t] for t in names)
        assert json.dumps(now_pages, sort_keys=True, default=plain) == fresh(), f"after batch {start // 4}"
        for t in names:  # the frames' own fingerprint, apart from the figures (which move with most events)
            if now_detail.fingerprint(t) == detail.fingerprint(t):
                frames_held += 1
                assert json.dumps(now_detail[t], default=plain) == json.dumps(detail[t], default=plain), t
    assert kept and rebuilt and frames_held, (kept, rebuilt, frames_held)


def test_needs_attention_of_every_team_at_once_equals_each_teams_own_list(store):
    """On a simulated history of every event type, at several moments: one all-teams snapshot gives
    each team the items its own queries give, and the Team live tile reads that one snapshot."""
    import schemas
    from projections.metrics import attention

    now = datetime.now(timezone.utc)
    events = [schemas.decode(v) for _, v in simulate(21, 4000, start=now - timedelta(days=90), teams=4, days=90)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)], 0)
    names = teams(store)
    found = 0
    for at in (now, now - timedelta(days=20), now - timedelta(days=45)):
        every = attention.all_team_items(store, names, at)
        assert sorted(every) == sorted(names)
        for team in names:
            assert every[team] == attention.team_items(store, team, at), (at, team)
            found += len(every[team])
    assert found >= 10, "the history has items to compare"
    read_model.clear()
    try:
        model = read_model.for_store(store)
        team_live.attention_data(store, names[0])  # a first visit computes its own team's items only
        assert model._entries[("attention_all",)].value["behind"] == set(names) - {names[0]}
        pages = {t: team_live.attention_data(store, t) for t in names}  # the others caught up as they open
        assert [k for k in model._entries if k and k[0] in ("attention", "attention_all")] == [("attention_all",)]
        for team, data in pages.items():
            assert {(i.kind, i.deal_id) for i in data["items"]} == {
                (i.kind, i.deal_id) for i in attention.team_items(store, team)}, team
    finally:
        read_model.clear()
