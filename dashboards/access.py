"""Who may see what: the role rules, pure functions of the signed-in user (no Flask, no store).

- rep: their own "My view", and their team's aggregates on Team live (network without names).
- manager: their team(s): Team live with names, Deals, and the member views of their team.
- executive: the organisation and teams (Executive page), never an individual.
- ops: the Operations page only (sources, dead letters, worker, lag, tokens, the raw activity
  feed); no team or person figures.
Every page and every callback asks these functions on the server.
"""
from __future__ import annotations

from .users import User

PAGES: dict[str, tuple[str, frozenset[str]]] = {
    "/team": ("Team live", frozenset({"rep", "manager"})),
    "/deals": ("Deals", frozenset({"manager"})),
    "/executive": ("Executive", frozenset({"executive"})),
    "/me": ("My view", frozenset({"rep", "manager"})),
    "/ops": ("Operations", frozenset({"ops"})),
}
"""path -> (title, roles allowed)."""

HOME = {"rep": "/me", "manager": "/team", "executive": "/executive", "ops": "/ops"}

MIN_GROUP = 5
"""Executive views hide groups smaller than this many people."""


def can_open(user: User | None, path: str) -> bool:
    page = PAGES.get(path)
    return bool(user and page and user.role in page[1])


def nav(user: User) -> list[tuple[str, str]]:
    """(path, title) of the pages this user may open, in menu order."""
    return [(path, title) for path, (title, roles) in PAGES.items() if user.role in roles]


def home(user: User) -> str:
    return HOME.get(user.role, "/login")


def teams_for(user: User, known: list[str]) -> list[str]:
    """Teams whose figures this user may see (executives: every team; others: their own)."""
    if user.role == "executive":
        return list(known)
    return [t for t in user.teams]


def can_see_team(user: User | None, team: str | None) -> bool:
    if not user or not team:
        return False
    return user.role == "executive" or team in user.teams


def shows_names(user: User) -> bool:
    """Whether team views may name people (managers of the team only)."""
    return user.role == "manager"


def can_see_person(user: User | None, person: str | None, person_team: str | None) -> bool:
    """Own view always (reps, managers); a manager also sees the members of their team(s)."""
    if not user or not person or user.role == "executive":
        return False
    if person == user.person_id:
        return True
    return user.role == "manager" and bool(person_team) and person_team in user.teams


def group_visible(members: int) -> bool:
    return members >= MIN_GROUP
