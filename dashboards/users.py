"""The users file: who may sign in, with which role, person and teams. No Dash, no Flask.

A JSON file (`TEAMFLOW_USERS_FILE`, default `var/users.json`, written with mode 0600, never in
the repository): `{"users": {"<username>": {"role", "person_id", "teams", "password_hash"}}}`.
Passwords are stored as werkzeug's salted scrypt hashes (`generate_password_hash`), never in
clear. Managed by `teamflow users add|list|remove|passwd`.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("rep", "manager", "executive", "ops")
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
_DUMMY_HASH = generate_password_hash("not a real password, only equalises timing")


class UsersError(ValueError):
    """A user that cannot be added or changed as asked (unknown role, missing team, ...)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    person_id: str = ""
    teams: tuple[str, ...] = ()
    password_hash: str = field(default="", repr=False)

    def public(self) -> dict:
        """What may be listed: everything but the hash."""
        d = asdict(self)
        d.pop("password_hash")
        d["teams"] = list(self.teams)
        return d


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"password too short: at least {MIN_PASSWORD} characters")
    return generate_password_hash(password)


def validate(user: User) -> User:
    if not USERNAME.match(user.username):
        raise UsersError(f"not a username (letters, digits, _.@-, at most 64): {user.username!r}")
    if user.role not in ROLES:
        raise UsersError(f"unknown role {user.role!r}; roles: {', '.join(ROLES)}")
    if user.role in ("rep", "manager") and not user.person_id:
        raise UsersError(f"a {user.role} needs --person (their person_id)")
    if user.role in ("rep", "manager") and not user.teams:
        raise UsersError(f"a {user.role} needs --team")
    if user.role == "rep" and len(user.teams) != 1:
        raise UsersError("a rep belongs to exactly one team")
    return user


def load_users(path: str | Path) -> dict[str, User]:
    """Every user in the file ({} when the file does not exist yet)."""
    p = Path(path)
    if not p.exists():
        return {}
    raw = json.loads(p.read_text() or "{}")
    out = {}
    for name, u in raw.get("users", {}).items():
        out[name] = User(username=name, role=u["role"], person_id=u.get("person_id", ""),
                         teams=tuple(u.get("teams", ())), password_hash=u.get("password_hash", ""))
    return out


def save_users(path: str | Path, users: dict[str, User]) -> None:
    """Write atomically (temporary file + rename), readable by the owner only."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {"users": {n: {"role": u.role, "person_id": u.person_id, "teams": list(u.teams),
                         "password_hash": u.password_hash} for n, u in sorted(users.items())}}
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def add_user(path: str | Path, username: str, password: str, role: str, person_id: str = "",
             teams: tuple[str, ...] | list[str] = ()) -> User:
    users = load_users(path)
    if username in users:
        raise UsersError(f"user {username!r} exists; use `teamflow users passwd` or remove it first")
    user = validate(User(username, role, person_id, tuple(dict.fromkeys(teams)), hash_password(password)))
    users[username] = user
    save_users(path, users)
    return user


def remove_user(path: str | Path, username: str) -> None:
    users = load_users(path)
    if username not in users:
        raise UsersError(f"no user {username!r}")
    del users[username]
    save_users(path, users)


def set_password(path: str | Path, username: str, password: str) -> None:
    users = load_users(path)
    if username not in users:
        raise UsersError(f"no user {username!r}")
    u = users[username]
    users[username] = User(u.username, u.role, u.person_id, u.teams, hash_password(password))
    save_users(path, users)


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (same work for unknown users)."""
    user = users.get(username)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


class UsersFile:
    """The users file read on demand and re-read when it changes (adds and removals apply at once)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[float, int] | None = None
        self._users: dict[str, User] = {}

    def users(self) -> dict[str, User]:
        try:
            st = self.path.stat()
            stamp = (st.st_mtime, st.st_size)
        except FileNotFoundError:
            self._stamp, self._users = None, {}
            return {}
        if stamp != self._stamp:
            self._users, self._stamp = load_users(self.path), stamp
        return self._users

    def get(self, username: str | None) -> User | None:
        return self.users().get(username) if username else None
