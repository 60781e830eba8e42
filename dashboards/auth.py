"""Sign-in for the dashboards: Flask sessions over the users file, checked on every request.

- `/login` (form) and `/logout` are plain Flask routes; the session cookie holds the username
  only, signed with the secret key (HttpOnly, SameSite=Lax). The users file is re-read when
  it changes, so a removed user or a changed role takes effect on their next request.
- `before_request`: without a session, pages redirect to `/login` and Dash's own endpoints
  answer 401; a page the role may not open answers 403 (also when the URL is typed in).
- Wrong passwords are throttled per username and per address (`dashboards.login_throttle`): after
  five within 15 minutes, sign-in answers 429 with Retry-After for 30 s, doubling up to 15 min.
- Callbacks call `require(...)`, which raises `PreventUpdate` (HTTP 204, nothing sent) when the
  role or the requested team/person is not allowed: no data leaves through a forged request.
"""
from __future__ import annotations

import html as htmlesc
import logging
from urllib.parse import urlencode
from datetime import timedelta

import flask
from dash.exceptions import PreventUpdate

from . import access
from .login_throttle import LoginThrottle
from .users import User, UsersFile, authenticate

log = logging.getLogger(__name__)

OPEN_PREFIXES = ("/login", "/logout", "/api/status", "/api/local/", "/assets/", "/_dash-component-suites/", "/_favicon.ico",
                 "/favicon.ico")
DASH_API_PREFIXES = ("/_dash-", "/_reload-hash")
CONFIG_KEY = "TEAMFLOW_USERS"


def current_user() -> User | None:
    """The signed-in user of this request (None without a valid session or once removed from the file)."""
    users: UsersFile | None = flask.current_app.config.get(CONFIG_KEY)
    if users is None:
        return None
    return users.get(flask.session.get("user"))


def require(page: str, *, team: str | None = None, person: str | None = None,
            person_team: str | None = None) -> User:
    """The user, if they may use `page` (and see `team` / `person`); otherwise stop the callback."""
    user = current_user()
    if not access.can_open(user, page):
        raise PreventUpdate
    if team is not None and not access.can_see_team(user, team):
        raise PreventUpdate
    if person is not None and not access.can_see_person(user, person, person_team):
        raise PreventUpdate
    return user


def signed_in() -> User:
    """Any signed-in user (for tiles without personal data, e.g. event counts), else stop."""
    user = current_user()
    if user is None:
        raise PreventUpdate
    return user


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Teamflow - {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/teamflow.css"></head><body>
<header><h1>Teamflow</h1><span class="tagline">how the team works together</span></header>
<main class="narrow">{body}</main></body></html>"""


def _login_form(error: str = "", next_path: str = "/") -> str:
    err = f'<p class="error" role="alert">{htmlesc.escape(error)}</p>' if error else ""
    body = f"""<h2>Sign in</h2>{err}
<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="{htmlesc.escape(next_path)}">
<label>Username <input id="username" name="username" autocomplete="username" required autofocus></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button id="login-submit" type="submit">Sign in</button></form>
<p class="hint">No account? An administrator adds one with <code>teamflow users add</code>.</p>"""
    return _PAGE.format(title="sign in", body=body)


def _safe_next(path: str | None) -> str:
    if not path or not path.startswith("/") or path.startswith("//") or path.startswith("/login"):
        return "/"
    return path


def forbidden_page(user: User) -> str:
    links = " · ".join(f'<a href="{p}">{t}</a>' for p, t in access.nav(user))
    body = (f"<h2>Not allowed</h2><p>Your role ({htmlesc.escape(user.role)}) cannot open this page. "
            f"Teamflow shows individual figures only to the person and their manager, and executives see "
            f"teams, not people.</p><p>Your pages: {links}</p><p><a href=\"/logout\">Sign out</a></p>")
    return _PAGE.format(title="not allowed", body=body)


def install(server: flask.Flask, users: UsersFile, *, secret_key: str, session_hours: float,
            throttle: LoginThrottle | None = None) -> None:
    """Session config, login routes and the request guard on the Dash app's Flask server."""
    throttle = throttle or LoginThrottle()
    server.secret_key = secret_key
    server.config.update(
        {CONFIG_KEY: users},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="teamflow_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=session_hours),
    )

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if flask.request.method == "GET":
            return _login_form(next_path=_safe_next(flask.request.args.get("next")))
        form = flask.request.form
        keys = throttle.keys(form.get("username", ""), flask.request.remote_addr)
        wait = throttle.retry_after(keys)
        if wait > 0:
            message = f"Too many wrong passwords: try again in {int(wait) + 1} s."
            return _login_form(message, _safe_next(form.get("next"))), 429, {"Retry-After": str(int(wait) + 1)}
        user = authenticate(users.users(), form.get("username", ""), form.get("password", ""))
        if user is None:
            if throttle.failed(keys):
                log.warning("sign-in locked for %s from %s after repeated wrong passwords",
                            form.get("username", "")[:64], flask.request.remote_addr)
            return _login_form("Wrong username or password.", _safe_next(form.get("next"))), 401
        throttle.succeeded(keys)
        flask.session.clear()
        flask.session.permanent = True
        flask.session["user"] = user.username
        target = _safe_next(form.get("next"))
        return flask.redirect(access.home(user) if target == "/" else target)

    @server.route("/logout")
    def logout():
        flask.session.clear()
        return flask.redirect("/login")

    @server.before_request
    def guard():
        path = flask.request.path
        if path.startswith(OPEN_PREFIXES):
            return None
        user = current_user()
        if user is None:
            if path.startswith(DASH_API_PREFIXES):
                return flask.jsonify({"error": "sign in first"}), 401
            return flask.redirect("/login?" + urlencode({"next": path}))
        if path == "/":
            return flask.redirect(access.home(user))
        if path in access.PAGES and not access.can_open(user, path):
            return forbidden_page(user), 403
        return None
