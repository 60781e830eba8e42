"""The Dash app factory: builds the app shell around a store; pages read only through projections.

Nothing is loaded at import time: `create_app(store)` builds a fresh app, and layouts are
functions so every page load and every refresh tick queries the store anew.
"""
from __future__ import annotations

from datetime import datetime, timezone

import dash
import flask
from dash import Input, Output, dcc, html

from projections import activity
from projections.store import Store

REFRESH_MS = 2000


def _fmt_age(iso: str | None) -> str:
    if not iso:
        return "no events yet"
    then = datetime.fromisoformat(iso)
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    seconds = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    return f"last event landed {seconds}s ago"


def _table(df, columns: list[str], empty: str) -> html.Component:
    if df.empty:
        return html.P(empty, className="empty")
    head = html.Thead(html.Tr([html.Th(c) for c in columns]))
    body = html.Tbody([html.Tr([html.Td(str(row[c])) for c in columns]) for _, row in df.iterrows()])
    return html.Table([head, body], className="grid")


def live_layout() -> html.Div:
    return html.Div(
        [
            html.H2("Live activity"),
            html.P(id="live-health", className="health"),
            dcc.Interval(id="live-tick", interval=REFRESH_MS),
            html.Div(
                [
                    html.Div([html.H3("Events by type"), html.Div(id="live-counts")], className="tile"),
                    html.Div([html.H3("Just arrived"), html.Div(id="live-feed")], className="tile"),
                ],
                className="tiles",
            ),
        ]
    )


def create_app(store: Store, *, title: str = "Teamflow") -> dash.Dash:
    app = dash.Dash(__name__, title=title, update_title=None)

    @app.server.route("/api/status")
    def status():  # health check for compose, `teamflow up` and tests: counts only, no personal data
        return flask.jsonify(activity.summary(store))

    app.layout = html.Div(
        [html.Header([html.H1("Teamflow"), html.Span("how the team works together", className="tagline")]),
         html.Main(live_layout)]
    )

    @app.callback(
        Output("live-health", "children"),
        Output("live-counts", "children"),
        Output("live-feed", "children"),
        Input("live-tick", "n_intervals"),
    )
    def refresh(_n: int | None):
        s = activity.summary(store)
        health = f"{s['events']:,} events stored, {s['dead_letters']:,} dead letters; {_fmt_age(s['last_ingested'])}"
        counts = _table(activity.event_counts(store), ["type", "events", "newest_event"],
                        "No events yet. Start the demo producer (`teamflow demo`) or send events to the topic.")
        feed = _table(activity.recent_events(store, 15), ["ingested", "time", "type", "source", "id"],
                      "Nothing has arrived yet.")
        return health, counts, feed

    return app
