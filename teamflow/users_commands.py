"""Commands for dashboard users and roles (`teamflow users add|list|remove|passwd|signout`).

The users file is `TEAMFLOW_USERS_FILE` (default `var/users.json`, mode 0600, never in the
repository). Passwords are read from a prompt, or from standard input with `--password-stdin`
(for scripts and tests); only a salted scrypt hash is stored. `passwd`, `remove` and `signout` end
every existing dashboard session of the user at once, also in running dashboards (they re-read the
file on every request).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys


def _path(args: argparse.Namespace, settings):
    return args.file or settings.dashboards.users_file


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("teamflow users: the passwords differ")
    return first


def cmd_add(args: argparse.Namespace, settings) -> int:
    from dashboards.users import UsersError, add_user

    try:
        user = add_user(_path(args, settings), args.username, _password(args), args.role, args.person or "",
                        args.team or [])
    except UsersError as exc:
        print(f"teamflow users add: {exc}", file=sys.stderr)
        return 2
    print(f"added {user.username} ({user.role}{', ' + user.person_id if user.person_id else ''}"
          f"{', teams ' + ', '.join(user.teams) if user.teams else ''}) to {_path(args, settings)}")
    return 0


def cmd_list(args: argparse.Namespace, settings) -> int:
    from dashboards.users import load_users

    users = load_users(_path(args, settings))
    if args.json:
        print(json.dumps([u.public() for u in users.values()], indent=2))
        return 0
    if not users:
        print(f"no users in {_path(args, settings)}; add one with `teamflow users add`")
        return 0
    for u in users.values():
        print(f"{u.username:20} {u.role:10} {u.person_id or '-':16} {', '.join(u.teams) or '-'}")
    return 0


def cmd_remove(args: argparse.Namespace, settings) -> int:
    from dashboards.users import UsersError, remove_user

    try:
        remove_user(_path(args, settings), args.username)
    except UsersError as exc:
        print(f"teamflow users remove: {exc}", file=sys.stderr)
        return 1
    print(f"removed {args.username}")
    return 0


def cmd_passwd(args: argparse.Namespace, settings) -> int:
    from dashboards.users import UsersError, set_password

    try:
        set_password(_path(args, settings), args.username, _password(args))
    except UsersError as exc:
        print(f"teamflow users passwd: {exc}", file=sys.stderr)
        return 1
    print(f"password of {args.username} changed")
    return 0


def cmd_signout(args: argparse.Namespace, settings) -> int:
    from dashboards.users import UsersError, end_sessions

    try:
        if not end_sessions(_path(args, settings), args.username):
            raise UsersError(f"no user {args.username!r}")
    except UsersError as exc:
        print(f"teamflow users signout: {exc}", file=sys.stderr)
        return 1
    print(f"ended every session of {args.username}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `teamflow` parser."""
    u = sub.add_parser("users", help="dashboard users and roles (rep, manager, executive, ops)",
                       description="Manage who may sign in to the dashboards. Roles: rep (their own view and their "
                       "team's aggregates), manager (their team(s), deals and members), executive (organisation and "
                       "teams, no individual), ops (the Operations page: sources, dead letters, lag, tokens). "
                       "File: TEAMFLOW_USERS_FILE (default var/users.json).")
    u.add_argument("--file", help="users file (default: TEAMFLOW_USERS_FILE or var/users.json)")
    us = u.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    a = us.add_parser("add", help="add a user")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=["rep", "manager", "executive", "ops"])
    a.add_argument("--person", help="their person_id (reps and managers)")
    a.add_argument("--team", action="append", help="a team they belong to / manage (repeatable)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.set_defaults(func=cmd_add)

    ls = us.add_parser("list", help="list users (never their password hashes)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)

    r = us.add_parser("remove", help="remove a user (their sessions end at once)")
    r.add_argument("username")
    r.set_defaults(func=cmd_remove)

    p = us.add_parser("passwd", help="set a user's password (ends their existing sessions)")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_passwd)

    so = us.add_parser("signout", help="end every dashboard session of a user (e.g. a lost laptop)")
    so.add_argument("username")
    so.set_defaults(func=cmd_signout)
