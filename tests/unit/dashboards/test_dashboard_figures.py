"""Figure builders and page renderers on synthetic data (no store), and the no-ranking rules."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html

from dashboards import figures, guard
from dashboards.components import change, fmt, period_options, periods_between
from dashboards.users import User

pytestmark = pytest.mark.unit

MANAGER = User("mia", "manager", "p-0", ("north",))
REP = User("ray", "rep", "p-1", ("north",))


def F(value, sample=10, min_sample=5):
    insufficient = sample < min_sample or value is None
    return {"value": None if insufficient else value, "sample": sample, "min_sample": min_sample,
            "insufficient": insufficient}


class Auto(dict):
    """A metric dict where every figure not given explicitly is 0.5 with n=10."""

    def __missing__(self, key):
        if key in ("by_reason",):
            return {"helping": 4, "sharing": 3, "failure_transparency": 1, "customer_outcome": 2, "result": 5}
        if key == "ends":
            return {"restarted": {"won": 2, "lost": 1, "no_decision": 0, "open": 1},
                    "not_restarted": {"won": 0, "lost": 3, "no_decision": 1, "open": 0}}
        if key == "cap_per_giver_receiver":
            return 3
        return Auto() if key in AREAS else F(0.5)


AREAS = {"reciprocity", "information_sharing", "failure_transparency", "customer_outcomes", "recognition",
         "buyer_reciprocity", "proposal_rediscovery", "collaboration"}

MEMBERS = pd.DataFrame({"person": ["p-0", "p-1", "p-2", "p-3", "p-4", "p-5"],
                        "display_name": ["Ana", "Ben", "Cy", "Di", "Ed", "Flo"], "role": ["manager"] + ["rep"] * 5})
EDGES = pd.DataFrame({"helper": ["p-0", "p-1", "p-2", "p-3"], "recipient": ["p-1", "p-0", "p-3", "p-4"],
                      "acts": [2, 1, 1, 5]})


def test_fmt_says_not_enough_data():
    assert fmt(F(None, 3, 5)) == "not enough data (n=3, needs 5)"
    assert fmt(F(0.734)) == "73%" and fmt(F(2.5), "days") == "2.5 days" and fmt(F(7), "int") == "7"
    assert change(F(0.6), F(0.5)) == "+10 pts" and change(F(0.6), F(None, 1)) == "n/a (too few before: n=1, needs 5)"


def test_network_circle_layout_reciprocated_and_isolates():
    fig = go.Figure(figures.network_figure(MEMBERS, EDGES, show_names=True))
    names = {t.name for t in fig.data}
    assert {"reciprocated tie", "one-way tie", "with ties", "no ties (isolate)"} <= names
    iso = next(t for t in fig.data if t.name == "no ties (isolate)")
    assert list(iso.text) == ["Flo"]  # p-5 has no tie
    ties = set(zip(EDGES["helper"], EDGES["recipient"]))
    assert len(fig.layout.annotations) == sum(1 for h, r in ties if (r, h) not in ties) > 0, "an arrow per one-way tie"
    again = go.Figure(figures.network_figure(MEMBERS, EDGES, show_names=True))
    assert fig.to_json() == again.to_json()  # deterministic layout
    anonymous = go.Figure(figures.network_figure(MEMBERS, EDGES, show_names=False, me="p-1"))
    labels = [x for t in anonymous.data if t.mode == "markers+text" for x in t.text]
    assert set(labels) == {"", "you"}
    assert "Ana" not in anonymous.to_json()


def test_balance_is_a_histogram_without_names():
    bal = pd.DataFrame({"person": ["p-0", "p-1", "p-2"], "given": [5, 1, 2], "received": [1, 4, 2]})
    fig = go.Figure(figures.balance_histogram(bal))
    assert fig.data[0].type == "histogram" and sorted(fig.data[0].x) == [-3, 0, 4]
    assert "p-0" not in fig.to_json()


def test_other_builders_and_empty_states():
    assert "Nothing shared" in go.Figure(figures.knowledge_figure(pd.DataFrame())).to_json()
    by_kind = pd.DataFrame({"kind": ["lesson", "playbook"], "shared": [3, 4], "reused": [1, 2], "reuses": [2, 2],
                            "cross_team_reuses": [1, 0]})
    assert len(go.Figure(figures.knowledge_figure(by_kind)).data) == 3
    failed = pd.DataFrame({"deal_id": ["d1", "d2", "d3"], "outcome": ["lost", "lost", "no_decision"],
                           "closed_at": [None] * 3, "days_to_review": [2.0, float("nan"), 20.0],
                           "reviewed_in_window": [True, False, False]})
    fig = go.Figure(figures.failure_figure(failed))
    assert [list(t.y) for t in fig.data] == [[1, 0], [0, 1], [1, 0]]
    bars = go.Figure(figures.share_bars([("a", F(0.5)), ("b", F(None, 2, 5))]))
    assert "not enough data (n=2, needs 5)" in bars.to_json()
    deals = pd.DataFrame({"seller_gave": [3, 1], "buyer_gave": [0, 2], "all_give_no_get": [True, False]})
    assert {t.name for t in go.Figure(figures.buyer_scatter(deals)).data} >= {"all give, no get", "balanced or early"}
    assert len(go.Figure(figures.rediscovery_figure(Auto()["ends"])).data) == 4
    assert go.Figure(figures.roles_figure(pd.DataFrame({"role": ["sme"], "collaborators": [2], "deals": [2]}))).data
    trend = pd.DataFrame({"period": ["2026-01", "2026-02"], "v": [1.0, float("nan")]})
    assert go.Figure(figures.trend_figure(trend, [("v", "v")])).data[0].connectgaps is False
    assert set(figures.OKABE_ITO.values()) >= set(figures.SEQUENCE)


def test_periods():
    span = (datetime(2025, 11, 20, tzinfo=timezone.utc), datetime(2026, 2, 3, tzinfo=timezone.utc))
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    assert period_options(span, "quarter", now) == ["2026-Q1", "2025-Q4"]
    assert period_options(span, "month", now) == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert period_options(None, "week") == []
    assert periods_between(datetime(2026, 1, 15).date(), datetime(2026, 3, 2).date(), "month") == [
        "2026-01", "2026-02", "2026-03"]


def _team_live_data():
    return {"team": "north", "period": "2026-Q1", "metrics": Auto(), "members": MEMBERS, "edges": EDGES,
            "balance": pd.DataFrame({"person": MEMBERS["person"], "given": [5, 4, 3, 2, 1, 0],
                                     "received": [0, 1, 2, 3, 4, 5]}),
            "by_kind": pd.DataFrame(), "failed": pd.DataFrame(),
            "lessons": pd.DataFrame({"time": [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (9, 8, 7, 6, 5)],
                                     "kind": ["lesson"] * 5, "title": list("abcde"),
                                     "author": ["p-0", "p-1", "p-2", "p-3", "p-4"]}),
            "names": dict(zip(MEMBERS["person"], MEMBERS["display_name"])),
            "summary": {"events": 100, "dead_letters": 0, "last_ingested": "2026-01-10T00:00:00+00:00"}}


@pytest.mark.parametrize("user", [MANAGER, REP])
def test_team_live_render_shows_samples_and_no_ranking(user):
    from dashboards.pages import team_live

    tiles = team_live.render(_team_live_data(), user)
    tree = html.Div([html.Div(t[1]) for t in tiles.values()] + [html.P(t[2]) for t in tiles.values()])
    assert guard.layout_violations(tree) == []
    text = guard.layout_text(tree)
    assert "n=10" in text and "rests on" in text
    if user.role == "rep":
        assert "Ana" not in text and "Ana" not in go.Figure(tiles["net"][0]).to_json()



def test_every_figure_is_a_plain_valid_plotly_figure():
    """The builders write plotly's schema by hand (no graph objects, for speed): plotly's own
    validation must accept every figure, or plotly.js would silently drop what it does not know."""
    from dashboards.pages import team_live

    failed = pd.DataFrame({"deal_id": ["d1", "d2"], "outcome": ["lost", "no_decision"], "closed_at": [None] * 2,
                           "days_to_review": [2.0, float("nan")], "reviewed_in_window": [True, False]})
    by_kind = pd.DataFrame({"kind": ["war_story"], "shared": [3], "reused": [1], "reuses": [2],
                            "cross_team_reuses": [1]})
    tiles = team_live.render({**_team_live_data(), "failed": failed, "by_kind": by_kind}, MANAGER)
    built = [fig for fig, _texts, _foot in tiles.values()] + [
        figures.buyer_scatter(pd.DataFrame({"seller_gave": [3, 1], "buyer_gave": [0, 2],
                                            "all_give_no_get": [True, False]})),
        figures.rediscovery_figure(Auto()["ends"]),
        figures.roles_figure(pd.DataFrame({"role": ["sme"], "collaborators": [2], "deals": [2]})),
        figures.trend_with_partial(pd.DataFrame({"period": ["2026-01", "2026-02"], "v": [1.0, 2.0]}), [("v", "v")],
                                   partial="2026-02"),
        figures.empty_figure("nothing")]
    for fig in built:
        assert isinstance(fig, dict) and set(fig) == {"data", "layout"}
        checked = go.Figure(fig)  # raises on a property plotly does not know
        assert checked.layout.height == fig["layout"]["height"] and len(checked.data) == len(fig["data"])
    assert sum(len(f["data"]) for f in built) >= 15, "the figures drew their traces"

def test_guard_catches_rankings():
    assert guard.text_violations("Top performers this month") != []
    assert guard.text_violations("Leaderboard") == ["leaderboard"]
    assert guard.text_violations("how the team works together; stop the bleeding") == []
    ranked = html.Table([html.Tr([html.Th("name"), html.Th("deals won")])]
                        + [html.Tr([html.Td(n), html.Td(str(v))]) for n, v in zip("abcde", [9, 7, 5, 3, 1])])
    assert guard.layout_violations(ranked) == ["rows ordered by 'deals won'"]
    by_name = html.Table([html.Tr([html.Th("name"), html.Th("deals won")])]
                         + [html.Tr([html.Td(n), html.Td(str(v))]) for n, v in zip("abcde", [3, 9, 1, 7, 5])])
    assert guard.layout_violations(by_name) == []


def test_executive_hides_small_groups_and_pools_visible_teams():
    from dashboards.pages import executive

    def team(members, idx):
        m = Auto()
        m["reciprocity"] = Auto(members=F(members, members, 0), reciprocity_index=F(idx, 20))
        return m

    data = {"quarter": "2026-Q1", "previous": "2025-Q4", "teams": ["big", "small"],
            "current": {"big": team(8, 0.6), "small": team(3, 0.9)},
            "before": {"big": team(8, 0.5), "small": team(3, 0.1)},
            "summary": {"events": 1, "dead_letters": 0, "last_ingested": None}}
    df = executive.long_rows(data)
    row = df[(df["scope"] == "small") & (df["measure"] == "Reciprocity index")].iloc[0]
    assert row["hidden"] and row["text"] == "hidden: too few people: n=3, needs 5" and pd.isna(row["value"])
    org = df[(df["scope"] == "Organisation") & (df["measure"] == "Reciprocity index")].iloc[0]
    assert org["value"] == pytest.approx(0.6) and org["change"] == "+10 pts"
    csv = executive.csv_text(df)
    assert csv.splitlines()[0] == "quarter,scope,measure,value,sample,previous,change,hidden" and "0.9" not in csv
    title, table, foot = executive.render(data, executive.ORG)
    assert "small" in foot and guard.layout_violations(table) == []


def test_long_tables_show_their_first_rows_and_say_how_many_are_left_out():
    from dashboards.components import table

    rows = [{"deal": f"d{i:03d}"} for i in range(250)]
    out = table(rows, [("deal", "deal")], "none", tid="t", limit=100, more="Narrow the period.")
    grid, note = out.children
    assert len(grid.children[1].children) == 100 and grid.children[1].children[0].children[0].children == "d000"
    assert note.children == "Showing the first 100 of 250 rows. Narrow the period."
    head_only = table(rows[:10], [("deal", "deal")], "none", total=40, limit=10)
    assert head_only.children[1].children == "Showing the first 10 of 40 rows."
    short = table(rows[:3], [("deal", "deal")], "none")
    assert isinstance(short, html.Table) and len(short.children[1].children) == 3


def test_freshness_tells_when_the_figures_were_computed():
    from dashboards.components import freshness

    summary = {"as_of": "2026-11-23T10:00:30+00:00", "last_ingested": "2026-11-23T10:00:25+00:00"}
    text = freshness("12 ties", summary, now=datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc))
    assert text == "rests on 12 ties · updated 4 min ago (10:00:30 UTC) · newest event landed 5 s before"
    assert freshness("0 ties", {"last_ingested": None}).endswith("no events yet")


def test_changes_round_like_the_figures_and_explain_n_a():
    from dashboards.components import change, change_direction

    f = lambda v, n=10, m=5: {"value": v if n >= m else None, "sample": n, "min_sample": m, "insufficient": n < m}
    assert change(f(0.501), f(0.499)) == "±0 pts" and change(f(0.49), f(0.5)) == "-1 pts"
    assert change(f(3, 3), f(2)) == "n/a (too few now: n=3, needs 5)"
    assert change(f(0.5), None) == "n/a (no previous data)"
    assert change(f(0.5), f(0.1, 2)) == "n/a (too few before: n=2, needs 5)"
    assert change(f(-0.001), f(0.0), "days") == "±0.0 days"
    assert change_direction(f(0.6), f(0.5), "up") == "better" and change_direction(f(0.6), f(0.5), "down") == "worse"
    assert change_direction(f(0.501), f(0.5), "up") == "same" and change_direction(f(3, 3), f(0.5), "up") == ""


def test_footer_says_how_old_and_warns_when_stale():
    from dashboards import components
    from dashboards.components import age_text, foot, is_stale

    now = datetime(2026, 11, 23, 10, 5, tzinfo=timezone.utc)
    assert age_text(12) == "updated 12 s ago" and age_text(300) == "updated 5 min ago" and age_text(1) == "updated just now"
    fresh = {"as_of": "2026-11-23T10:04:50+00:00", "last_ingested": "2026-11-23T10:04:49+00:00"}
    assert not is_stale(fresh, now, after=30) and is_stale(fresh, now, after=5)
    confirmed = {**fresh, "as_of": "2026-11-23T09:00:00+00:00", "confirmed_at": "2026-11-23T10:04:58+00:00"}
    assert not is_stale(confirmed, now, after=30)  # unchanged data confirmed by the read model
    components.STALE_AFTER_SECONDS = 30
    span = foot("12 ties", {**fresh, "as_of": "2026-11-23T10:00:00+00:00"}, now)
    assert "stale" in span.className and span.children[0].children.startswith("⚠")
    assert "updated 5 min ago" in span.children[1].children


def test_network_names_go_outward_and_empty_shares_say_why():
    from dashboards import figures

    assert figures.label_position(0, 1) == "top center" and figures.label_position(0, -1) == "bottom center"
    assert figures.label_position(1, 0) == "middle right" and figures.label_position(-1, 0) == "middle left"
    none = {"value": None, "sample": 2, "min_sample": 5, "insufficient": True}
    fig = go.Figure(figures.share_bars([("handed off with criteria", none)]))
    assert not fig.data and "handed off with criteria n=2, needs 5" in fig.layout.annotations[0].text


def test_a_new_snapshot_redraws_only_the_tiles_whose_inputs_changed():
    from dash import no_update

    from dashboards.pages import team_live

    data = {**_team_live_data(), "summary": {**_team_live_data()["summary"], "as_of": "2026-01-10T00:00:01+00:00"}}
    first = team_live.ticked(data, MANAGER, None)  # nothing shown yet: every tile drawn
    graphs = first[0:-1:3]
    assert len(graphs) == len(team_live.TILES) and all(g is not no_update for g in graphs)

    balance = data["balance"].assign(given=[0, 0, 0, 0, 0, 9])
    newer = {**data, "balance": balance, "summary": {**data["summary"], "as_of": "2026-01-10T00:00:02+00:00"}}
    second = team_live.ticked(newer, MANAGER, first[-1])
    drawn = {tid for tid, g in zip(team_live.TILES, second[0:-1:3]) if g is not no_update}
    assert drawn == {"balance"}, "only the tile drawn from the changed frame"
    assert all(f is not no_update for f in second[2:-1:3]), "every footer says how fresh the snapshot is"

    assert all(x is no_update for x in team_live.ticked(newer, MANAGER, second[-1])), "shown already: nothing"
    renamed = {**newer, "names_digest": "other", "summary": {**data["summary"], "as_of": "2026-01-10T00:00:03+00:00"}}
    third = team_live.ticked(renamed, MANAGER, second[-1])
    assert {tid for tid, g in zip(team_live.TILES, third[0:-1:3]) if g is not no_update} == {"failure"}


def _deals_data(as_of: str, seller_gave: int = 3, buyer_share: float = 0.5):
    from projections.metrics import views

    open_deals = views.open_deals_frame(pd.DataFrame({
        "deal_id": ["d-1", "d-2"], "owner": ["p-0", "p-1"], "stage": ["proposal", "discovery"],
        "account": ["Acme", "Globex"], "opened_at": [datetime(2026, 1, 2, tzinfo=timezone.utc)] * 2,
        "seller_gave": [seller_gave, 1], "buyer_gave": [0, 1], "buyer_kinds": [[], ["commitment"]]}))
    return {"team": "north", "period": "2026-Q1",
            "metrics": {"buyer_reciprocity": Auto(buyer_share=F(buyer_share)), "proposal_rediscovery": Auto(),
                        "collaboration": Auto()},
            "open": open_deals, "withdrawn": views.withdrawn_frame(pd.DataFrame(), None),
            "roles": pd.DataFrame({"role": ["engineer"], "collaborators": [2], "deals": [1]}),
            "names": dict(zip(MEMBERS["person"], MEMBERS["display_name"])),
            "summary": {"events": 100, "dead_letters": 0, "last_ingested": "2026-01-10T00:00:00+00:00",
                        "as_of": as_of}}


def test_a_deals_tick_sends_nothing_for_the_shown_snapshot_and_only_footers_when_its_team_is_unchanged():
    from dash import no_update

    from dashboards.pages import deals

    parts = 3 * len(deals.TILES)
    first = deals.ticked(_deals_data("2026-01-10T00:00:01+00:00"), MANAGER, False, None)
    assert len(first) == parts + 1 and all(x is not no_update for x in first[:parts]), "nothing shown yet: all"
    assert "Ana" in str(first[1]), "a manager sees the owners' names"
    assert deals.ticked(_deals_data("2026-01-10T00:00:01+00:00"), MANAGER, False, first[-1]) == [no_update] * (parts + 1)

    other_team_changed = deals.ticked(_deals_data("2026-01-10T00:00:02+00:00"), MANAGER, False, first[-1])
    assert [i for i, x in enumerate(other_team_changed[:parts]) if x is not no_update] == list(range(2, parts, 3)), \
        "a new snapshot with this team's tiles unchanged: the footers only"
    for changed in (_deals_data("2026-01-10T00:00:03+00:00", seller_gave=4),
                    _deals_data("2026-01-10T00:00:03+00:00", buyer_share=0.7)):
        out = deals.ticked(changed, MANAGER, False, other_team_changed[-1])
        assert all(x is not no_update for x in out[:parts]), "a changed row or figure redraws the tiles"
        assert out[-1]["drawn"] != first[-1]["drawn"]
