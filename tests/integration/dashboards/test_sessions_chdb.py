"""Sessions that end, same-site redirects, the sign-in throttle and callback refusals, against the real
app over a chDB store holding simulated events (Flask test client; the CLI runs as its own process).

Each check counts: which status every request got, how many sign-ins were refused and why."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dashboards import login_throttle as lt
from dashboards.users import add_user, load_users

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PASSWORDS = {"mia": "manager-pass-1", "ray": "rep-pass-123", "eve": "exec-pass-12"}
COOKIE = "teamflow_session"


@pytest.fixture
def world(store, tmp_path):
    """The store with 3,000 simulated events, and a manager, a rep and an executive of its first team."""
    import schemas
    from projections.metrics import teams, views
    from projections.project import Positioned
    from streams.simulator import simulate
    from streams.fold.sink import store_events

    events = [schemas.decode(v) for _, v in simulate(11, 3_000, start=START)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)], 0)
    team = teams(store)[0]
    people = views.team_roster(store, team, "2025-Q3")["person"].astype(str).tolist()
    users = tmp_path / "users.json"
    add_user(users, "mia", PASSWORDS["mia"], "manager", people[0], [team])
    add_user(users, "ray", PASSWORDS["ray"], "rep", people[1], [team])
    add_user(users, "eve", PASSWORDS["eve"], "executive")
    return {"store": store, "users": users, "team": team, "other_team": teams(store)[1], "people": people}


def make_app(world, **settings):
    from dashboards.app import create_app
    from dashboards.settings import DashboardSettings

    return create_app(world["store"], DashboardSettings(users_file=world["users"], secret_key="integration-secret",
                                                        **settings), warm=False)


@pytest.fixture
def app(world):
    return make_app(world)


def sign_in(client, username, *, address="127.0.0.1", password=None, next_path=None):
    data = {"username": username, "password": password or PASSWORDS[username]}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie (taken before any sign-out)."""
    thief = app.server.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def teamflow_cli(*args, stdin=""):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "teamflow", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_sign_out_ends_copied_sessions_in_every_process(world, app):
    other_process = make_app(world)  # a second dashboards process over the same users file
    browser = app.server.test_client()
    assert sign_in(browser, "mia").status_code == 302
    thief, thief_elsewhere = copy_of(app, browser), copy_of(other_process, browser)
    assert [c.get("/team").status_code for c in (browser, thief, thief_elsewhere)] == [200, 200, 200]
    assert browser.get("/logout").status_code == 302
    statuses = [c.get("/team").status_code for c in (browser, thief, thief_elsewhere)]
    assert statuses == [302, 302, 302], "no copy of the cookie survives the sign-out"
    assert thief.get("/_dash-layout").status_code == 401
    assert sign_in(browser, "mia").status_code == 302 and browser.get("/team").status_code == 200


def test_passwd_from_the_cli_ends_sessions(world, app):
    browser = app.server.test_client()
    sign_in(browser, "ray")
    thief = copy_of(app, browser)
    assert thief.get("/me").status_code == 200
    done = teamflow_cli("users", "--file", str(world["users"]), "passwd", "ray", "--password-stdin",
                        stdin="a-new-password-1\n")
    assert done.returncode == 0, done.stderr
    assert browser.get("/me").status_code == 302 and thief.get("/me").status_code == 302
    assert sign_in(browser, "ray").status_code == 401, "the old password no longer works"
    assert sign_in(browser, "ray", password="a-new-password-1").status_code == 302
    assert browser.get("/me").status_code == 200


def test_signout_from_the_cli_ends_sessions(world, app):
    browser = app.server.test_client()
    sign_in(browser, "eve")
    assert browser.get("/executive").status_code == 200
    assert teamflow_cli("users", "--file", str(world["users"]), "signout", "eve").returncode == 0
    assert browser.get("/executive").status_code == 302
    assert teamflow_cli("users", "--file", str(world["users"]), "signout", "nobody").returncode == 1


