"""Team live: how the team works together this period, refreshed every few seconds.

Managers see their team with names (the helping network); reps see the same aggregates with
nobody named but themselves. Tiles: helping network, give/get balance distribution, knowledge
shared and reused, failure transparency, customer outcomes, recognition mix, activity feed.
"""
from __future__ import annotations

import hashlib
import time
from typing import Any, Iterable

from dash import Input, Output, State, ctx, dcc, html, no_update

from projections.metrics import team_metrics, team_views, views

from .. import access, auth, every_team, figures, news, read_model, ticks
from ..components import attention_list, empty_state, filters, fmt, foot, labelled, period_filter, stat, table, tile
from ..drawn import Drawn

PATH = "/team"
TILES = ("net", "balance", "knowledge", "failure", "outcomes", "recognition")
TICK_MS = 5000
"""The page's full callback runs at least this often (at most the app's refresh interval), for the freshness
footers and the needs-attention list; a new snapshot runs it at once (dashboards/news.py asks every
NEWS_MS whether there is one)."""


def layout(user, store, query: dict[str, str], refresh_ms: int) -> html.Div:
    span = read_model.shape(store)["span"]
    allowed = access.teams_for(user, read_model.shape(store)["teams"])
    if span is None or not allowed:
        return empty_state()
    team = query.get("team") if query.get("team") in allowed else allowed[0]
    return html.Div([
        html.H2("Team live"),
        html.P("How the team works together: help given and returned, knowledge shared, failures reviewed in the "
               "open, customers reaching their goals. Figures say how many events they rest on.", className="lede"),
        filters(labelled("Team", dcc.Dropdown(id="team-team", options=allowed, value=team, clearable=False,
                                              className="dd-team")),
                *period_filter("team", span)),
        dcc.Interval(id="team-tick", interval=min(refresh_ms, TICK_MS)),
        *news.layout("team"),
        dcc.Store(id="team-shown"),  # the stamp of the snapshot on screen (read_model.unchanged)
        html.Div([
            tile("team-attention", "Needs attention", graph=False, wide=True,
                 help_text=ATTENTION_HELP_MANAGER if access.shows_names(user) else ATTENTION_HELP_REP),
            tile("team-net", "Who helps whom", wide=False,
                 help_text="Acknowledged help between members. Solid blue: reciprocated; dotted grey with arrow: "
                           "one way; open diamonds: members with no ties.", fill=True),
            tile("team-balance", "Give/get balance",
                 help_text="How many members give more help than they get, and the reverse (no names).", fill=True),
            tile("team-knowledge", "Knowledge shared and reused", fill=True),
            tile("team-failure", "Failure transparency", fill=True),
            tile("team-outcomes", "Customer outcomes", fill=True),
            tile("team-recognition", "Recognition mix", fill=True),
        ], className="tiles team-grid"),
    ])


ATTENTION_HELP_MANAGER = ("Your team's next actions, most urgent first (days left, never by person): losses "
                          "waiting for a review, deals heading to all give, no get, success criteria due soon, "
                          "help waiting for an acknowledgement. Each deal opens on the Deals page.")
ATTENTION_HELP_REP = ("Your own next actions, most urgent first: your losses waiting for a review, your deals "
                      "heading to all give, no get, criteria due soon, help waiting for an acknowledgement.")


ATTENTION_EVERY_TICKS = 1
"""The needs-attention list is redrawn on every tick of the page (TICK_MS: its items change by the day),
not when news came."""
ATTENTION_REFRESH_SECONDS = 30.0
"""and its snapshot of every team is recomputed at most this often, so it does not take the live
figures' turn after every event (its footer says how old it is)."""


