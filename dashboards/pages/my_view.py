"""My view: a person's own figures over time, against their own past, never against peers.

Each rep and manager sees themself; a manager may also open the members of their own team(s)
(`?person=<id>` or the member picker). The picker lists people alphabetically by name.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd
from dash import Input, Output, dcc, html

from projections.metrics import person_metrics, views

from .. import auth, figures, read_model
from ..components import attention_list, empty_state, filters, foot, labelled, period_of, periods_between, stat, tile

PATH = "/me"
TILES = ("help", "sharing", "recognition", "closing")
GRANULARITIES = [("month", "Month"), ("quarter", "Quarter")]


def _members(store, user, last: date) -> list[dict[str, str]]:
    """The people this user may open: themself, and for a manager the current members of their teams."""
    people: dict[str, str] = {}
    if user.role == "manager":
        for team in user.teams:
            for p in views.team_roster(store, team, period_of(last, "quarter")).to_dict("records"):
                if views.current_team(store, str(p["person"])) in user.teams:
                    people[str(p["person"])] = str(p["display_name"] or p["person"])
    names = views.display_names(store, [user.person_id])
    people[user.person_id] = names.get(user.person_id, user.person_id) + " (you)"
    return [{"label": n, "value": p} for p, n in sorted(people.items(), key=lambda kv: kv[1].lower())]


def whose(person: str, me: str, labels: dict[str, str]) -> str:
    """The lede naming whose figures the page shows (the picked member's, or the user's own)."""
    if person == me or person not in labels:
        return "Your own figures over time, compared with your own past only, never with colleagues."
    return (f"Figures of {labels[person]} (a member of your team) over time, compared with their own past "
            "only, never with colleagues. Pick yourself to see your own.")


def layout(user, store, query: dict[str, str], refresh_ms: int) -> html.Div:
    span = read_model.shape(store)["span"]
    if span is None:
        return empty_state()
    last = min(span[1].date(), date.today())
    first = max(span[0].date(), last - timedelta(days=180))
    options = _members(store, user, last)
    wanted = query.get("person") or user.person_id
    person = wanted if any(o["value"] == wanted for o in options) else user.person_id
    return html.Div([
        html.H2("My view"),
        html.P(whose(person, user.person_id, {o["value"]: o["label"] for o in options}), id="me-whose",
               className="lede"),
        filters(
            labelled("Person", dcc.Dropdown(id="me-person", options=options, value=person, clearable=False,
                                            disabled=len(options) == 1, className="dd-team")),
            labelled("Per", dcc.RadioItems(id="me-gran", options=[{"label": l, "value": v} for v, l in GRANULARITIES],
                                           value="month", inline=True, className="radio")),
            labelled("From – to", dcc.DatePickerRange(id="me-range", start_date=first, end_date=last,
                                                      min_date_allowed=span[0].date(), max_date_allowed=last,
                                                      display_format="YYYY-MM-DD")),
        ),
        html.Div([
            tile("me-attention", "Needs attention", graph=False, wide=True,
                 help_text="Next actions of the person shown, most urgent first: their losses waiting for a "
                           "review, their deals heading to all give, no get, success criteria due soon, help "
                           "waiting for an acknowledgement."),
            tile("me-help", "Help given and received (acknowledged)", fill=True),
            tile("me-sharing", "Knowledge shared and reused", fill=True),
            tile("me-recognition", "Recognition received", fill=True),
            tile("me-closing", "Reviews and referrals", fill=True),
        ], className="tiles me-grid"),
    ])


def fetch(store, person: str, periods: list[str]) -> dict[str, Any]:
    """The person's figures as of this visit: the page does not poll, so its snapshot is not kept
    current in the background (read_model, `live=False`); a visit after new data computes it again."""
    return read_model.page_data(store, ("my_view", person, tuple(periods)), lambda: _fetch(store, person, periods),
                                live=False)


def _fetch(store, person: str, periods: list[str]) -> dict[str, Any]:
    return {"person": person, "periods": periods,
            "by_period": {p: person_metrics(store, person, p) for p in periods}}


def _series(by_period: dict[str, dict], getters: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for p, m in by_period.items():
        row = {"period": p}
        for col, get in getters.items():
            f = get(m)
            row[col] = float("nan") if f["insufficient"] else float(f["value"])
        rows.append(row)
    return pd.DataFrame(rows)


def partial_period(periods: list[str], now: datetime | None = None) -> str | None:
    """The last of `periods` when it is still running at `now` (its figures are so far), else None."""
    from projections.metrics import parse_period

    if not periods:
        return None
    now = now or datetime.now(timezone.utc)
    start, end = parse_period(periods[-1])
    return periods[-1] if start <= now < end else None


def latest_label(data: dict[str, Any], partial: str | None) -> str:
    """'2026-11' or '2026-12 so far' for the headline figures of the last period."""
    label = data["by_period"][data["periods"][-1]]["period"]["label"]
    return f"{label} so far" if partial else label


def render(data: dict[str, Any], now: datetime | None = None) -> dict[str, tuple]:
    bp, last = data["by_period"], data["summary"]
    latest = bp[data["periods"][-1]] if data["periods"] else None
    partial = partial_period(data["periods"], now)
    when = latest_label(data, partial) if latest else ""
    out: dict[str, tuple] = {}
    n_help = sum(m["help"]["help_given"]["value"] + m["help"]["help_received"]["value"] for m in bp.values())
    out["help"] = (
        figures.trend_with_partial(_series(bp, {"given": lambda m: m["help"]["help_given"],
                                          "received": lambda m: m["help"]["help_received"],
                                          "unack": lambda m: m["help"]["help_given_unacknowledged"]}),
                             [("given", "given"), ("received", "received"), ("unack", "given, not yet acknowledged")],
                             partial=partial, y_title="help acts"),
        [stat(f"balance {when}", latest["help"]["balance"], "int", "acts"),
         stat("reciprocated ties", latest["help"]["reciprocated_ties"], "int")] if latest else [],
        foot(f"{n_help} acknowledged help acts over {len(bp)} periods", last),
    )
    n_art = sum(m["information_sharing"]["artifacts_shared"]["value"] for m in bp.values())
    out["sharing"] = (
        figures.trend_with_partial(_series(bp, {"shared": lambda m: m["information_sharing"]["artifacts_shared"],
                                          "reused": lambda m: m["information_sharing"]["reuses_by_others"],
                                          "others": lambda m: m["information_sharing"]["artifacts_of_others_reused"]}),
                             [("shared", "artifacts shared"), ("reused", "reuses by colleagues"),
                              ("others", "colleagues' artifacts you reused")], partial=partial, y_title="count"),
        [stat(f"reused within 30 days {when}", latest["information_sharing"]["reuse_rate"],
              "pct", "artifacts")] if latest else [],
        foot(f"{n_art} artifacts over {len(bp)} periods", last),
    )
    n_rec = sum(m["recognition"]["received"]["recognitions"]["value"] for m in bp.values())
    reasons = ("helping", "sharing", "failure_transparency", "customer_outcome", "result")
    rec = pd.DataFrame([{"period": p, **{r: m["recognition"]["received"]["by_reason"][r] for r in reasons}}
                        for p, m in bp.items()])
    out["recognition"] = (
        figures.trend_with_partial(rec, [(r, r.replace("_", " ")) for r in reasons], partial=partial, y_title="recognitions"),
        [stat(f"recognitions received {when}", latest["recognition"]["received"]["recognitions"], "int"),
         stat(f"recognitions given {when}", latest["recognition"]["given"]["recognitions"], "int")]
        if latest else [],
        foot(f"{n_rec} recognitions received over {len(bp)} periods", last),
    )
    n_close = sum(m["reviews_published"]["value"] + m["referrals_made"]["value"] for m in bp.values())
    out["closing"] = (
        figures.trend_with_partial(_series(bp, {"reviews": lambda m: m["reviews_published"],
                                          "referrals": lambda m: m["referrals_made"]}),
                             [("reviews", "reviews published"), ("referrals", "referrals made")], partial=partial,
                             y_title="count"),
        [],
        foot(f"{n_close} reviews and referrals over {len(bp)} periods", last),
    )
    return out


def render_attention(items: list, person: str, user, summary: dict) -> tuple:
    """(list, footer) of the person's own items; managers' deal links open the Deals page. Pure."""
    from projections.metrics import attention

    mine = attention.for_person(items, person)
    return (attention_list(mine, link_to_deals=user.role == "manager", me=person,
                           empty="Nothing needs attention: no unreviewed loss, no deal heading to all give, "
                                 "no get, no criterion due within 14 days, no help waiting for an acknowledgement."),
            foot(f"{len(mine)} item{'s' if len(mine) != 1 else ''} as of now", summary))


def register(app, store) -> None:
    outputs = [Output(f"me-{tid}-{part}", prop) for tid in TILES
               for part, prop in (("graph", "figure"), ("text", "children"), ("foot", "children"))]

    @app.callback(*outputs, Input("me-person", "value"), Input("me-gran", "value"),
                  Input("me-range", "start_date"), Input("me-range", "end_date"))
    def refresh(person, gran, start, end):
        user = auth.signed_in()
        person = person or user.person_id
        auth.require(PATH, person=person, person_team=views.current_team(store, person))
        if not start or not end:
            return [figures.empty_figure("Pick a date range."), "", ""] * len(TILES)
        periods = periods_between(date.fromisoformat(start[:10]), date.fromisoformat(end[:10]), gran or "month")
        tiles = render(fetch(store, person, periods))
        return [x for tid in TILES for x in tiles[tid]]

    @app.callback(Output("me-whose", "children"), Input("me-person", "value"))
    def refresh_whose(person):
        user = auth.signed_in()
        person = person or user.person_id
        auth.require(PATH, person=person, person_team=views.current_team(store, person))
        names = views.display_names(store, [person])
        return whose(person, user.person_id, names)

    @app.callback(Output("me-attention-text", "children"), Output("me-attention-foot", "children"),
                  Input("me-person", "value"))
    def refresh_attention(person):
        from .team_live import attention_data

        user = auth.signed_in()
        person = person or user.person_id
        team = views.current_team(store, person)
        auth.require(PATH, person=person, person_team=team)
        if not team:
            return attention_list([], empty="Not a member of a team now: nothing to act on."), ""
        data = attention_data(store, team)
        return render_attention(data["items"], person, user, data["summary"])
