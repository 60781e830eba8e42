"""Sign-in for the dashboards: Flask sessions over the users file, checked on every request.

- `/login` (form) and `/logout` are plain Flask routes. The session cookie (signed with the secret
  key; HttpOnly, SameSite=Lax or Strict, Secure with TEAMFLOW_SESSION_COOKIE_SECURE) holds the
  username and the user's session generation (`dashboards.users`). Every request re-reads the users
  file and accepts the session only while the user exists and still has that generation: sign-out,
  `teamflow users passwd` and `teamflow users remove` end every session of the user at once, in
  every process reading the file.
- `next` after sign-in is followed only when it is a same-site path (`safe_next`), else home.
- `before_request`: without a session, pages redirect to `/login` and Dash's own endpoints
  answer 401; a page the role may not open answers 403 (also when the URL is typed in).
- Wrong passwords are throttled per (username, address) and per address (`dashboards.login_throttle`):
  a stranger cannot lock the owner out; waits answer 429 with Retry-After.
- Callbacks call `require(...)`, which answers 403 when the role or the requested team/person is not
  allowed: no data leaves through a forged request. Their inputs are checked before they run
  (`dashboards.callback_guard`, 400 for a malformed value).
"""
from __future__ import annotations

import html as htmlesc
import logging
import unicodedata
from datetime import timedelta
from urllib.parse import unquote, urlencode, urlsplit

import flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import access
from .login_throttle import USER_ALERT_FAILURES, LoginThrottle
from .settings import DashboardSettings
from .users import User, UsersError, UsersFile, authenticate, end_sessions, session_generation

log = logging.getLogger(__name__)

OPEN_PREFIXES = ("/login", "/logout", "/api/status", "/api/health", "/api/local/", "/assets/", "/_dash-component-suites/",
                 "/_favicon.ico",
                 "/favicon.ico")
DASH_API_PREFIXES = ("/_dash-", "/_reload-hash", "/api/news")
"""Paths a page's scripts call: without a session they answer 401, not a redirect to the sign-in form."""
CONFIG_KEY = "TEAMFLOW_USERS"
MAX_NEXT = 2048
COOKIE_NAME = "teamflow_session"
MAX_BODY_BYTES = 1 << 20
"""Largest request body (413 beyond): sign-in forms and callback requests are a few kB."""


def current_user() -> User | None:
    """The signed-in user of this request: None without a session, once the user is removed, or once
    their session generation changed (signed out, password changed, removed and added again)."""
    users: UsersFile | None = flask.current_app.config.get(CONFIG_KEY)
    if users is None:
        return None
    user = users.get(flask.session.get("user"))
    if user is None or flask.session.get("gen") != session_generation(user):
        return None
    return user


def require(page: str, *, team: str | None = None, person: str | None = None,
            person_team: str | None = None) -> User:
    """The user, if they may use `page` (and see `team` / `person`); otherwise refuse the callback
    with 403 before anything is queried."""
    user = current_user()
    if user is None:
        flask.abort(401)
    if not access.can_open(user, page):
        flask.abort(403)
    if team is not None and not access.can_see_team(user, team):
        flask.abort(403)
    if person is not None and not access.can_see_person(user, person, person_team):
        flask.abort(403)
    return user


def signed_in() -> User:
    """Any signed-in user (for tiles without personal data, e.g. event counts), else stop."""
    user = current_user()
    if user is None:
        flask.abort(401)
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


def _unsafe_char(ch: str) -> bool:
    """Control, format, private-use, unassigned characters and every kind of whitespace."""
    return ch.isspace() or unicodedata.category(ch)[0] in "CZ"


def safe_next(path: str | None) -> str:
    """`path` when it is a same-site path to send the browser to after sign-in, else "/" (home).

    Same-site means: starts with exactly one `/`, and neither the value nor its percent-decoded form
    holds `//`, a backslash, whitespace or a control character (browsers drop tabs and newlines and
    read a backslash as `/`, so `/%09/evil.example` or `/%5Cevil.example` would leave the site; a newline
    would break the Location header). `/login` and `/logout` are not followed either (no loop)."""
    if not path or len(path) > MAX_NEXT:
        return "/"
    for form in (path, unquote(path)):
        if not form.startswith("/") or "//" in form or "\\" in form or any(_unsafe_char(c) for c in form):
            return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return "/"
    return path


def forbidden_page(user: User) -> str:
    links = " · ".join(f'<a href="{p}">{t}</a>' for p, t in access.nav(user))
    body = (f"<h2>Not allowed</h2><p>Your role ({htmlesc.escape(user.role)}) cannot open this page. "
            f"Teamflow shows individual figures only to the person and their manager, and executives see "
            f"teams, not people.</p><p>Your pages: {links}</p><p><a href=\"/logout\">Sign out</a></p>")
    return _PAGE.format(title="not allowed", body=body)


def install(server: flask.Flask, users: UsersFile, *, secret_key: str, settings: DashboardSettings,
            throttle: LoginThrottle | None = None) -> None:
    """Session config, login routes and the request guard on the Dash app's Flask server.
    `settings`: the session length, cookie and proxy settings."""
    throttle = throttle or LoginThrottle()
    server.secret_key = secret_key
    server.config.update(
        {CONFIG_KEY: users},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE=settings.session_cookie_samesite,
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        # __Host-: the browser takes it only with Secure, Path=/ and no Domain (no subdomain can set it)
        SESSION_COOKIE_NAME=("__Host-" if settings.session_cookie_secure else "") + COOKIE_NAME,
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if flask.request.method == "GET":
            return _login_form(next_path=safe_next(flask.request.args.get("next")))
        form = flask.request.form
        username, address = form.get("username", ""), flask.request.remote_addr
        wait = throttle.retry_after(username, address)
        if wait > 0:
            message = f"Too many wrong passwords: try again in {int(wait) + 1} s."
            return _login_form(message, safe_next(form.get("next"))), 429, {"Retry-After": str(int(wait) + 1)}
        user = authenticate(users.users(), username, form.get("password", ""))
        if user is None:
            if throttle.failed(username, address):
                log.warning("sign-in from %s must wait after repeated wrong passwords", address)
            if throttle.user_failures(username) % USER_ALERT_FAILURES == 0:
                log.warning("%d wrong passwords for one username within 15 minutes (all addresses)",
                            throttle.user_failures(username))
            return _login_form("Wrong username or password.", safe_next(form.get("next"))), 401
        throttle.succeeded(username, address)
        flask.session.clear()
        flask.session.permanent = True
        flask.session["user"] = user.username
        flask.session["gen"] = session_generation(user)
        target = safe_next(form.get("next"))
        return flask.redirect(access.home(user) if target == "/" else target)

    @server.route("/logout")
    def logout():
        """End every session of the signed-in user (all browsers), not only this cookie."""
        user = current_user()
        flask.session.clear()
        if user is not None:
            try:
                end_sessions(users.path, user.username, session_generation(user))
            except (OSError, UsersError):
                log.error("sign-out could not write the users file %s: the user's other sessions stay valid "
                          "until their password changes", users.path, exc_info=True)
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
