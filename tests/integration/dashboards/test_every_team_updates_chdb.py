"""Team live's and Deals' snapshots of every team kept current by updates (issue 14), on chDB.

After a write the read model computes again only the teams the new rows touched
(`projections.changed_teams`, `dashboards.every_team.update`) and keeps the other teams' pages. Whatever lands,
every team's page must then equal the page of a snapshot computed whole from the same store: late
events of every type a few at a time, duplicates, a roster change (which must force a whole compute).
"""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

import pytest
from pandas.testing import assert_frame_equal

from dashboards import every_team, read_model
from dashboards.components import period_options
from dashboards.pages import team_live
from projections import activity, changed_teams
from projections.metrics import team_views, teams, views
from projections.project import Positioned
from streams.fold.sink import store_events
from streams.simulator import simulate

from test_team_live_all_chdb import PAGES, _same  # the same pages and figure comparison as there

pytestmark = pytest.mark.integration


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


DRAWN = {"team_live": "tiles", "deals": "drawn"}
"""Each page's digest of what its tiles are drawn from."""


def _assert_same_page(got: dict, want: dict, page_name: str, where: str) -> None:
    for area, figures in want["metrics"].items():
        if area in ("team", "period"):
            assert got["metrics"][area] == figures, where
            continue
        for key, fig in figures.items():
            assert _same(got["metrics"][area][key], fig), (where, area, key)
    for name in PAGES[page_name][1]:
        if want[name].empty:
            assert got[name].empty and list(got[name].columns) == list(want[name].columns), (where, name)
        else:
            assert_frame_equal(got[name], want[name], obj=f"{where} {name}")
    assert got[DRAWN[page_name]] == want[DRAWN[page_name]], where


@pytest.mark.parametrize("page_name", PAGES)
def test_an_updated_snapshot_equals_one_computed_whole_after_every_batch(store, page_name):
    import schemas

    page = PAGES[page_name][0]
    now = datetime.now(timezone.utc)
    values = [v for _, v in simulate(11, 3000, start=now - timedelta(days=60), teams=12, days=60)]
    events = [schemas.decode(v) for v in values]
    rng = random.Random(14)
    late = sorted(rng.sample(range(len(events)), 90))  # of every type, landing late, a few at a time
    chosen = set(late)
    history = [e for i, e in enumerate(events) if i not in chosen]
    live = [events[i] for i in late if not events[i].type.startswith("teamflow.roster.")]
    roster = [events[i] for i in late if events[i].type.startswith("teamflow.roster.")]
    # the history, then a small batch: an update looks at the batch of the snapshot's watermark again
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(history[:-1])], _now_ms())
    store_events(store, [Positioned(history[-1], 0, len(history) - 1)], _now_ms())
    names = teams(store)
    period = period_options(views.data_span(store), "quarter")[0]
    key = (f"{page_name}_all", period)
    model = read_model.ReadModel(store)  # not started: this test runs the refresher's steps itself
    model.get(key, lambda: page._fetch_all(store, period),
              update=every_team.updater(store, period, page._pages_of))
    entry = model._entries[key]

    def check(where: str) -> None:
        got = {t: entry.value["teams"][t] for t in names}  # built from the updated snapshot first
        team_live.PAGES.clear()  # so the whole snapshot builds every page again
        want = page._fetch_all(store, period)["teams"]
        for t in names:
            _assert_same_page(got[t], want[t], page_name, f"{where}, {t}")

    offset, updated, partial = len(history), 0, 0
    for start in range(0, len(live), 3):
        batch = live[start:start + 3]
        if start == 24:
            batch = batch + live[:2]  # a redelivery of events already stored
        store_events(store, [Positioned(e, 0, offset + i) for i, e in enumerate(batch)], _now_ms())
        offset += len(batch)
        assert model.refresh_stale() == 1
        updated += entry.updates > 0  # else computed whole: more than half the teams were touched
        sources = entry.value["teams"].sources if isinstance(entry.value["teams"], team_views.Patched) else {}
        partial += len({id(m) for m in sources.values()}) > 1
        check(f"batch at {start}")
    batches = len(range(0, len(live), 3))
    assert updated >= batches // 2, f"{updated} of {batches} batches updated the snapshot instead of computing it whole"
    assert partial >= batches // 2, "updates kept the pages of teams no new row touched"

    if roster:  # roster changes move people and names between pages: a whole compute
        store_events(store, [Positioned(e, 0, offset + i) for i, e in enumerate(roster)], _now_ms())
        assert model.refresh_stale() == 1
        assert entry.updates == 0
        check("roster changes")


