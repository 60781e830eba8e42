"""The Team live detail views (projections.metrics.views) of every team of one period, one query each.

Each query is the one-team query of `views` with the team filter turned into a team column (grouped
or sliced by team); the reductions are those of `views`, per team. Slices keep the one-team
results' rows, order and columns, so `team_live(store, period, teams)[t]` equals what the one-team
functions give for t (tests/integration/projections/test_trend_metrics_chdb.py checks it).
"""
from __future__ import annotations

import functools
import hashlib
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Mapping
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from . import views
from .common import FAILED_OUTCOMES, every_team, member_of
from .periods import Period
from .trends import Reads

ROSTERS_SQL = every_team(views.TEAM_ROSTER_SQL, ("WHERE m.team = {team:String} AND", "WHERE m.team != '' AND"),
                         ("SELECT m.person AS person", "SELECT m.team AS team, m.person AS person"),
                         ("GROUP BY m.person", "GROUP BY m.team, m.person"),
                         ("ORDER BY m.person", "ORDER BY m.team, m.person"))

LESSONS_SQL = every_team(views.LESSONS_SQL, ("AND author_team = {team:String}", "AND author_team != ''"),
                         ("SELECT time,", "SELECT author_team AS team, time,"),
                         ("LIMIT {limit:UInt32}", "LIMIT {limit:UInt32} BY team"))

ROSTERS_ONLY_SQL = every_team(ROSTERS_SQL, ("WHERE m.team != '' AND", "WHERE m.team IN {only:Array(String)} AND"))
LESSONS_ONLY_SQL = every_team(LESSONS_SQL, ("AND author_team != ''", "AND author_team IN {only:Array(String)}"))
"""The same for the teams of the `only` parameter (a snapshot of the teams new rows touched)."""


class Lazy(Mapping):
    """A mapping of `keys` whose values `build(key)` makes on first use and keeps: a snapshot of every
    team holds what all teams' pages share, and only the pages someone opens pay for their own frames
    (building a hundred teams' frames cost about as much as the snapshot's queries). `fingerprint(key)`,
    when given, digests everything `build(key)` reads: equal fingerprints, equal values."""

    def __init__(self, keys: Iterable[str], build: Callable[[str], Any],
                 fingerprint: Callable[[str], bytes] | None = None) -> None:
        self._keys = dict.fromkeys(keys)  # ordered, and a set
        self._build = build
        self._fingerprint = fingerprint
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            if key not in self._keys:
                raise KeyError(key)
            value = self._build(key)  # outside the lock: two pages open at once build at once
            with self._lock:
                self._values.setdefault(key, value)
        return self._values[key]

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key: object) -> bool:  # without building the value (Mapping's would)
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def fingerprint(self, key: str) -> bytes:
        if self._fingerprint is None:
            raise TypeError("this mapping was made without a fingerprint")
        if key not in self._keys:
            raise KeyError(key)
        return self._fingerprint(key)

    @property
    def built(self) -> set[str]:
        return set(self._values)


class Patched(Mapping):
    """Every team's page data taken from the snapshot that last computed the team: a snapshot of the
    teams new rows touched (`patch`) keeps the other teams' values of the snapshots before it. It refers
    to those snapshots themselves (`sources`: team -> a `Lazy` of one computed snapshot), never to an
    earlier `Patched`, so patching again and again holds at most one computed snapshot per team."""

    def __init__(self, sources: dict[str, Mapping]) -> None:
        self.sources = sources

    def __getitem__(self, key: str) -> Any:
        return self.sources[key][key]

    def __iter__(self):
        return iter(self.sources)

    def __contains__(self, key: object) -> bool:  # without building the page (Mapping's would)
        return key in self.sources

    def __len__(self) -> int:
        return len(self.sources)

    @property
    def built(self) -> set[str]:
        return {k for k, m in self.sources.items() if k in getattr(m, "built", ())}