def attention_data(store, team: str) -> dict[str, Any]:
    """The team's needs-attention items as of now (`items`) and the display names as of then (`names`):
    its slice of one snapshot of every team's items, kept current in the background (read model), so a
    hundred watched teams cost four queries per refresh, not four hundred, and a redraw no query. Between
    whole computes (read_model.FULL_EVERY_SECONDS) a refresh computes the teams pages watch only
    (`attention_update`), and a first visit its own team (`attention_first`)."""
    from projections.metrics import attention

    everyone = read_model.for_store(store).get(
        ("attention_all",), lambda: attention_whole(store), every=ATTENTION_REFRESH_SECONDS,
        update=lambda previous, _before, watched: attention_update(store, previous, watched),
        part=team, first=lambda: attention_first(store, team))
    found = everyone["items"].get(team)
    if found is None:  # a team named after the snapshot was computed: its own snapshot until the next one
        return read_model.page_data(store, ("attention", team),
                                    lambda: {"items": attention.team_items(store, team), "names": views.display_names(store)},
                                    every=ATTENTION_REFRESH_SECONDS)
    return {"items": found, "names": everyone["names"], "summary": everyone["summary"]}


def _attention_value(names: list[str], items: dict[str, Any], previous: dict[str, Any] | None,
                     computed: Iterable[str], store) -> dict[str, Any]:
    """A needs-attention snapshot: `items` (team -> items) of the teams `computed` now over `previous`'s,
    in the teams' order; `at`: when each team's items were computed (monotonic clock); `behind`: the teams
    never computed since the last whole compute."""
    now = time.monotonic()
    at = {**(previous or {}).get("at", {}), **dict.fromkeys(computed, now)}
    merged: dict[str, Any] = {t: (previous or {}).get("items", {}).get(t) for t in names}
    merged.update(items)
    return {"items": merged, "names": views.display_names(store), "at": at,
            "behind": frozenset(t for t in names if t not in at)}


def attention_whole(store) -> dict[str, Any]:
    from projections.metrics import attention, teams

    names = teams(store)
    return _attention_value(names, attention.all_team_items(store, names), None, names, store)


def attention_first(store, team: str) -> dict[str, Any]:
    """A first needs-attention snapshot with `team`'s items only, every other team `behind` (a first visit
    waits for its own team's items; the others come when a page of theirs opens or at the next whole
    compute); every team's when `team` is not one of the teams."""
    from projections.metrics import attention, teams

    names = teams(store)
    if team not in names:
        return attention_whole(store)
    return _attention_value(names, attention.all_team_items(store, [team], only=True), None, [team], store)


def attention_update(store, previous: dict[str, Any], watched: set[str] | None) -> dict[str, Any] | None:
    """The needs-attention snapshot of every team with the items of the teams pages watch computed again
    as of now (their queries read those teams' rows only) and the others' kept (`behind` if never
    computed since the last whole compute); None (compute it whole) when a page reads it whole, the team
    list changed or most teams are due. Items change with the clock as well as with the data, so a
    watched team is due whether or not new rows touched it: when its items are older than
    ATTENTION_REFRESH_SECONDS or it is behind (a page opening a team behind computes that team, not
    every watched one)."""
    from projections.metrics import attention, teams

    names = teams(store)
    if watched is None or list(previous["items"]) != names:
        return None
    now, at, behind = time.monotonic(), previous.get("at", {}), previous.get("behind", frozenset())
    due = sorted(t for t in set(watched) & set(names)
                 if t in behind or now - at.get(t, float("-inf")) >= ATTENTION_REFRESH_SECONDS)
    if len(due) > every_team.WHOLE_SHARE * len(names):
        return None
    fresh = attention.all_team_items(store, due, only=True) if due else {}
    return _attention_value(names, fresh, previous, due, store)


LISTS = Drawn()
"""The needs-attention list last drawn per team and viewer, kept while the snapshot holds the same items."""


def attention_outputs(store, team: str, user) -> tuple:
    """The needs-attention tile's callback body: (list, footer) from the snapshot, names as of it; the
    list is drawn again only when the team's items or the names are other objects than last time."""
    data = attention_data(store, team)
    named = access.shows_names(user)
    shown = data if named else {**data, "names": {}}
    body, n = LISTS.get(("team_live", team, named, "" if named else user.person_id),
                        (data["items"], data["names"] if named else None), lambda: attention_body(shown, user))
    return body, attention_foot(n, data["summary"])


