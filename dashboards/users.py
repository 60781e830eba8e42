"""The users file: who may sign in, with which role, person and teams. No Dash, no Flask.

A JSON file (`TEAMFLOW_USERS_FILE`, default `var/users.json`, written with mode 0600, never in
the repository): `{"users": {"<username>": {"role", "person_id", "teams", "password_hash",
"session"}}}`. Passwords are stored as werkzeug's salted scrypt hashes (`generate_password_hash`),
never in clear. Managed by `teamflow users add|list|remove|passwd`.

`session` is the user's session generation: a random token every session cookie of theirs must
carry (`dashboards.auth` checks it on every request). Adding a user draws a new one (so a
removed-then-re-added name never revives old cookies), and a password change or a sign-out draws
another (`end_sessions`), which ends every existing session of that user in every process that
reads the file. Every read-modify-write holds an exclusive `flock` on `<file>.lock`, so the CLI and
the dashboards (signing out) never lose each other's changes.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass, field, replace
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
    session: str = field(default="", repr=False)
    """Session generation: cookies carrying another value are no longer valid (see module doc)."""

    def public(self) -> dict:
        """What may be listed: everything but the hash and the session generation."""
        d = asdict(self)
        d.pop("password_hash")
        d.pop("session")
        d["teams"] = list(self.teams)
        return d


def new_session_generation() -> str:
    """A fresh random session generation (128 bits)."""
    return secrets.token_hex(16)


def session_generation(user: User) -> str:
    """The generation a session of `user` must carry. Files written before generations existed have
    none: their users' generation is derived from the password hash, so a password change (new salt)
    still ends their sessions."""
    if user.session:
        return user.session
    return "h" + hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


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
    return _parse(p.read_bytes())


def _parse(data: bytes) -> dict[str, User]:
    raw = json.loads(data or b"{}")
    out = {}
    for name, u in raw.get("users", {}).items():
        out[name] = User(username=name, role=u["role"], person_id=u.get("person_id", ""),
                         teams=tuple(u.get("teams", ())), password_hash=u.get("password_hash", ""),
                         session=u.get("session", ""))
    return out


def save_users(path: str | Path, users: dict[str, User]) -> None:
    """Write atomically (temporary file + rename), readable by the owner only."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {"users": {n: {"role": u.role, "person_id": u.person_id, "teams": list(u.teams),
                         "password_hash": u.password_hash, "session": u.session}
                     for n, u in sorted(users.items())}}
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


@contextlib.contextmanager
def _locked(path: str | Path):
    """Hold an exclusive lock on `<path>.lock` for one read-modify-write of the users file (other
    processes, e.g. the CLI and the dashboards, wait for each other instead of losing changes)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(p.with_name(p.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def add_user(path: str | Path, username: str, password: str, role: str, person_id: str = "",
             teams: tuple[str, ...] | list[str] = ()) -> User:
    """Add a user with a new random session generation (an old user of that name stays signed out)."""
    user = validate(User(username, role, person_id, tuple(dict.fromkeys(teams)), hash_password(password),
                         new_session_generation()))
    with _locked(path):
        users = load_users(path)
        if username in users:
            raise UsersError(f"user {username!r} exists; use `teamflow users passwd` or remove it first")
        users[username] = user
        save_users(path, users)
    return user


def remove_user(path: str | Path, username: str) -> None:
    """Remove a user: their sessions fail on their next request (the name no longer resolves)."""
    with _locked(path):
        users = load_users(path)
        if username not in users:
            raise UsersError(f"no user {username!r}")
        del users[username]
        save_users(path, users)


def set_password(path: str | Path, username: str, password: str) -> None:
    """Change a password and end every existing session of the user (a new session generation)."""
    password_hash = hash_password(password)
    with _locked(path):
        users = load_users(path)
        if username not in users:
            raise UsersError(f"no user {username!r}")
        users[username] = replace(users[username], password_hash=password_hash, session=new_session_generation())
        save_users(path, users)


def end_sessions(path: str | Path, username: str, generation: str | None = None) -> bool:
    """End every existing session of `username` (sign-out): draw a new session generation.

    With `generation`, only if the user still has that one (a sign-out with an already ended
    session changes nothing). Returns whether the file changed."""
    with _locked(path):
        users = load_users(path)
        user = users.get(username)
        if user is None or (generation is not None and session_generation(user) != generation):
            return False
        users[username] = replace(user, session=new_session_generation())
        save_users(path, users)
    return True


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    """The user when the password matches; None otherwise (same work for unknown users)."""
    user = users.get(username)
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


class UsersFile:
    """The users file, read on every call and parsed again whenever its bytes changed.

    Comparing the bytes (not mtime and size) is what makes a revocation apply at once: a new session
    generation has the same length, and two writes within one file-timestamp tick (a few ms) would
    look unchanged to a stat. Reading a few kB per request costs microseconds."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._raw: bytes | None = None
        self._users: dict[str, User] = {}

    def users(self) -> dict[str, User]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self._raw, self._users = None, {}
            return {}
        if raw != self._raw:
            self._users, self._raw = _parse(raw), raw
        return self._users

    def get(self, username: str | None) -> User | None:
        return self.users().get(username) if username else None
