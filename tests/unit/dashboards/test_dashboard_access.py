"""Role rules, and the sign-in guard on every request and callback (Flask test client, no store queries)."""
from __future__ import annotations

import json

import pytest

from dashboards import access
from dashboards.users import User, add_user

pytestmark = pytest.mark.unit

REP = User("ray", "rep", "p-1", ("north",))
MANAGER = User("mia", "manager", "p-0", ("north",))
EXEC = User("eve", "executive")


def test_pages_per_role():
    assert [p for p, _ in access.nav(REP)] == ["/team", "/me"]
    assert [p for p, _ in access.nav(MANAGER)] == ["/team", "/deals", "/me"]
    assert [p for p, _ in access.nav(EXEC)] == ["/executive"]
    assert not access.can_open(None, "/team")
    assert not access.can_open(REP, "/nowhere")


def test_teams_and_people():
    assert access.teams_for(EXEC, ["a", "north"]) == ["a", "north"]
    assert access.teams_for(REP, ["a", "north"]) == ["north"]
    assert access.can_see_team(MANAGER, "north") and not access.can_see_team(MANAGER, "south")
    assert access.can_see_person(REP, "p-1", "north")
    assert not access.can_see_person(REP, "p-2", "north")  # a rep never sees a colleague
    assert access.can_see_person(MANAGER, "p-2", "north")
    assert not access.can_see_person(MANAGER, "p-3", "south")
    assert not access.can_see_person(EXEC, "p-1", "north")  # executives see no individual
    assert access.shows_names(MANAGER) and not access.shows_names(REP) and not access.shows_names(EXEC)
    assert not access.group_visible(4) and access.group_visible(5)


class _NoStore:
    """Any query fails: the guard must answer before a page touches the store."""

    def query_df(self, *a, **k):
        raise AssertionError("the store was queried")

    query_scalar = query_df


@pytest.fixture
def client(tmp_path):
    from dashboards.app import create_app
    from dashboards.settings import DashboardSettings

    users = tmp_path / "users.json"
    add_user(users, "ray", "rep-pass-123", "rep", "p-1", ["north"])
    add_user(users, "eve", "exec-pass-12", "executive")
    app = create_app(_NoStore(), DashboardSettings(users_file=users, secret_key="test-secret"), warm=False)
    client = app.server.test_client()
    client.callback_ids = list(app.callback_map)
    return client


def _callback(client, output: str, inputs: list[dict], state: list[dict] | None = None):
    specs = [o.rsplit(".", 1) for o in output.strip(".").split("...")] if output.startswith("..") else []
    outputs = [{"id": i, "property": p} for i, p in specs]
    if state is None and "team-shown.data" in output:  # Team live's stamp of what the browser shows
        state = [{"id": "team-shown", "property": "data", "value": None}]
    body = {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": [], "state": state or []}
    return client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")


def test_signed_out_requests_are_refused(client):
    r = client.get("/team")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert client.get("/_dash-layout").status_code == 401
    assert _callback(client, "page.children", []).status_code == 401
    assert client.get("/login").status_code == 200


def test_login_and_typed_urls(client):
    assert client.post("/login", data={"username": "ray", "password": "nope-nope"}).status_code == 401
    r = client.post("/login", data={"username": "ray", "password": "rep-pass-123"})
    assert r.status_code == 302 and r.headers["Location"] == "/me"
    assert client.get("/deals").status_code == 403
    assert client.get("/executive").status_code == 403
    assert b"Not allowed" in client.get("/executive").data
    client.get("/logout")
    assert client.get("/me").status_code == 302


def test_callbacks_check_role_server_side(client):
    client.post("/login", data={"username": "eve", "password": "exec-pass-12"})
    team_outputs = next(k for k in client.callback_ids if "team-net-graph.figure" in k)
    r = _callback(client, team_outputs, [{"id": "team-team", "property": "value", "value": "north"},
                                         {"id": "team-period", "property": "value", "value": "2026-Q1"},
                                         {"id": "team-tick", "property": "n_intervals", "value": 1},
                                         {"id": "team-news", "property": "data", "value": None}])
    assert r.status_code == 403 and b"figure" not in r.data  # refused before the store is queried
    client.get("/logout")
    client.post("/login", data={"username": "ray", "password": "rep-pass-123"})
    r = _callback(client, team_outputs, [{"id": "team-team", "property": "value", "value": "south"},
                                         {"id": "team-period", "property": "value", "value": "2026-Q1"},
                                         {"id": "team-tick", "property": "n_intervals", "value": 1},
                                         {"id": "team-news", "property": "data", "value": None}])
    assert r.status_code == 403 and b"figure" not in r.data  # a rep asking for another team's figures


def test_open_redirects_are_refused(client):
    r = client.post("/login", data={"username": "ray", "password": "rep-pass-123", "next": "//evil.example"})
    assert r.headers["Location"] == "/me"


def test_repeated_wrong_passwords_lock_sign_in_for_a_while(client):
    for _ in range(5):  # the 5th starts a wait for (ray, this address)
        assert client.post("/login", data={"username": "ray", "password": "guess"}).status_code == 401
    locked = client.post("/login", data={"username": "ray", "password": "rep-pass-123"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    assert b"Too many wrong passwords" in locked.data
    elsewhere = client.post("/login", data={"username": "ray", "password": "rep-pass-123"},
                            environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert elsewhere.status_code == 302, "the owner signs in from their own address"