def test_remove_and_add_again_does_not_revive_old_cookies(world, app):
    browser = app.server.test_client()
    sign_in(browser, "ray")
    thief = copy_of(app, browser)
    user = load_users(world["users"])["ray"]
    assert teamflow_cli("users", "--file", str(world["users"]), "remove", "ray").returncode == 0
    assert thief.get("/me").status_code == 302
    added = teamflow_cli("users", "--file", str(world["users"]), "add", "ray", "--role", "rep", "--person",
                         user.person_id, "--team", user.teams[0], "--password-stdin", stdin=PASSWORDS["ray"] + "\n")
    assert added.returncode == 0, added.stderr
    assert load_users(world["users"])["ray"].session != user.session
    assert thief.get("/me").status_code == 302 and browser.get("/me").status_code == 302
    assert sign_in(browser, "ray").status_code == 302 and browser.get("/me").status_code == 200


def test_sign_out_keeps_concurrent_cli_changes(world, app):
    """Sign-out writes the users file too: under the file lock, neither side loses the other's change."""
    browser = app.server.test_client()
    sign_in(browser, "mia")
    done = teamflow_cli("users", "--file", str(world["users"]), "add", "new", "--role", "executive",
                        "--password-stdin", stdin="exec-pass-99\n")
    browser.get("/logout")
    assert done.returncode == 0 and set(load_users(world["users"])) == {"mia", "ray", "eve", "new"}


@pytest.mark.parametrize("next_path, lands", [
    ("/%09/evil.example/phish", "/team"), ("/\t/evil.example/phish", "/team"), ("//evil.example", "/team"),
    ("/\\evil.example", "/team"), ("https://evil.example", "/team"), ("/x\n/evil", "/team"),
    ("/deals?team=north", "/deals?team=north"), ("/me", "/me"),
])
def test_next_after_sign_in_stays_on_the_site(app, next_path, lands):
    r = sign_in(app.server.test_client(), "mia", next_path=next_path)
    assert r.status_code == 302 and r.headers["Location"] == lands


def test_the_reported_redirect_and_newline_cases(app):
    client = app.server.test_client()
    form = client.get("/login?next=/%09/evil.example/phish")
    assert form.status_code == 200 and b'name="next" value="/"' in form.data
    assert client.get("/login?next=/%0a/evil").status_code == 200  # was 500 (newline in the Location header)
    r = client.post("/login?x=1", data={"username": "mia", "password": PASSWORDS["mia"], "next": "/\r\nX: y"})
    assert r.status_code == 302 and r.headers["Location"] == "/team"
    redirected = client.get("/logout") and client.get("/team?team=x")
    assert redirected.status_code == 302 and redirected.headers["Location"].startswith("/login?next=")


def test_strangers_cannot_lock_the_owner_out(app):
    """20 addresses x 10 wrong passwords for mia: each address gets 5 refusals (401), then only waits
    (429); mia, from her own address, signs in at once."""
    client = app.server.test_client()
    got = Counter()
    for i in range(20):
        for _ in range(10):
            got[sign_in(client, "mia", address=f"198.51.100.{i + 1}", password="guess-guess").status_code] += 1
    assert got == {401: 20 * lt.PAIR_FREE_FAILURES, 429: 20 * (10 - lt.PAIR_FREE_FAILURES)}
    right_from_stranger = sign_in(client, "mia", address="198.51.100.1")
    assert right_from_stranger.status_code == 429, "a waiting address is refused before the password is checked"
    assert int(right_from_stranger.headers["Retry-After"]) >= 1
    assert sign_in(client, "mia", address="10.1.2.3").status_code == 302


