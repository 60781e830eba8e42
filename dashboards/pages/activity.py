"""The activity feed and freshness tile: event counts and what just arrived (no personal data).

Its ids (`live-tick`, `live-health`, `live-counts`, `live-feed`) are kept from the first page,
so the end-to-end test can drive the same callback (after signing in).
"""
from __future__ import annotations

from dash import Input, Output, dcc, html

from projections import activity

from .. import auth, read_model
from ..components import EMPTY_STORE, freshness, table


def activity_tile(refresh_ms: int) -> html.Div:
    return html.Div(
        [html.H3("Activity feed"), html.P(id="live-health", className="health"),
         dcc.Interval(id="live-tick", interval=refresh_ms),
         html.Div([html.Div([html.H4("Events by type"), html.Div(id="live-counts")], className="half"),
                   html.Div([html.H4("Just arrived"), html.Div(id="live-feed")], className="half")],
                  className="split")],
        id="activity-tile", className="tile wide")


def fetch(store) -> dict:
    """Counts and the newest arrivals with the summary read with them (dashboards.read_model)."""
    return read_model.page_data(store, ("activity",), lambda: {"counts": activity.event_counts(store),
                                                               "recent": activity.recent_events(store, 10),
                                                               "totals": activity.summary(store)})


def render(data: dict) -> tuple:
    s, totals = data["summary"], data["totals"]
    health = (f"{totals['events']:,} events stored, {totals['dead_letters']:,} dead letters; "
              + freshness(f"{totals['events']:,} events", s).split(" · ", 1)[1])
    counts = table(data["counts"].to_dict("records"), [("type", "type"), ("events", "events"),
                                                       ("newest_event", "newest event")], EMPTY_STORE)
    recent = data["recent"].assign(ingested=data["recent"]["ingested"].astype(str).str[11:19],
                                   time=data["recent"]["time"].astype(str).str[:19]) if not data["recent"].empty \
        else data["recent"]
    feed = table(recent.to_dict("records"), [("ingested", "arrived"), ("time", "happened"), ("type", "type"),
                                             ("id", "id")], "Nothing has arrived yet.", tid="live-feed-table")
    return health, counts, feed


def register(app, store) -> None:
    @app.callback(Output("live-health", "children"), Output("live-counts", "children"),
                  Output("live-feed", "children"), Input("live-tick", "n_intervals"))
    def refresh(_n):
        auth.signed_in()
        return render(fetch(store))
