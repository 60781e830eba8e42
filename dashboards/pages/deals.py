"""Deals (managers): buyer reciprocity per open deal, withdrawn proposals, collaboration on deals.

"All give, no get" (3+ seller gives, no buyer give) is flagged with what the seller could ask
for next: the buyer-side exchanges not yet received (commitment, decision-maker access,
success criteria, mutual plan). Deals are listed by id, never ordered by a figure.
"""
from __future__ import annotations

import hashlib
from typing import Any

from dash import Input, Output, State, ctx, dcc, html, no_update

from projections.metrics import team_metrics, team_views, views

from .. import access, auth, every_team, figures, news, read_model, ticks
from ..components import (TABLE_ROWS, attention_list, empty_state, filters, foot, labelled, period_filter, stat,
                          table, tile)
from ..drawn import Drawn

PATH = "/deals"
TILES = ("buyer", "rediscovery", "collab")
AREAS = ("buyer_reciprocity", "proposal_rediscovery", "collaboration")
"""The metric areas the tiles show."""
TICK_MS = 5000
"""As Team live's: the full callback runs at least this often, and at once when news.py saw a new snapshot."""
ATTENTION_EVERY_TICKS = 1
"""The needs-attention tile is redrawn on every tick (its items change by the day), not when news came."""


def layout(user, store, query: dict[str, str], refresh_ms: int) -> html.Div:
    span = read_model.shape(store)["span"]
    allowed = access.teams_for(user, read_model.shape(store)["teams"])
    if span is None or not allowed:
        return empty_state()
    team = query.get("team") if query.get("team") in allowed else allowed[0]
    return html.Div([
        html.H2("Deals"),
        html.P("Healthy deals are symmetric: the buyer gives commitments as the seller gives demos and proposals.",
               className="lede"),
        filters(labelled("Team", dcc.Dropdown(id="deals-team", options=allowed, value=team, clearable=False,
                                              className="dd-team")),
                *period_filter("deals", span),
                labelled("Show", dcc.Checklist(id="deals-flagged", options=[{"label": " only all give, no get",
                                                                             "value": "flagged"}], value=[]))),
        dcc.Interval(id="deals-tick", interval=min(refresh_ms, TICK_MS)),
        *news.layout("deals"),
        dcc.Store(id="deals-shown"),  # the stamp of the snapshot on screen (read_model.unchanged)
        html.Div([
            tile("deals-buyer", "Buyer reciprocity on open deals", wide=True,
                 help_text="Open at the end of the period; exchanges over the deal's life up to then.", fill=True),
            tile("deals-rediscovery", "Withdrawn proposals and what became of them", fill=True),
            tile("deals-collab", "Collaboration on deals", fill=True),
            tile("deals-attention", "Deals that need attention now", graph=False,
                 help_text="Most urgent first (days left): losses waiting for a review, deals heading to all "
                           "give, no get and what to ask the buyer for, success criteria due soon."),
        ], className="tiles deals-grid"),
    ])


def fetch(store, team: str, period: str) -> dict[str, Any]:
    """The team's page data: its slice of the period's snapshot of every team, kept current in the
    background (dashboards.read_model), so any number of watched Deals pages cost one compute; after a
    write only the teams it touched are computed again (dashboards.every_team)."""
    return read_model.team_page(store, "deals", team, period, lambda: _fetch_all(store, period),
                                lambda: _fetch(store, team, period), every_team.updater(store, period, _pages_of),
                                every_team.firster(store, period, _pages_of, team))


def _fetch_all(store, period: str) -> dict[str, Any]:
    """Every team's page data of the period (`_fetch`'s), one query per area for all teams; a team's
    is built when its page first asks for it."""
    return every_team.whole(store, _pages_of(store, period))


def _pages_of(store, period: str) -> every_team.Pages:
    def pages(names: list[str], people: dict[str, str], only: list[str] | None) -> team_views.Lazy:
        """The page data of the teams `names`, built on first use (`only`: see every_team)."""
        from projections.metrics import deal_views, trends

        reads = deal_views.snapshot_reads(store, period, only)  # every query, started now
        metrics = trends.team_metrics_all(store, period, names, reads)
        detail = deal_views.deals(store, period, names, reads)

        def page(team: str) -> dict[str, Any]:  # once per snapshot and team, when the team's page first asks
            data = {"metrics": metrics[team], **detail[team]}
            return {**data, "drawn": drawn_from({**data, "names": people})}
        return team_views.Lazy(names, page)
    return pages