def test_one_address_spraying_usernames_is_stopped(app):
    client = app.server.test_client()
    got = Counter(sign_in(client, f"guess{i}", address="203.0.113.5", password="guess-guess").status_code
                  for i in range(lt.ADDRESS_FREE_FAILURES + 10))
    assert got == {401: lt.ADDRESS_FREE_FAILURES, 429: 10}, "50 wrong passwords from one address, then waits"
    assert sign_in(client, "mia", address="203.0.113.5").status_code == 429
    assert sign_in(client, "mia", address="203.0.113.6").status_code == 302


def test_behind_a_proxy_the_throttle_counts_the_browser(world):
    client = make_app(world, proxy_hops=1).server.test_client()
    for _ in range(lt.PAIR_FREE_FAILURES):
        client.post("/login", data={"username": "mia", "password": "guess-guess"},
                    headers={"X-Forwarded-For": "198.51.100.77"})
    ok = client.post("/login", data={"username": "mia", "password": PASSWORDS["mia"]},
                     headers={"X-Forwarded-For": "10.9.9.9"})
    assert ok.status_code == 302, "every request comes from the proxy's address, yet mia is not locked out"


def test_cookie_flags(world, app):
    plain = sign_in(app.server.test_client(), "mia").headers["Set-Cookie"]
    assert plain.startswith(COOKIE + "=") and "HttpOnly" in plain and "SameSite=Lax" in plain
    assert "Secure" not in plain
    secure = sign_in(make_app(world, session_cookie_secure=True, session_cookie_samesite="Strict").server.test_client(),
                     "mia").headers["Set-Cookie"]
    assert secure.startswith("__Host-" + COOKIE + "=")
    assert all(flag in secure for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"))
    assert "Domain" not in secure


def _callback(client, output_part: str, inputs: list[tuple[str, str, object]], state=(), outputs=None):
    from dashboards.callback_guard import declared_outputs

    output = next(k for k in client.callback_ids if output_part in k)
    if outputs is None:
        outputs = [{"id": i, "property": p} for i, p in declared_outputs(output)]
        outputs = outputs if output.startswith("..") else outputs[0]
    body = {"output": output, "outputs": outputs, "changedPropIds": [],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state]}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def _signed_in(app, username):
    client = app.server.test_client()
    client.callback_ids = list(app.callback_map)
    assert sign_in(client, username).status_code == 302
    return client


def test_forged_callbacks_are_refused_with_4xx(world, app):
    mia, eve = _signed_in(app, "mia"), _signed_in(app, "eve")
    team = world["team"]

    def team_live(client, team_id, period):
        return _callback(client, "team-net-graph.figure", [("team-team", "value", team_id),
                                                          ("team-period", "value", period),
                                                          ("team-tick", "n_intervals", 1),
                                                          ("team-news", "data", None)],
                         state=[("team-shown", "data", None)]).status_code

    def executive(period, measure, scope="__organisation__"):
        return _callback(eve, "exec-chart.figure", [("exec-period", "value", period), ("exec-scope", "value", scope),
                                                    ("exec-measure", "value", measure)]).status_code

    def my_view(person, start="2025-07-01", gran="month"):
        return _callback(mia, "me-help-graph.figure", [("me-person", "value", person), ("me-gran", "value", gran),
                                                       ("me-range", "start_date", start),
                                                       ("me-range", "end_date", "2025-09-30")]).status_code

    results = {
        "team ok": team_live(mia, team, "2025-Q3"),
        "team bogus period": team_live(mia, team, "2025-Q9"),
        "team period as a number": team_live(mia, team, 2025),
        "team other team": team_live(mia, world["other_team"], "2025-Q3"),
        "team executive": team_live(eve, team, "2025-Q3"),
        "exec ok": executive("2025-Q3", "reciprocity.density"),
        "exec bogus measure": executive("2025-Q3", "reciprocity.bogus"),
        "exec bogus period": executive("2025-13", "reciprocity.density"),
        "exec scope too long": executive("2025-Q3", "reciprocity.density", "t" * 500),
        "me ok": my_view(world["people"][0]),
        "me bogus date": my_view(world["people"][0], start="2025-02-30"),
        "me bogus granularity": my_view(world["people"][0], gran="decade"),
        "me person of another team": my_view("not-a-member"),
        "csv bogus quarter": _callback(eve, "exec-download.data", [("exec-csv", "n_clicks", 1)],
                                       [("exec-period", "value", "DROP TABLE")]).status_code,
        "period options bogus kind": _callback(mia, "team-period.options", [("team-kind", "value", "century")],
                                               [("team-period", "value", None)]).status_code,
        "router": _callback(mia, "page.children", [("url", "pathname", "/team")],
                            [("url", "search", "")]).status_code,
        "router, wrong outputs": _callback(mia, "page.children", [("url", "pathname", "/team")],
                                           [("url", "search", "")], outputs=[]).status_code,
        "router, newline in path": _callback(mia, "page.children", [("url", "pathname", "/team\n")],
                                             [("url", "search", "")]).status_code,
    }
    assert results == {
        "team ok": 200, "team bogus period": 400, "team period as a number": 400, "team other team": 403,
        "team executive": 403, "exec ok": 200, "exec bogus measure": 400, "exec bogus period": 400,
        "exec scope too long": 400, "me ok": 200, "me bogus date": 400, "me bogus granularity": 400,
        "me person of another team": 403, "csv bogus quarter": 400, "period options bogus kind": 400,
        "router": 200, "router, wrong outputs": 400, "router, newline in path": 400,
    }
    not_json = mia.post("/_dash-update-component", data=b"\xff{", content_type="application/json")
    assert not_json.status_code == 400
    huge = mia.post("/_dash-update-component", data=b" " * (2 << 20), content_type="application/json")
    assert huge.status_code == 413


