""""Anything new for this page?": the short poll of the live team pages.

A live page's full callback (its tiles, footers and stamp) is a Dash request that reads the page's
snapshot and compares it with what the browser shows. Run every second by every open tab, that
request was what a new figure waited for: up to a second after the snapshot was ready. Instead the
browser asks a tiny JSON route, NEWS_MS apart, when the snapshot its page reads was computed
(`read_model.team_as_of`: a dictionary lookup, never a compute). Only when that differs from the
snapshot it shows does it set the page's news store (a clientside callback: no Dash request in
between), and that runs the full callback. The page's own tick stays, slower, for the freshness footers
and the needs-attention list.

`GET /api/news?page=team_live&team=T&period=P` -> `{"as_of": "<ISO time>" | null}`; signed in, and
only for a team the user may open on that page (`auth.require`: 401, 403); 400 with the reason for a
page that does not poll, or a team or period the pages' callbacks would refuse (the callback guard's
rules, `input_rules`).
"""
from __future__ import annotations

from typing import Any

import flask
from dash import ClientsideFunction, Input, Output, State, dcc

from . import auth, input_rules, read_model

ROUTE = "/api/news"
NEWS_MS = 250
"""How often an open live page asks whether its snapshot changed."""


def layout(prefix: str) -> list[Any]:
    """The page's poll timer and its news store (the newest snapshot time the poll saw)."""
    return [dcc.Interval(id=f"{prefix}-news-poll", interval=NEWS_MS), dcc.Store(id=f"{prefix}-news")]


def register(app: Any, prefix: str, page: str) -> None:
    """The clientside callback that asks ROUTE for `page` and sets `{prefix}-news` when the answer is a
    snapshot the browser does not show (assets/news.js)."""
    app.clientside_callback(
        ClientsideFunction(namespace="teamflow", function_name=f"news_{page}"),
        Output(f"{prefix}-news", "data"), Input(f"{prefix}-news-poll", "n_intervals"),
        State(f"{prefix}-team", "value"), State(f"{prefix}-period", "value"), State(f"{prefix}-shown", "data"),
        State(f"{prefix}-news", "data"), prevent_initial_call=True)


def install(server: flask.Flask, store: Any, pages: dict[str, str]) -> None:
    """ROUTE over `store` (the one the pages read) for `pages`: page name -> its path (who may open it)."""

    @server.route(ROUTE)
    def news():
        args = flask.request.args
        page, team, period = (args.get(k, "") for k in ("page", "team", "period"))
        path = pages.get(page)
        if path is None:
            return flask.jsonify({"error": "page is one of " + ", ".join(sorted(pages))}), 400
        try:
            input_rules.identifier(team)
            input_rules.period(period)
        except input_rules.BadInput as exc:
            return flask.jsonify({"error": str(exc)}), 400
        auth.require(path, team=team)
        response = flask.jsonify({"as_of": read_model.team_as_of(store, page, team, period)})
        response.headers["Cache-Control"] = "no-store"
        return response