def test_what_the_tables_say_decides_between_an_update_and_a_whole_compute(store):
    """`changed_teams.since` names the teams rows written after a watermark touched, and says None when it
    cannot tell: a table replaced, a table moved without new rows (a mutation), roster changes."""
    import schemas

    now = datetime.now(timezone.utc)
    events = [schemas.decode(v) for _, v in simulate(5, 800, start=now - timedelta(days=20), teams=4, days=20)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events[:-1])], _now_ms())
    store_events(store, [Positioned(events[-1], 0, len(events))], _now_ms())
    period = period_options(views.data_span(store), "quarter")[0]
    from projections.metrics.periods import Period

    params = Period.of(period).params()
    before, mark = activity.table_versions(store), changed_teams.watermark(store)
    assert changed_teams.since(store, before, activity.table_versions(store), mark, params) == set()

    help_event = next(e for e in events if e.type == "teamflow.help.given")
    store_events(store, [Positioned(help_event, 0, 10_000)], _now_ms())  # a redelivered help act
    touched = changed_teams.since(store, before, activity.table_versions(store), mark, params)
    assert touched and touched < set(teams(store)), touched

    before, mark = activity.table_versions(store), changed_teams.watermark(store)
    store.command("ALTER TABLE recognitions DELETE WHERE 1 SETTINGS mutations_sync = 2")
    after_delete = activity.table_versions(store)
    assert changed_teams.moved_tables(before, after_delete) == ["recognitions"]
    assert changed_teams.since(store, before, after_delete, mark, params) is None, "rows went, none came"

    roster = next(e for e in events if e.type.startswith("teamflow.roster."))
    store_events(store, [Positioned(roster, 0, 10_001)], _now_ms())
    assert changed_teams.moved_tables(before, activity.table_versions(store)) is None


def test_an_update_computes_the_watched_teams_and_a_team_left_behind_is_brought_current_when_its_page_asks(store):
    """A first visit computes its own team only and leaves the others `behind`; with pages watching some
    teams only, an update computes those and leaves the other touched teams behind; opening a page of
    one of them updates the snapshot first, so no page ever shows a team behind, and every page read
    equals the page of a snapshot computed whole."""
    import schemas

    now = datetime.now(timezone.utc)
    values = [v for _, v in simulate(12, 2000, start=now - timedelta(days=40), teams=10, days=40)]
    events = [schemas.decode(v) for v in values]
    late = set(random.Random(15).sample(range(len(events)), 60))  # of every type, landing late
    live = [events[i] for i in sorted(late) if not events[i].type.startswith("teamflow.roster.")]
    history = [e for i, e in enumerate(events) if i not in late or e.type.startswith("teamflow.roster.")]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(history[:-1])], _now_ms())
    store_events(store, [Positioned(history[-1], 0, len(history) - 1)], _now_ms())
    names = teams(store)
    watched = names[0]
    period = period_options(views.data_span(store), "quarter")[0]
    page = team_live
    key = ("team_live_all", period)
    model = read_model.ReadModel(store)  # not started: this test runs the refresher's steps itself

    def read(team: str) -> dict:
        return model.get(key, lambda: page._fetch_all(store, period), update=every_team.updater(store, period, page._pages_of),
                         part=team, first=every_team.firster(store, period, page._pages_of, team))["teams"][team]

    def whole(team: str) -> dict:
        team_live.PAGES.clear()
        return page._fetch_all(store, period)["teams"][team]

    _assert_same_page(read(watched), whole(watched), "team_live", "a first visit")
    entry = model._entries[key]
    assert entry.value["behind"] == set(names) - {watched}, "a first visit computes its own team only"
    offset, left_behind = len(history), set()
    for start in range(0, len(live), 4):
        store_events(store, [Positioned(e, 0, offset + i) for i, e in enumerate(live[start:start + 4])], _now_ms())
        offset += 4
        assert model.refresh_stale() == 1
        if entry.updates == 0:  # computed whole (a new partition): nothing behind
            assert not entry.value.get("behind")
            continue
        behind = set(entry.value["behind"])
        assert watched not in behind
        _assert_same_page(read(watched), whole(watched), "team_live", f"batch at {start}, the watched team")
        left_behind |= behind
        if start >= 16:  # five batches
            break
    assert left_behind, "the batches touched teams nobody watches: they stay behind"
    other = sorted(left_behind & set(entry.value["behind"]))[-1]  # never watched: behind since the first visit
    got = read(other)  # a page of a team behind opens: brought current first
    assert other not in entry.value["behind"]
    _assert_same_page(got, whole(other), "team_live", f"{other}, behind until its page asked")
