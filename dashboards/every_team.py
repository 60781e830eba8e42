"""Snapshots of every team's page for one period: computed whole, or updated with the teams new rows touched.

A page of one team (Team live, Deals) is its slice of one snapshot of every team (`read_model.team_page`).
`whole` computes that snapshot for all teams; `update` takes the last snapshot and computes again only
the teams the rows written since touched (`projections.changed_teams`), keeping every other team's page
(`team_views.patch`), or answers None when the snapshot must be computed whole: the changes cannot be
followed (replay, erasure, roster changes, a new partition), the team list changed, or most of
the teams were touched (WHOLE_SHARE: one pass over all of them then costs about the same). `pages(names, people, only)` is the
page's own compute: team -> page data for the teams `names`, with the display names `people`, reading
only the rows of the teams `only` (None: every team's rows).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from projections import activity, changed_teams
from projections.metrics import team_views, teams, views
from projections.metrics.periods import Period

log = logging.getLogger(__name__)

WHOLE_SHARE = 0.75
"""An update touching more than this share of the teams computes the snapshot whole instead: its reads
cost the same either way, and the per-team work of most teams is most of a whole compute
(docs/architecture.md, "Snapshots updated by the teams new rows touched")."""

Pages = Callable[[list[str], dict[str, str], "list[str] | None"], Mapping[str, Any]]


def whole(store: Any, pages: Pages) -> dict[str, Any]:
    """Every team's page data: {"teams": team -> page data, "names": display names, "mark": the store's
    watermark, read before any query, so every batch up to it is in what they read}."""
    mark = changed_teams.watermark(store)
    names = teams(store)
    people = views.display_names(store)
    return {"teams": pages(names, people, None), "names": people, "mark": mark}


def first(store: Any, pages: Pages, team: str) -> dict[str, Any]:
    """A first snapshot of every team with only `team` computed, every other team `behind` (a first visit
    to a period waits for its own team; the others are computed when a page of theirs opens or at the
    next whole compute); the whole snapshot when `team` is not one of the teams."""
    mark = changed_teams.watermark(store)
    names = teams(store)
    if team not in names:
        return whole(store, pages)
    people = views.display_names(store)
    fresh = pages([team], people, [team])
    placeholders: dict[str, Any] = dict.fromkeys(names)  # in the teams' order, as `update` compares it
    return {"teams": team_views.patch(placeholders, fresh, [team]), "names": people, "mark": mark,
            "behind": frozenset(names) - {team}}


def update(store: Any, period: str, previous: dict[str, Any], before: dict[str, tuple], pages: Pages,
           watched: set[str] | None = None) -> dict[str, Any] | None:
    """`previous` (the period's snapshot of every team, read at table versions `before`) with the teams
    the rows written since touched computed again and the others kept; None: compute it whole.
    `watched`: only the teams pages watch are computed (None: every team); the others touched stay
    `behind` (named in the value) until a page of theirs asks (`read_model.ReadModel.get`) or the next
    whole compute, so an update's cost follows the watched teams' changes, not every team's."""
    mark = changed_teams.watermark(store)
    touched = changed_teams.since(store, before, activity.table_versions(store), previous["mark"],
                                  Period.of(period).params())
    names = teams(store)
    if touched is None or list(previous["teams"]) != names:
        return None
    behind = (touched | set(previous.get("behind", ()))) & set(names)
    due = behind if watched is None else behind & set(watched)
    log.debug("%s: %d of %d teams touched since the last snapshot, %d behind, %d of them watched", period,
              len(touched), len(names), len(behind), len(due))
    if len(due) > WHOLE_SHARE * len(names):
        return None
    left = frozenset(behind - due)
    if not due:
        return {"teams": previous["teams"], "names": previous["names"], "mark": mark, "behind": left}
    only = sorted(due)
    fresh = pages(only, previous["names"], only)
    return {"teams": team_views.patch(previous["teams"], fresh, only), "names": previous["names"], "mark": mark,
            "behind": left}


def updater(store: Any, period: str, pages_of: Callable[[Any, str], Pages]) -> Callable[..., dict[str, Any] | None]:
    """The read model's `update` of a page's snapshot of every team (`read_model.Update`): `update` with
    the page's own compute, `pages_of(store, period)`."""
    return lambda previous, before, watched: update(store, period, previous, before, pages_of(store, period), watched)


def firster(store: Any, period: str, pages_of: Callable[[Any, str], Pages], team: str) -> Callable[[], dict[str, Any]]:
    """The read model's `first` of a page's snapshot of every team (`first` with the page's own compute)."""
    return lambda: first(store, pages_of(store, period), team)