def render_attention(data: dict[str, Any], user) -> tuple:
    """(list, footer) of the needs-attention tile: a manager sees the team's items with names and
    links to the Deals page, a rep only their own items, nobody named. Pure."""
    body, n = attention_body(data, user)
    return body, attention_foot(n, data["summary"])


def attention_body(data: dict[str, Any], user) -> tuple[Any, int]:
    """(the list, how many items it names) of `render_attention`. Pure."""
    from projections.metrics import attention

    items = data["items"]
    if access.shows_names(user):
        people = {p for i in items for p in i.people}
        names = {p: data.get("names", {}).get(p, p) for p in people}
        return attention_list(items, names=names, link_to_deals=True), len(items)
    items = attention.for_person(items, user.person_id)
    return attention_list(items, me=user.person_id), len(items)


def attention_foot(n: int, summary: dict[str, Any]) -> Any:
    return foot(f"{n} item{'s' if n != 1 else ''} as of now", summary)


def fetch(store, team: str, period: str) -> dict[str, Any]:
    """The team's page data: its slice of the period's snapshot of every team, kept current in the
    background (dashboards.read_model), so any number of watched team pages cost one compute; after a
    write only the teams it touched are computed again (dashboards.every_team)."""
    return read_model.team_page(store, "team_live", team, period, lambda: _fetch_all(store, period),
                                lambda: _fetch(store, team, period), every_team.updater(store, period, _pages_of),
                                every_team.firster(store, period, _pages_of, team))


PAGES = team_views.LastBuilt()
"""Every team's page as last built, with the fingerprint of what it was built from: a new snapshot
rebuilds only the pages of the teams its events touched (the others keep the same objects)."""


def _fetch_all(store, period: str) -> dict[str, Any]:
    """Every team's page data of the period, one query per area for all teams (`_fetch`'s figures);
    `teams` maps each team to its page data, built when that team's page first asks for it, and the
    same object as in the last snapshot while nothing the page is drawn from changed."""
    return every_team.whole(store, _pages_of(store, period))


def _pages_of(store, period: str) -> every_team.Pages:
    def pages(names: list[str], people: dict[str, str], only: list[str] | None) -> team_views.Lazy:
        """The page data of the teams `names`, built on first use (`only`: see every_team)."""
        from projections.metrics import trends

        reads = team_views.snapshot_reads(store, period, only=only)  # every query, started now
        metrics = trends.team_metrics_all(store, period, names, reads)
        detail = team_views.team_live(store, period, names, reads=reads)
        known = names_digest(people)

        def build(team: str) -> dict[str, Any]:
            out = {"metrics": metrics[team], **detail[team], "names_digest": known}
            return {**out, "tiles": tile_digests(out)}

        def page(team: str) -> dict[str, Any]:  # once per snapshot and team, when the team's page first asks
            drawn_from = team_views.digest(detail.fingerprint(team), metrics[team], known)
            return PAGES.get((period, team), drawn_from, lambda: build(team))
        return team_views.Lazy(names, page)
    return pages


def names_digest(names: dict[str, str]) -> str:
    return hashlib.blake2b(repr(sorted(names.items())).encode(), digest_size=12).hexdigest()


def _fetch(store, team: str, period: str) -> dict[str, Any]:
    """Every query of the page (projections query functions only)."""
    acts = views.team_help(store, team, period)  # read once for the network and the balance
    page = {
        "team": team, "period": period,
        "metrics": team_metrics(store, team, period),
        "members": views.team_roster(store, team, period),
        "edges": views.help_edges(store, team, period, acts),
        "balance": views.help_balance(store, team, period, acts),
        "by_kind": views.knowledge_by_kind(store, team, period),
        "failed": views.failed_deal_reviews(store, team, period),
        "lessons": views.recent_lessons(store, team, period),
        "names": views.display_names(store),
    }
    page["names_digest"] = names_digest(page["names"])
    return {**page, "tiles": tile_digests(page)}