def patch(previous: Mapping, fresh: Mapping, teams: Iterable[str]) -> Patched:
    """`previous` (a snapshot's team -> page data) with the values of `teams` taken from `fresh`."""
    sources = dict(previous.sources) if isinstance(previous, Patched) else {k: previous for k in previous}
    sources.update({t: fresh for t in teams})
    return Patched(sources)


class LastBuilt:
    """The value last built for each key, kept with the fingerprint of what it was built from:
    `get(key, fingerprint, build)` returns it again while the fingerprint is the same (`==`: a digest's
    bytes here, the very same objects for dashboards.drawn), else builds,
    keeps and returns a new one. Each snapshot of every team recomputes every team's figures, but an
    event touches a few teams: their pages are rebuilt, the others' are the same objects as before
    (and a browser finds their tiles unchanged). At most `size` keys, least recently used dropped."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._kept: "OrderedDict[Any, tuple[Any, Any]]" = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def get(self, key: Any, fingerprint: Any, build: Callable[[], Any]) -> Any:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and kept[0] == fingerprint:
                self._kept.move_to_end(key)
                return kept[1]
        value = build()  # outside the lock: pages of several teams build at once
        with self._lock:
            self.builds += 1
            self._kept[key] = (fingerprint, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


def digest(*parts: Any) -> bytes:
    """A 16-byte digest of `parts` (bytes taken as they are, anything else by its repr)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part if isinstance(part, bytes) else repr(part).encode())
        h.update(b"\x00")
    return h.digest()


