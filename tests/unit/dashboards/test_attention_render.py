"""Needs-attention rendering, My view's lede and the running period (pure functions, no store)."""
from datetime import datetime, timezone

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboards import guard
from dashboards.components import attention_counts, attention_list, deal_href
from dashboards.figures import trend_with_partial
from dashboards.pages import deals, my_view
from projections.metrics.attention import Item

pytestmark = pytest.mark.unit

ITEMS = [Item("review", "atlas", "d1", ("p1",), -2, "lost on 2026-11-10, no review yet"),
         Item("ack", "atlas", "", ("p2", "p1"), 3, "advice given on 2026-11-30, not acknowledged yet", ref="h1"),
         Item("buyer", "atlas", "d2", ("p2",), None, "seller gave 3, buyer gave nothing", ("commitment", "mutual_plan"))]


def texts(component) -> list[str]:
    return [str(c) for c in guard.walk(component) if isinstance(c, str)]


def test_manager_list_names_people_links_deals_and_keeps_the_order():
    out = attention_list(ITEMS, names={"p1": "Ann", "p2": "Bo"}, link_to_deals=True)
    t = texts(out)
    assert t[0].startswith("3 items: 1 loss to review, 1 deal to ask the buyer, 0 criteria due, 1 help act")
    assert "overdue by 2 days" in t and "owner: Ann" in t and "recipient, helper: Bo, Ann" in t
    assert "ask for: commitment, mutual plan" in t
    hrefs = [c.href for c in guard.walk(out) if getattr(c, "href", None)]
    assert hrefs == ["/deals?team=atlas&deal=d1", "/deals?team=atlas&deal=d2"]
    assert guard.layout_violations(out) == []


def test_own_list_names_nobody_and_says_whose_help_it_is():
    out = attention_list(ITEMS[:2], me="p1")
    t = texts(out)
    assert not any("Ann" in x or "owner" in x for x in t)
    assert "Help you gave, not yet acknowledged" in t
    assert "Acknowledge help you received" in texts(attention_list(ITEMS[1:2], me="p2"))
    assert deal_href(ITEMS[0], False) == "#deal-d1" and deal_href(ITEMS[1], True) == ""
    assert "Nothing needs attention" in texts(attention_list([]))[0]
    assert attention_counts([]).startswith("0 items")


def test_deals_selected_deal_from_the_query_and_named_first():
    assert deals.selected_deal("?team=atlas&deal=d1") == "d1" and deals.selected_deal("") == ""
    body, _ = deals.render_attention(ITEMS, {"p1": "Ann"}, "d1", {"as_of": "2026-12-01T00:00:00+00:00"})
    assert texts(body[0])[0].startswith("Deal d1: lost on 2026-11-10") and body[0].id == "deals-selected"
    rows = [c for c in guard.walk(body[1]) if getattr(c, "className", "") in ("attn-item", "attn-item selected")]
    assert [r.className for r in rows] == ["attn-item selected", "attn-item"], "deal items only, d1 highlighted"


def test_my_view_lede_says_whose_figures():
    labels = {"me": "Mia (you)", "p3": "Person 3"}
    assert my_view.whose("me", "me", labels).startswith("Your own figures")
    assert my_view.whose("p3", "me", labels).startswith("Figures of Person 3 (a member of your team)")


def test_running_period_is_partial_and_drawn_apart():
    now = datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert my_view.partial_period(["2026-11", "2026-12"], now) == "2026-12"
    assert my_view.partial_period(["2026-10", "2026-11"], now) is None
    trend = pd.DataFrame({"period": ["2026-10", "2026-11", "2026-12"], "a": [4.0, 5.0, 0.0]})
    fig = go.Figure(trend_with_partial(trend, [("a", "given")], partial="2026-12"))
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert list(lines[0].x) == ["2026-10", "2026-11"], "the line stops at the last full period"
    hollow = [t for t in fig.data if t.mode == "markers"]
    assert list(hollow[0].x) == ["2026-12 so far"] and hollow[0].marker.symbol.endswith("-open")
    empty = go.Figure(trend_with_partial(trend.assign(a=float("nan")), [("a", "given")], partial="2026-12"))
    assert "Not enough data" in empty.layout.annotations[0].text


def test_a_list_is_drawn_again_only_when_drawn_from_other_objects():
    from dashboards.drawn import Drawn

    drawn, names = Drawn(size=2), {"p1": "Ann"}
    first = drawn.get(("atlas", ""), (ITEMS, names), lambda: attention_list(ITEMS, names=names))
    assert drawn.get(("atlas", ""), (ITEMS, names), lambda: pytest.fail("same objects: not drawn again")) is first
    again = drawn.get(("atlas", ""), (list(ITEMS), names), lambda: attention_list(list(ITEMS), names=names))
    assert again is not first, "an equal list of a new snapshot is drawn again (identity, not equality)"
    assert texts(again) == texts(first) and drawn.draws == 2
    drawn.get(("b", ""), (ITEMS,), lambda: "b")
    drawn.get(("c", ""), (ITEMS,), lambda: "c")  # over the size: the least recently used key goes
    assert drawn.get(("atlas", ""), (list(ITEMS), names), lambda: "drawn again") == "drawn again"


def test_the_deals_tile_keeps_its_texts_but_draws_its_footer_every_time():
    summary = {"as_of": "2026-12-07T10:00:00+00:00", "computed_at": "2026-12-07T10:00:00+00:00"}
    body, n = deals.attention_body(ITEMS, {"p1": "Ann"}, "d1")
    whole, foot_ = deals.render_attention(ITEMS, {"p1": "Ann"}, "d1", summary)
    assert n == 2 and texts(body) == texts(whole)
    assert any("2 deal items as of now" in t for t in texts(foot_))