TILE_INPUTS = {
    "net": ("members", "edges", "metrics.reciprocity"),
    "balance": ("balance", "metrics.reciprocity"),
    "knowledge": ("by_kind", "metrics.information_sharing"),
    "failure": ("failed", "lessons", "names_digest", "metrics.failure_transparency"),
    "outcomes": ("metrics.customer_outcomes",),
    "recognition": ("metrics.recognition",),
}
"""What each tile's figure and texts are drawn from (its footer also says how fresh the snapshot is)."""


def tile_digests(data: dict[str, Any]) -> dict[str, str]:
    """tile id -> a digest of what the tile is drawn from: a tick redraws only the tiles whose digest
    differs from the one the browser shows (pure)."""
    def part(name: str) -> Any:
        value = data
        for key in name.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if hasattr(value, "columns") and hasattr(value, "values"):  # a DataFrame
            return (tuple(map(str, value.columns)), value.values.tolist())
        return value

    return {tid: hashlib.blake2b(repr([part(n) for n in names]).encode(), digest_size=12).hexdigest()
            for tid, names in TILE_INPUTS.items()}


def render(data: dict[str, Any], user, only: set[str] | None = None) -> dict[str, tuple]:
    """tile id -> (figure, texts, footer); `only`: draw those tiles' figures and texts, the others'
    are dash.no_update (their footers are always new). Pure."""
    m, last = data["metrics"], data["summary"]
    names_ok = access.shows_names(user)
    rec, share = m["reciprocity"], m["information_sharing"]
    fail, out, recog = m["failure_transparency"], m["customer_outcomes"], m["recognition"]
    drawn = set(TILES) if only is None else only
    out_tiles: dict[str, tuple] = {}

    def put(tid: str, draw, footer) -> None:
        figure, texts = draw() if tid in drawn else (no_update, no_update)
        out_tiles[tid] = (figure, texts, footer)

    put("net", lambda: (
        figures.network_figure(data["members"], data["edges"], show_names=names_ok, me=user.person_id),
        [stat("reciprocity index", rec["reciprocity_index"], "pct", "ties"),
         stat("density", rec["density"], "pct", "members"),
         stat("members with no ties", rec["isolates"], "int", "members")]),
        foot(f"{rec['ties']['value']} ties from {rec['help_within_team']['value']} acknowledged help acts", last))
    bal = data["balance"]

    def balance() -> tuple:
        givers = int((bal["given"] > bal["received"]).sum()) if not bal.empty else 0
        takers = int((bal["given"] < bal["received"]).sum()) if not bal.empty else 0
        return (figures.balance_histogram(bal),
                [html.Div(f"{givers} give more than they get · {takers} get more than they give · "
                          f"{len(bal) - givers - takers} even", className="stat-line")])

    put("balance", balance,
        foot(f"{rec['acknowledged_help_given']['value']} help acts given and "
             f"{rec['acknowledged_help_received']['value']} received, {len(bal)} members", last))
    put("knowledge", lambda: (
        figures.knowledge_figure(data["by_kind"]),
        [stat("artifacts per person-month", share["artifacts_per_person_month"], "num", "person-months"),
         stat("reused within 30 days", share["reuse_rate"], "pct", "artifacts"),
         stat("cross-team reuse", share["cross_team_reuse_share"], "pct", "reuses")]),
        foot(f"{share['artifacts_shared']['value']} artifacts and {share['reuses']['value']} reuses", last))

    def failure() -> tuple:
        lessons = data["lessons"]
        lesson_rows = [{"date": t, "kind": str(k).replace("_", " "), "title": ti,
                        **({"by": data["names"].get(str(a), a)} if names_ok else {})}
                       for t, k, ti, a in zip(lessons.get("time", []), lessons.get("kind", []),
                                              lessons.get("title", []), lessons.get("author", []))]
        cols = [("date", "date"), ("kind", "kind"), ("title", "title")] + ([("by", "shared by")] if names_ok else [])
        return (figures.failure_figure(data["failed"]),
                [stat("reviewed within 14 days", fail["review_rate"], "pct", "lost deals"),
                 stat("median days to review", fail["median_days_to_review"], "days", "reviewed"),
                 stat("lessons reused", fail["lesson_reuse_rate"], "pct", "lessons"),
                 html.H4("Recent war stories and lessons"),
                 table(lesson_rows, cols, "No war story or lesson shared in this period.")])

    put("failure", failure,
        foot(f"{fail['failed_deals']['value']} lost/no-decision deals, "
             f"{fail['lessons_shared']['value']} war stories and lessons", last))
    put("outcomes", lambda: (
        figures.share_bars([("criteria defined before close", out["criteria_defined_before_close"]),
                            ("handed off with criteria", out["handed_off_with_criteria"]),
                            ("criteria met by due date", out["criteria_met_by_due"])]),
        [stat("referrals made", out["referrals_made"], "int")]),
        foot(f"{out['won_deals']['value']} won deals, {out['criteria_due']['value']} criteria due, "
             f"{out['referrals_made']['value']} referrals", last))
    put("recognition", lambda: (
        figures.recognition_figure(recog["by_reason"]),
        [stat("for helping, sharing, failures", recog["helping_sharing_failure_share"], "pct", "recognitions"),
         stat("for results", recog["result_share"], "pct", "recognitions")]),
        foot(f"{recog['recognitions']['value']} recognitions (at most {recog['cap_per_giver_receiver']} "
             f"per giver and receiver)", last))
    return out_tiles


