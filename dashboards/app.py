"""The Dash app factory: the shell, sign-in, the page router; pages read only through projections.

Nothing is loaded at import time: `create_app(store)` builds a fresh app; each page's layout
is a function called on every visit, and every callback queries the store anew. Sign-in and
roles: `dashboards.auth` (Flask session over the users file), `dashboards.access` (rules).
`/api/status` (counts) and `/api/health` (the worker's state) stay open: health checks, no personal data.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs

import dash
import flask
from dash import Input, Output, State, dcc, html

from projections import activity
from projections.store import Store

from . import access, auth, callback_guard, components, local_api, news, query_memo, read_model
from .components import empty_state, period_options
from .pages import activity as activity_page
from .pages import deals, executive, my_view, ops, team_live
from .ops_data import OpsSources
from .settings import DashboardSettings
from .users import UsersFile

log = logging.getLogger(__name__)

WARM_WAIT_SECONDS = 600.0
PAGE_MODULES = {team_live.PATH: team_live, deals.PATH: deals, executive.PATH: executive, my_view.PATH: my_view,
                ops.PATH: ops}


def _secret(settings: DashboardSettings) -> str:
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    log.warning("TEAMFLOW_SECRET_KEY is not set: using a random key for this process; "
                "sign-ins will not survive a restart")
    return secrets.token_hex(32)


def create_app(store: Store, settings: DashboardSettings | None = None, *, warm: bool = True,
               worker_status: Callable[[], Any] | None = None,
               ops_sources: OpsSources | None = None,
               local_api_dir: str | Path | None = None) -> dash.Dash:
    """The dashboards over `store` (never opened again here), with `settings` as given (the defaults
    when none: nothing here reads the environment).
    `warm`: compute the first pages people open in the background (`warm_read_model`).
    `worker_status`: what the stream worker is doing (an object with `to_json()`, or None when unknown),
    given by whoever composes the process; `/api/health` reports it. `ops_sources`: what the ops console
    reads beyond the store (`ops_data.OpsSources`).
    `local_api_dir`: this process owns the store of that data directory; answer local commands
    there (`dashboards.local_api`: `teamflow metrics` while the worker runs)."""
    settings = settings or DashboardSettings()
    users = UsersFile(settings.users_file)
    refresh = settings.dash_refresh_ms
    components.STALE_AFTER_SECONDS = max(components.STALE_FLOOR_SECONDS, 3 * refresh / 1000)
    app = dash.Dash(__name__, title="Teamflow", update_title=None, suppress_callback_exceptions=True)
    auth.install(app.server, users, secret_key=_secret(settings), settings=settings)
    if not users.users():
        log.warning("no dashboard users in %s: add one with `teamflow users add`", users.path)

    if local_api_dir is not None:  # local commands (erasure, metrics) get the store itself
        local_api.install(app.server, store, local_api_dir, host=settings.dash_host, port=settings.dash_port)

    store = query_memo.memoised(store)  # pages reuse query results while the tables they read are unchanged

    @app.server.route("/api/status")
    def status():  # health check for compose, `teamflow up` and tests: counts only, no personal data
        return flask.jsonify(activity.summary(store))

    @app.server.route("/api/health")
    def health():  # 200 while the worker folds (or none is known), 503 while it retries a fault or stopped
        current = worker_status() if worker_status else None
        worker = current.to_json() if current is not None else None
        healthy = worker is None or worker["state"] in ("starting", "folding")
        return flask.jsonify({"healthy": healthy, "worker": worker}), 200 if healthy else 503

    app.layout = html.Div([
        dcc.Location(id="url", refresh="callback-nav"),
        html.Header([html.H1("Teamflow"), html.Span("how the team works together", className="tagline"),
                     html.Nav(id="nav")]),
        html.Main(id="page"),
    ])

    @app.callback(Output("page", "children"), Output("nav", "children"), Input("url", "pathname"),
                  State("url", "search"))
    def route(pathname: str | None, search: str | None):
        user = auth.current_user()
        if user is None:
            return html.P(["Please ", html.A("sign in", href="/login"), "."]), []
        nav = [dcc.Link(t, href=p, className="active" if p == pathname else "") for p, t in access.nav(user)]
        nav += [html.Span(f"{user.username} · {user.role}", className="who"), html.A("Sign out", href="/logout")]
        path = pathname or "/"
        if path == "/":
            path = access.home(user)
        module = PAGE_MODULES.get(path)
        if module is None:
            return html.Div([html.H2("No such page"), html.P("Pick a page above.")]), nav
        if not access.can_open(user, path):
            return html.Div([html.H2("Not allowed"),
                             html.P(f"Your role ({user.role}) cannot open this page.")], id="forbidden"), nav
        query = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
        return module.layout(user, store, query, refresh), nav

    news.install(app.server, store, {"team_live": team_live.PATH, "deals": deals.PATH})
    for prefix, path in (("team", team_live.PATH), ("deals", deals.PATH)):
        _register_period_options(app, store, prefix, path)
    activity_page.register(app, store)
    for module in (team_live, deals, executive, my_view):
        module.register(app, store)
    ops.register(app, store, ops_sources)
    callback_guard.install(app)  # every callback request's inputs are checked before it runs (400)
    if warm:
        threading.Thread(target=warm_read_model, args=(store, WARM_WAIT_SECONDS), name="read-model-warm",
                         daemon=True).start()
    return app


def _wait_while_catching_up(store: Store, deadline: float, every: float = 2.0) -> None:
    """Return once the store grows slower than read_model.BUSY_ROWS_PER_SECOND, or at the deadline."""
    rows = activity.stored_rows(store)
    while time.monotonic() < deadline:
        time.sleep(every)
        now = activity.stored_rows(store)
        if not read_model.growing_fast(rows, now, every):
            return
        log.info("read model: warming waits while the store grows by %d rows/s", (now - rows) / every)
        rows = now


def warm_read_model(store: Store, wait_seconds: float = 0.0) -> int:
    """Compute the pages people open first (each team's team-live and deals pages for the current
    quarter, the executive page, the activity feed), so their first visit reads a snapshot instead of
    waiting for every query; the read model then keeps them current. An empty store is looked at again
    every 2 s for up to `wait_seconds` (the app waits for the first events), and so is a store a worker
    is still filling fast (a backlog). Returns how many were computed."""
    started, done = time.perf_counter(), 0
    try:
        facts = read_model.shape(store)
        deadline = time.monotonic() + wait_seconds
        while facts["span"] is None and time.monotonic() < deadline:
            time.sleep(2.0)  # the read model refreshes the shape when the first events land
            facts = read_model.shape(store)
        if facts["span"] is None:
            if wait_seconds:
                log.info("no events after %.0fs: pages will compute on their first visit", wait_seconds)
            return 0
        _wait_while_catching_up(store, deadline)
        quarter = period_options(facts["span"], "quarter")[0]
        jobs = [lambda: activity_page.fetch(store), lambda: executive.fetch(store, quarter)]
        for team in facts["teams"]:
            jobs += [lambda t=team: team_live.fetch(store, t, quarter), lambda t=team: deals.fetch(store, t, quarter)]
        with read_model.in_background():  # the refresher keeps going meanwhile (new data, first visits)
            for job in jobs:
                job()
                done += 1
    except Exception:  # warming is an optimisation: pages compute on first visit anyway
        log.warning("warming the dashboards' read model stopped after %d pages", done, exc_info=True)
    else:
        log.info("dashboards' read model warm: %d pages computed in %.1fs", done, time.perf_counter() - started)
    return done


def _register_period_options(app: dash.Dash, store: Store, prefix: str, path: str) -> None:
    @app.callback(Output(f"{prefix}-period", "options"), Output(f"{prefix}-period", "value"),
                  Input(f"{prefix}-kind", "value"), State(f"{prefix}-period", "value"), prevent_initial_call=True)
    def options(kind, current):
        auth.require(path)
        opts = period_options(read_model.shape(store)["span"], kind or "quarter")
        return opts, (current if current in opts else (opts[0] if opts else None))


__all__ = ["create_app", "empty_state"]
