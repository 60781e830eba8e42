"""Which teams' figures can the rows written since a snapshot have moved? (issue 14)

A snapshot of every team's page was computed again after every write, though a live trickle touches a
few teams (docs/architecture.md, "Snapshots updated by the teams new rows touched", has what each
costs). `since(store, before, now, mark, period)` names the teams whose figures rows written after a
snapshot can have moved, so the read model computes only those teams again
(`dashboards.every_team.update`), or answers None when it cannot tell and every team must be.

How. Every batch stores its events in the raw `events` table with its clock (`_ingested_at`, ms), and
every resolved row carries a `_version` (ns) taken after its batch's rows were stored. `watermark(store)`
is the newest `_ingested_at` stored; read right after a snapshot's table versions and before its
queries, so the snapshot saw every batch up to it. The events stored from the watermark on (inclusive:
its own batch is looked at again) name people, deals, artifacts and teams somewhere in their data: every
text value of an event's data and its subject is taken as a possible name (no list of fields per event
type to keep in step with the contracts). A team is touched when it is named, when a named person
belonged to it at some time in the period, when a named deal is counted for it (its outcome, exchanges,
withdrawals) or ever was the team's (an open deal counts for its latest team), or a named artifact is
its author's (`NAMED_TEAMS_SQL`); resolved rows written since name their teams themselves, and a
tombstone the team an entity left. A superset is fine (a team computed again for
nothing gives the same figures); a team missed would show old figures, so `since` answers None
(compute everything) when:
- a table was replaced, or gained or lost a partition (replay, erasure, a new month);
- a table moved that this module does not know (`PROJECTIONS`: a new projection must be added there,
  or it forces whole computes), or roster changes were written (names and memberships of every page);
- a projection table was mutated since the watermark (`system.mutations`), or one moved but no event
  was stored from the watermark on.
One writer: the watermark assumes batches are stored one after another. Several workers writing at
once (the compose `cluster` profile) can store a batch older than the watermark after it was read; the
read model computes everything every `read_model.FULL_EVERY_SECONDS` whatever this says, which bounds
how long such a miss can last.
"""
from __future__ import annotations

import json
from typing import Any

from .metrics.common import MEMBERSHIP, TS


RESOLVED_TEAMS: dict[str, tuple[str, ...]] = {
    "help_acts": ("helper_team", "recipient_team"),
    "deal_outcomes": ("team",),
    "deal_exchange_teams": ("team",),
    "withdrawal_teams": ("team",),
    "artifacts": ("author_team",),
    "reuse_pairs": ("author_team", "user_team"),
}
"""Resolved table -> its team columns (rows written since a watermark: a newer `_version`)."""

FACTS = frozenset({
    "help_requests", "help_given", "help_acks", "knowledge_shared", "knowledge_reuses", "recognitions",
    "referrals", "reviews", "deal_collaborators", "handoffs", "deal_changes", "deal_closes", "deal_exchanges",
    "criterion_results", "success_criteria", "proposals_sent", "proposal_withdrawals", "rediscoveries"})
"""The projection tables of events whose rows a team's figures read (roster changes are not here: they
force a whole compute)."""

PROJECTIONS = FACTS | set(RESOLVED_TEAMS)

NEUTRAL = frozenset({"events", "dead_letters", "schema_migrations"})
"""Tables no team figure reads (the raw log, refused events, the migrations applied)."""

DEAL_TEAMS = ("deal_outcomes", "deal_exchange_teams", "withdrawal_teams")
"""The resolved tables that count a deal for a team."""