def outputs_for(data: dict[str, Any], user, only: set[str] | None = None) -> list[Any]:
    tiles = render(data, user, only)
    return [x for tid in TILES for x in tiles[tid]]


def register(app, store) -> None:
    outputs = [Output(f"team-{tid}-{part}", prop) for tid in TILES
               for part, prop in (("graph", "figure"), ("text", "children"), ("foot", "children"))]

    @app.callback(*outputs, Output("team-shown", "data"), Input("team-team", "value"),
                  Input("team-period", "value"), Input("team-tick", "n_intervals"), Input("team-news", "data"),
                  State("team-shown", "data"))
    def refresh(team, period, _n, _news, shown):
        user = auth.require(PATH, team=team)
        if not period:
            return [figures.empty_figure(fmt(None)), "", ""] * len(TILES) + [None]
        data = fetch(store, team, period)
        return ticked(data, user, shown if ctx.triggered_id in ("team-tick", "team-news") else None)

    news.register(app, "team", "team_live")

    @app.callback(Output("team-attention-text", "children"), Output("team-attention-foot", "children"),
                  Input("team-team", "value"), Input("team-tick", "n_intervals"))
    def refresh_attention(team, n):
        user = auth.require(PATH, team=team)
        if ctx.triggered_id == "team-tick" and (n or 0) % ATTENTION_EVERY_TICKS:
            return no_update, no_update  # the list changes by the day: no need to redraw it every tick
        return attention_outputs(store, team, user)


def ticked(data: dict[str, Any], user, shown: Any) -> list[Any]:
    """The callback's outputs for `data` when the browser shows the snapshot stamped `shown`: nothing
    new (every output dash.no_update: an idle page costs a lookup), new footers only, or, for a new
    snapshot, new footers and the tiles whose inputs changed (`tile_digests`; all of them when the
    browser shows none)."""
    what = read_model.unchanged(data, shown)
    if what == "none":
        return ticks.nothing(len(TILES))
    digests = data.get("tiles") or tile_digests(data)
    if what == "feet":
        only: set[str] | None = set()
    else:
        before = shown.get("tiles") if isinstance(shown, dict) else None
        only = None if not isinstance(before, dict) else {t for t in TILES if before.get(t) != digests[t]}
    out = outputs_for(data, user, only)
    if what == "feet":
        out = ticks.feet_only(out)
    return out + [{**read_model.stamp(data), "tiles": digests}]