def row_hashes(df: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of `df`, of its values only (pandas' hash_pandas_object, index left out)."""
    return np.zeros(0, np.uint64) if df.empty else pd.util.hash_pandas_object(df, index=False).to_numpy()


class ByTeam:
    """A query's rows of every team, split by its team column. Calling it with a team gives that team's
    rows without the team column, in the query's order, indexed from 0 (`empty` when it has none: by
    default the query's columns, no rows); `digest(team)` is those rows' content as bytes, from one hash
    per row computed for all teams at once (pandas' hash_pandas_object), without building the frame."""

    def __init__(self, df: pd.DataFrame, empty: pd.DataFrame | None = None) -> None:
        self._rest = df.drop(columns="team", errors="ignore")  # an empty result may have no columns at all
        self.empty = self._rest.iloc[0:0].reset_index(drop=True) if empty is None else empty
        self._rows = {} if df.empty else {str(t): rows for t, rows in df.groupby("team", sort=False).indices.items()}

    @functools.cached_property
    def _hashes(self) -> np.ndarray:  # on the first digest: frames with list cells are split, never digested
        return row_hashes(self._rest)

    def __call__(self, team: str) -> pd.DataFrame:
        rows = self._rows.get(team)
        return self.empty if rows is None else self._rest.take(rows).reset_index(drop=True)

    def digest(self, team: str) -> bytes:
        rows = self._rows.get(team)
        return b"" if rows is None else self._hashes[rows].tobytes()


FAILED_COLUMNS = ["team", "deal_id", "outcome", "closed_at"]


def _strings(df: pd.DataFrame, column: str) -> list[str]:
    """A result column as Python strings, converted at once (iterating an Arrow column made a scalar per
    row); no such column, no values."""
    return [str(v) for v in df[column].tolist()] if column in df.columns else []


def failed_deals(closed: pd.DataFrame, reviews: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lost and no-decision deals of `closed` (`trends.Reads.closed`: every team's deals closed in
    the period) ordered by close time and id, as the one-team view orders them, and the rows of
    `reviews` (deal_id, time) of those deals (pure)."""
    if closed.empty:
        return pd.DataFrame(columns=FAILED_COLUMNS), reviews.iloc[0:0]
    failed = closed.loc[member_of(closed["outcome"], FAILED_OUTCOMES), FAILED_COLUMNS]
    failed = failed.sort_values(["closed_at", "deal_id"], kind="stable").reset_index(drop=True)
    if reviews.empty:
        return failed, reviews
    return failed, reviews[member_of(reviews["deal_id"], failed["deal_id"])].reset_index(drop=True)


def snapshot_reads(store: Any, period: str, lessons_limit: int = 8, only: list[str] | None = None) -> Reads:
    """The reads of a Team live snapshot of every team (`only`: of these teams): the period's
    `trends.Reads` (the figures') with the detail views' own queries (rosters, lessons) queued after them."""
    params = Period.of(period).params()
    if only is None:
        rosters, lessons = ROSTERS_SQL, LESSONS_SQL
    else:
        rosters, lessons, params = ROSTERS_ONLY_SQL, LESSONS_ONLY_SQL, {**params, "only": sorted(only)}
    return Reads.of(store, period, extra={"rosters": (rosters, params),
                                          "lessons": (lessons, {**params, "limit": lessons_limit})}, only=only)


def team_live(store: Any, period: str, teams: list[str], lessons_limit: int = 8,
              reads: Reads | None = None) -> Lazy:
    """team -> {members, edges, balance, by_kind, failed, lessons} as the one-team views give them: the
    queries run here, for every team at once; a team's frames are built when first asked for (`Lazy`).
    `reads`: `snapshot_reads(store, period, lessons_limit)`, when the caller passes them to the figures too."""
    reads = snapshot_reads(store, period, lessons_limit) if reads is None else reads
    rosters = reads.frame("rosters")
    known = reads.knowledge
    failed, reviews = failed_deals(reads.closed, reads.reviews)
    reviews_by_deal: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(_strings(reviews, "deal_id")):
        reviews_by_deal[d].append(i)
    review_rows: dict[str, list[int]] = defaultdict(list)  # team -> the reviews of its failed deals
    for t, d in zip(_strings(failed, "team"), _strings(failed, "deal_id")):
        review_rows[str(t)].extend(reviews_by_deal.get(str(d), []))
    review_hashes = row_hashes(reviews)
    lessons = reads.frame("lessons")

    # the help acts in one pass: ties inside each team, help given and received as a member
    ties: dict[str, Counter] = defaultdict(Counter)  # team -> (helper, recipient) -> acts
    given: dict[str, Counter] = defaultdict(Counter)
    received: dict[str, Counter] = defaultdict(Counter)
    for h, r, ht, rt, _, n in reads.help:
        if ht == rt:
            ties[ht][(h, r)] += n
        given[ht][h] += n
        received[rt][r] += n
    # no roster rows at all: the one-team query's empty frame (its column types)
    no_members = views.team_roster(store, teams[0], period).iloc[0:0] if rosters.empty and teams else None
    members_of, failed_of, lessons_of = ByTeam(rosters, no_members), ByTeam(failed), ByTeam(lessons)

    def frames(team: str) -> dict[str, Any]:
        members = members_of(team)
        cell = (team, period)
        return {
            "members": members,
            "edges": views.edges_frame(ties.get(team, Counter())),
            "balance": views.balance_frame(members.get("person", []), given.get(team, Counter()),
                                           received.get(team, Counter())),
            "by_kind": views.by_kind_counts(known.by_kind.get(cell, [])),
            "failed": views.failed_rows(failed_of(team), reviews.iloc[sorted(review_rows.get(team, []))]),
            "lessons": lessons_of(team),
        }

    def fingerprint(team: str) -> bytes:
        """Everything frames(team) reads, without building a frame. The acts and reviews
        come in no set order and the frames do not depend on it: sorted, so an unchanged team's
        fingerprint is the same in every snapshot."""
        cell = (team, period)
        return digest(members_of.digest(team), failed_of.digest(team), lessons_of.digest(team),
                      np.sort(review_hashes[review_rows.get(team, [])]).tobytes(), cell,
                      sorted(ties.get(team, Counter()).items()), sorted(given.get(team, Counter()).items()),
                      sorted(received.get(team, Counter()).items()), known.by_kind.get(cell, []))
    return Lazy(teams, frames, fingerprint)
