"""Users file, password hashing and the `teamflow users` command."""
from __future__ import annotations

import io
import json
import os
import stat

import pytest

from dashboards.users import (
    User,
    UsersError,
    UsersFile,
    add_user,
    authenticate,
    hash_password,
    load_users,
    remove_user,
    set_password,
)

pytestmark = pytest.mark.unit


def test_hash_is_salted_and_verifies(tmp_path):
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and "correct horse" not in a
    users = {"ana": User("ana", "rep", "p-1", ("north",), a)}
    assert authenticate(users, "ana", "correct horse") == users["ana"]
    assert authenticate(users, "ana", "wrong password") is None
    assert authenticate(users, "nobody", "correct horse") is None
    with pytest.raises(UsersError):
        hash_password("short")


def test_add_list_remove_passwd_roundtrip(tmp_path):
    path = tmp_path / "sub" / "users.json"
    add_user(path, "mia", "manager-pass", "manager", "p-0", ["north", "south"])
    add_user(path, "eve", "exec-pass-1", "executive")
    users = load_users(path)
    assert users["mia"].teams == ("north", "south") and users["eve"].person_id == ""
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "manager-pass" not in path.read_text()
    set_password(path, "mia", "another-pass")
    assert authenticate(load_users(path), "mia", "another-pass")
    assert not authenticate(load_users(path), "mia", "manager-pass")
    remove_user(path, "eve")
    assert set(load_users(path)) == {"mia"}
    with pytest.raises(UsersError):
        add_user(path, "mia", "whatever-1", "manager", "p-0", ["north"])
    with pytest.raises(UsersError):
        remove_user(path, "eve")


@pytest.mark.parametrize("role, person, teams", [
    ("boss", "p", ["t"]), ("rep", "", ["t"]), ("rep", "p", []), ("rep", "p", ["a", "b"]), ("manager", "p", []),
])
def test_invalid_users_are_refused(tmp_path, role, person, teams):
    with pytest.raises(UsersError):
        add_user(tmp_path / "u.json", "x", "long-enough", role, person, teams)


def test_users_file_rereads_on_change(tmp_path):
    path = tmp_path / "users.json"
    f = UsersFile(path)
    assert f.users() == {}
    add_user(path, "ray", "rep-pass-1", "rep", "p-1", ["north"])
    assert f.get("ray").role == "rep"
    remove_user(path, "ray")
    assert f.get("ray") is None


def test_users_command(tmp_path, monkeypatch, capsys):
    from teamflow.cli import main

    path = tmp_path / "users.json"
    monkeypatch.setenv("TEAMFLOW_USERS_FILE", str(path))
    monkeypatch.setattr("sys.stdin", io.StringIO("rep-pass-123\n"))
    assert main(["users", "add", "ray", "--role", "rep", "--person", "p-1", "--team", "north",
                 "--password-stdin"]) == 0
    assert main(["users", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert listed == [{"username": "ray", "role": "rep", "person_id": "p-1", "teams": ["north"]}]
    monkeypatch.setattr("sys.stdin", io.StringIO("new-pass-456\n"))
    assert main(["users", "passwd", "ray", "--password-stdin"]) == 0
    assert authenticate(load_users(path), "ray", "new-pass-456")
    assert main(["users", "remove", "ray"]) == 0
    assert main(["users", "remove", "ray"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("pw-long-enough\n"))
    assert main(["users", "add", "x", "--role", "rep", "--password-stdin"]) == 2


def test_session_generations_change_on_passwd_signout_and_re_add(tmp_path):
    from dashboards.users import end_sessions, session_generation

    path = tmp_path / "users.json"
    add_user(path, "ray", "rep-pass-123", "rep", "p-1", ["north"])
    first = load_users(path)["ray"].session
    assert len(first) == 32 and first not in repr(load_users(path)["ray"]) and "session" not in load_users(path)["ray"].public()
    set_password(path, "ray", "rep-pass-456")
    second = load_users(path)["ray"].session
    assert second != first
    assert not end_sessions(path, "ray", first), "an already ended generation changes nothing"
    assert end_sessions(path, "ray", second) and load_users(path)["ray"].session not in (first, second)
    assert not end_sessions(path, "nobody")
    remove_user(path, "ray")
    add_user(path, "ray", "rep-pass-456", "rep", "p-1", ["north"])
    assert load_users(path)["ray"].session not in (first, second)
    legacy = User("old", "executive", password_hash=hash_password("exec-pass-12"))  # a file from before
    assert session_generation(legacy) == session_generation(legacy) != session_generation(
        User("old", "executive", password_hash=hash_password("exec-pass-12"))), "a new hash, a new generation"


def test_users_file_sees_a_same_size_change_at_once(tmp_path):
    from dashboards.users import end_sessions

    path = tmp_path / "users.json"
    add_user(path, "ray", "rep-pass-123", "rep", "p-1", ["north"])
    f = UsersFile(path)
    seen = [f.get("ray").session]
    for _ in range(20):  # same size, within one file-timestamp tick: a stat would miss these
        size = path.stat().st_size
        end_sessions(path, "ray")
        assert path.stat().st_size == size
        seen.append(f.get("ray").session)
    assert len(set(seen)) == 21