def test_the_news_poll_tells_the_snapshot_time_only_to_who_may_open_the_team(world, app):
    """`/api/news` (dashboards/news.py): what a live page's poll asks. Signed in and allowed the team, it
    answers when the snapshot the page reads was computed; it moves when a write was folded in."""
    import time

    import schemas
    from projections.project import Positioned
    from streams.fold.sink import store_events
    from streams.simulator import simulate

    team, period = world["team"], "2025-Q3"

    def news(client, page="team_live", team_id=team, when=period):
        return client.get("/api/news", query_string={"page": page, "team": team_id, "period": when})

    stranger = app.server.test_client()
    refused = news(stranger)
    assert refused.status_code == 401 and refused.is_json, "a script gets 401, not the sign-in form"
    mia, eve = _signed_in(app, "mia"), _signed_in(app, "eve")
    assert news(mia).get_json() == {"as_of": None}, "nobody opened the page yet: no snapshot, none computed"
    assert news(mia, team_id=world["other_team"]).status_code == 403
    assert news(eve).status_code == 403, "an executive cannot open Team live"
    assert news(mia, page="ops").status_code == 400
    bad = news(mia, when="2025-Q9")
    assert bad.status_code == 400 and "not a period" in bad.get_json()["error"], "the callbacks' own rules"

    opened = _callback(mia, "team-net-graph.figure", [("team-team", "value", team), ("team-period", "value", period),
                                                      ("team-tick", "n_intervals", 1), ("team-news", "data", None)],
                       state=[("team-shown", "data", None)])
    assert opened.status_code == 200
    shown = opened.get_json()["response"]["team-shown"]["data"]["as_of"]
    assert news(mia).get_json() == {"as_of": shown}, "the poll names the snapshot the page shows"

    (_, value), = simulate(5, 1, start=START)
    store_events(world["store"], [Positioned(schemas.decode(value), 0, 10_000)], 0)
    deadline = time.monotonic() + 30
    while news(mia).get_json()["as_of"] == shown:
        assert time.monotonic() < deadline, "the write never reached the page's snapshot"
        time.sleep(0.05)
    newer = news(mia).get_json()["as_of"]
    assert newer > shown, "a newer snapshot, which the poll hands to the page's full callback"