def _fetch(store, team: str, period: str) -> dict[str, Any]:
    return {
        "team": team, "period": period,
        "metrics": team_metrics(store, team, period),
        "open": views.open_deals(store, team, period),
        "withdrawn": views.withdrawn_proposals(store, team, period),
        "roles": views.collaborator_roles(store, team, period),
        "names": views.display_names(store),
    }


def drawn_from(data: dict[str, Any]) -> str:
    """A digest of everything the tiles are drawn from but the freshness (figures, rows, the owners'
    names): a new snapshot that leaves it unchanged redraws only the footers. Pure."""
    m = data["metrics"]
    frames = [data[k] for k in ("open", "withdrawn", "roles")]
    owners = sorted({str(o) for o in data["open"].get("owner", [])})
    return hashlib.blake2b(repr([[m.get(a) for a in AREAS], [(list(map(str, f.columns)), f.values.tolist())
                                                              for f in frames],
                                 [(o, data["names"].get(o)) for o in owners]]).encode(), digest_size=12).hexdigest()


def ticked(data: dict[str, Any], user, only_flagged: bool, shown: Any) -> list[Any]:
    """The tiles' callback outputs for `data` when the browser shows the snapshot stamped `shown`:
    nothing (an unchanged snapshot costs a lookup), the footers only (a new snapshot this team's
    tiles do not differ in), or every tile (`shown` None: the team, period or filter changed)."""
    what = read_model.unchanged(data, shown)
    if what == "none":
        return ticks.nothing(len(TILES))
    digest = data.get("drawn") or drawn_from(data)
    if what == "feet" or (isinstance(shown, dict) and shown.get("drawn") == digest):
        feet = footers(data)
        out = ticks.feet_only([x for tid in TILES for x in (None, None, feet[tid])])
    else:
        tiles = render(data, user, only_flagged)
        out = [x for tid in TILES for x in tiles[tid]]
    return out + [{**read_model.stamp(data), "drawn": digest}]


def render(data: dict[str, Any], user, only_flagged: bool = False) -> dict[str, tuple]:
    m, feet = data["metrics"], footers(data)
    br, red, col = m["buyer_reciprocity"], m["proposal_rediscovery"], m["collaboration"]
    deals = data["open"]
    names = data["names"]
    shown = deals[deals["all_give_no_get"]] if only_flagged and not deals.empty else deals
    if not shown.empty:  # deals that need attention first, then by deal id; only the rows shown are built
        shown = shown.sort_values("all_give_no_get", ascending=False, kind="stable")
    rows = [{"deal": r["deal_id"], "account": r["account"], "owner": names.get(str(r["owner"]), r["owner"]),
             "stage": r["stage"], "seller": r["seller_gave"], "buyer": r["buyer_gave"],
             "flag": "all give, no get" if r["all_give_no_get"] else "",
             "ask": r["ask_next"] if r["seller_gave"] or r["buyer_gave"] else ["start with discovery"]}
            for r in shown.head(TABLE_ROWS).to_dict("records")]
    flagged = int(deals["all_give_no_get"].sum()) if not deals.empty else 0
    out: dict[str, tuple] = {}
    out["buyer"] = (
        figures.buyer_scatter(deals),
        [stat("buyer share of exchanges (period)", br["buyer_share"], "pct", "exchanges"),
         stat("deals all give, no get (period)", br["all_give_no_get_share"], "pct", "deals"),
         html.Div(f"{len(deals)} open deals, {flagged} flagged all give, no get", className="stat-line"),
         html.Div(table(rows, [("deal", "deal"), ("account", "account"), ("owner", "owner"), ("stage", "stage"),
                               ("seller", "seller gave"), ("buyer", "buyer gave"), ("flag", "flag"),
                               ("ask", "ask the buyer next for")],
                        "No open deals at the end of this period." if not only_flagged
                        else "No open deal is all give, no get.", tid="deals-table", total=len(shown),
                        more="Flagged deals come first; tick 'only all give, no get' or pick a shorter period "
                             "to narrow the list."), className="scroll")],
        feet["buyer"],
    )
    w = data["withdrawn"]
    wrows = [{"deal": r["deal_id"], "withdrawn": r["withdrawn_at"], "reason": r["reason"] or "—",
              "restarted": r["restarted"], "end": str(r["end"]).replace("_", " ")}
             for r in w.head(TABLE_ROWS).to_dict("records")]
    out["rediscovery"] = (
        figures.rediscovery_figure(red["ends"]),
        [stat("restarted discovery", red["restart_rate"], "pct", "deals"),
         stat("won after restart", red["win_rate_after_restart"], "pct", "closed"),
         html.Div(table(wrows, [("deal", "deal"), ("withdrawn", "withdrawn"), ("reason", "reason"),
                                ("restarted", "restarted discovery"), ("end", "became")],
                        "No proposal was withdrawn in this period.", total=len(w)), className="scroll short")],
        feet["rediscovery"],
    )
    out["collab"] = (
        figures.roles_figure(data["roles"]),
        [stat("deals with collaborators", col["collaborative_share"], "pct", "closed deals"),
         stat("win rate, collaborative", col["win_rate_collaborative"], "pct", "deals"),
         stat("win rate, solo", col["win_rate_solo"], "pct", "deals")],
        feet["collab"],
    )
    return out