NAMED_TEAMS_SQL = " UNION DISTINCT ".join([
    f"SELECT team FROM {MEMBERSHIP} WHERE team != '' AND (team IN {{names:Array(String)}} OR "
    f"(person IN {{names:Array(String)}} AND until > since AND since < {{end:{TS}}} AND until > {{start:{TS}}}))",
    "SELECT author_team AS team FROM artifacts FINAL WHERE artifact_id IN {names:Array(String)}",
    *(f"SELECT team FROM {t} FINAL WHERE deal_id IN {{names:Array(String)}}" for t in DEAL_TEAMS),
    "SELECT team FROM deal_changes WHERE deal_id IN {names:Array(String)} AND team != ''",
])
"""The teams the `names` of new events can touch, in one query: a named team; the teams a named person
belonged to in the period; a named artifact's author team; a named deal's teams (what counts it, and
every team it ever had)."""

LONGEST_NAME = 200
"""Longer text values of an event's data (descriptions, titles) name nothing."""


def watermark(store: Any) -> int:
    """The newest `_ingested_at` stored (ms since the epoch; 0 for an empty store): every batch stores
    its events in the raw log with its clock."""
    return int(store.query_scalar("SELECT toInt64(toUnixTimestamp64Milli(max(_ingested_at))) FROM events") or 0)


def moved_tables(before: dict[str, tuple], now: dict[str, tuple]) -> list[str] | None:
    """The projection tables whose rows were written since `before` (`activity.table_versions` tokens:
    uuid, highest block, partitions), or None when what moved cannot be followed by rows (pure): a table
    created, dropped or replaced, a partition added or dropped, roster changes, a table not known here."""
    if set(before) != set(now):
        return None
    moved = []
    for name, token in now.items():
        old = before[name]
        if old == token:
            continue
        if old[0] != token[0] or old[2] != token[2]:  # replaced (replay) or partitions added / dropped
            return None
        if name in NEUTRAL:
            continue
        if name not in PROJECTIONS:  # roster_changes, or a projection this module does not know yet
            return None
        moved.append(name)
    return sorted(moved)


def texts(value: Any) -> set[str]:
    """Every text value in a decoded JSON value, at any depth, but empty and long ones (pure)."""
    if isinstance(value, str):
        return {value} if 0 < len(value) <= LONGEST_NAME else set()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        out: set[str] = set()
        for v in value:
            out |= texts(v)
        return out
    return set()


def since(store: Any, before: dict[str, tuple], now: dict[str, tuple], mark: int, period: dict[str, Any]
          ) -> set[str] | None:
    """The teams whose figures of the period (`Period.params()`) rows written since a snapshot
    (table versions `before`, watermark `mark`) can have moved, with the table versions `now`; None:
    compute every team (see the module text)."""
    moved = moved_tables(before, now)
    if moved is None:
        return None
    if not moved:
        return set()
    mutated = store.query_df("SELECT DISTINCT table FROM system.mutations WHERE database = currentDatabase() "
                             "AND create_time >= toDateTime(intDiv({mark:Int64}, 1000))", {"mark": mark})
    if set(mutated["table"].tolist()) & PROJECTIONS:  # rows deleted or rewritten in place: no new row says where
        return None
    new = store.query_df("SELECT subject, data FROM events "
                         "WHERE _ingested_at >= fromUnixTimestamp64Milli({mark:Int64}, 'UTC')", {"mark": mark})
    if new.empty and any(t in FACTS for t in moved):  # rows changed, none came: a mutation
        return None
    names: set[str] = set()
    for subject, data in zip(new["subject"].tolist(), new["data"].tolist()):
        names |= texts(subject) | texts(json.loads(data))
    teams: set[str] = set()
    for table in (t for t in moved if t in RESOLVED_TEAMS):
        columns = RESOLVED_TEAMS[table]
        df = store.query_df(f"SELECT DISTINCT arrayJoin([{', '.join(columns)}]) AS team FROM {table} "
                            "WHERE _version >= {mark:UInt64} * 1000000", {"mark": mark})
        teams.update(str(t) for t in df["team"].tolist())
    if names:
        teams.update(str(t) for t in store.query_df(NAMED_TEAMS_SQL, {"names": sorted(names), **period})["team"].tolist())
    teams.discard("")
    return teams
