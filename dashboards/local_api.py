"""Questions for the process that owns the store, asked by commands on the same machine (`teamflow metrics`).

chDB allows one process per data directory, so while the worker (with the dashboards) runs, a
command cannot open the store; it asks that process instead. The process writes a random token to
`<data_dir>/local-api.json` (mode 0600, with its pid and the address the dashboards listen on), and
`/api/local/...` answers only requests carrying that token as `Authorization: Bearer <token>`:
whoever may read the data directory may ask, nobody else (a signed-in dashboard session is not
enough, nor is being on the same host). The token changes with every start of the process.

- `GET /api/local/metrics?period=2026-Q1[&team=atlas]`: what `teamflow metrics --json` prints
  (a list of every team's metrics, or one team's), computed by the same queries.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import flask

log = logging.getLogger(__name__)

FILE_NAME = "local-api.json"
PREFIX = "/api/local/"


class NotServing(Exception):
    """No running process answers for this data directory (the caller opens the store itself)."""


class Refused(Exception):
    """The running process answered with an error meant for the person (unknown team, bad period)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _write_token(data_dir: Path, host: str, port: int) -> str:
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"token": token, "pid": os.getpid(), "host": host, "port": port})
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".local-api-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(body)
        os.replace(tmp, data_dir / FILE_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return token


def metrics_answer(store: Any, period: str, team: str | None) -> tuple[int, Any]:
    """(HTTP status, body) for a metrics question: the CLI's own queries, its own messages."""
    from projections.metrics import parse_period, team_metrics, teams

    try:
        parse_period(period)
    except ValueError as exc:
        return 400, {"error": str(exc)}
    known = teams(store)
    if team is not None and team not in known:
        return 404, {"error": f"no team {team!r}; known teams: {', '.join(known) or 'none yet'}"}
    chosen = known if team is None else [team]
    results = [team_metrics(store, t, period) for t in chosen]
    return 200, results[0] if team else results


def install(server: flask.Flask, store: Any, data_dir: Path | str, *, host: str, port: int) -> None:
    """Write this process's token under `data_dir` and serve `/api/local/...` on `server`."""
    token = _write_token(Path(data_dir), host, port)

    def authorised() -> bool:
        given = flask.request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())

    @server.route(PREFIX + "metrics")
    def local_metrics():
        if not authorised():
            return flask.jsonify({"error": "this endpoint needs the token in the data directory"}), 401
        period = flask.request.args.get("period", "")
        status, body = metrics_answer(store, period, flask.request.args.get("team") or None)
        return flask.Response(json.dumps(body, default=str), status=status, mimetype="application/json")


def ask_metrics(data_dir: Path | str, period: str, team: str | None, *, timeout: float = 120.0) -> Any:
    """The running process's answer for `teamflow metrics`; NotServing when none answers, Refused on errors."""
    path = Path(data_dir) / FILE_NAME
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        raise NotServing(f"no {FILE_NAME} in {data_dir}") from None
    host = info["host"] if info["host"] not in ("0.0.0.0", "::", "") else "127.0.0.1"
    query = urllib.parse.urlencode({"period": period, **({"team": team} if team else {})})
    url = f"http://{host}:{info['port']}{PREFIX}metrics?{query}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {info['token']}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = str(exc.reason)
        if exc.code == 401 or exc.code == 404 and "no team" not in message:
            raise NotServing(f"the process on port {info['port']} does not know this token") from None
        raise Refused(exc.code, message) from None
    except (OSError, ValueError) as exc:  # refused, reset, timed out: nobody (or not ours) is listening
        raise NotServing(str(exc)) from None