def footers(data: dict[str, Any]) -> dict[str, Any]:
    """tile id -> its footer: what the figures rest on and how fresh they are. Pure."""
    m, last = data["metrics"], data["summary"]
    br, red, col = m["buyer_reciprocity"], m["proposal_rediscovery"], m["collaboration"]
    return {
        "buyer": foot(f"{len(data['open'])} open deals, {br['deals_with_exchanges']['value']} with exchanges in "
                      "the period", last),
        "rediscovery": foot(f"{red['withdrawn_proposals']['value']} withdrawn proposals on "
                            f"{red['deals_with_withdrawal']['value']} deals", last),
        "collab": foot(f"{col['closed_deals']['value']} deals closed in the period", last),
    }


def selected_deal(search: str | None) -> str:
    """The deal named by `?deal=` (a needs-attention link), '' when none."""
    from urllib.parse import parse_qs

    values = parse_qs((search or "").lstrip("?")).get("deal") or [""]
    return values[0][:128] if values[0].isprintable() else ""


LISTS = Drawn()
"""The tile's texts last drawn per team and selected deal, kept while the snapshot holds the same items."""


def render_attention(items: list, names: dict[str, str], selected: str, summary: dict) -> tuple:
    """(texts, footer) of the tile: the selected deal first named, then every deal item by urgency. Pure."""
    body, n = attention_body(items, names, selected)
    return body, attention_foot(n, summary)


def attention_foot(n: int, summary: dict) -> Any:
    return foot(f"{n} deal items as of now", summary)


def attention_body(items: list, names: dict[str, str], selected: str) -> tuple[list, int]:
    """(the texts, how many deal items they name) of `render_attention`. Pure."""
    deal_items = [i for i in items if i.deal_id]
    people = {p for i in deal_items for p in i.people}
    body: list = []
    if selected:
        mine = [i for i in deal_items if i.deal_id == selected]
        body.append(html.Div(f"Deal {selected}: " + ("; ".join(i.what for i in mine) if mine else
                                                      "nothing needs attention on it now."),
                             className="stat-line selected-deal", id="deals-selected"))
    body.append(attention_list(deal_items, names={p: names.get(p, p) for p in people}, link_to_deals=True,
                               selected=selected,
                               empty="No deal needs attention now: no unreviewed loss, no deal heading to all "
                                     "give, no get, no criterion due within 14 days."))
    return body, len(deal_items)


def register(app, store) -> None:
    outputs = [Output(f"deals-{tid}-{part}", prop) for tid in TILES
               for part, prop in (("graph", "figure"), ("text", "children"), ("foot", "children"))]

    @app.callback(*outputs, Output("deals-shown", "data"), Input("deals-team", "value"),
                  Input("deals-period", "value"), Input("deals-flagged", "value"), Input("deals-tick", "n_intervals"),
                  Input("deals-news", "data"), State("deals-shown", "data"))
    def refresh(team, period, flagged, _n, _news, shown):
        user = auth.require(PATH, team=team)
        if not period:
            return [figures.empty_figure("Pick a period."), "", ""] * len(TILES) + [None]
        return ticked(fetch(store, team, period), user, "flagged" in (flagged or []),
                      shown if ctx.triggered_id in ("deals-tick", "deals-news") else None)

    news.register(app, "deals", "deals")

    @app.callback(Output("deals-attention-text", "children"), Output("deals-attention-foot", "children"),
                  Input("deals-team", "value"), Input("url", "search"), Input("deals-tick", "n_intervals"))
    def refresh_attention(team, search, n):
        from .team_live import attention_data

        auth.require(PATH, team=team)
        if ctx.triggered_id == "deals-tick" and (n or 0) % ATTENTION_EVERY_TICKS:
            return no_update, no_update
        data = attention_data(store, team)
        selected = selected_deal(search)
        body, n = LISTS.get((team, selected), (data["items"], data["names"]),
                            lambda: attention_body(data["items"], data["names"], selected))
        return body, attention_foot(n, data["summary"])
