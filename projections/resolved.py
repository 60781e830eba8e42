"""Resolved entity rows: facts with the joins every page makes already made, kept current by the writer.

The projection tables hold each fact as it came (a help act, an acknowledgement, a close, a deal's
change of team). Most figures need them joined: a help act counts once its recipient found it
useful, and for the teams the helper and recipient were in *then*; a closed deal counts for the
team it carried at its *latest* close. Made at read time, those joins read the entity tables whole
(`FINAL` over tables ordered by identity, and the roster and deal history for "team at a time"),
so every snapshot cost grew with the history. Here they are made once per entity, when an event
about it is written, into tables partitioned by month of the entity's time, which a period's
query reads alone:

- `help_acts`: one row per help act (`help_given`), with the helper's and recipient's teams at the
  act's time and the recipient's latest acknowledgement (`acked`, `useful`, `ack_time`);
- `deal_outcomes`: one row per closed deal, with its latest close (outcome, `closed_at`) and the
  team the deal carried then;
- `deal_exchange_teams`: each buyer or seller exchange with the team its deal carried then;
- `withdrawal_teams`: each withdrawn proposal (its latest withdrawal) with the deal's team then;
- `artifacts`: each artifact shared, with its author's team when sharing it;
- `reuse_pairs`: each qualifying (artifact, user) reuse pair (someone other than the author, within
  30 days of sharing, at the user's first such reuse) with the user's team then, filed under the
  artifact's share time.

**How they stay exact.** After the writer has stored a batch's rows (and before its offsets are
committed), `refresh` derives again, from the projection tables and by the same SQL the pages
used to run, the rows of every entity the batch touched: the help acts it gave or acknowledged,
those of a person whose roster changed (from the change on), and the closes, exchanges and
withdrawals of every deal it closed, changed, exchanged on or withdrew a proposal of, and the
artifacts it shared or reused (with their reuse pairs). A
derived row carries a version (a clock, `_version`) so the newest derivation wins, whatever was
derived before; an entity whose time moved (a help act reported again with another time, a deal
closed again later) leaves a tombstone (`_deleted = 1`) under its old key, which `FINAL` drops.
Everything is derived from rows already deduplicated by `FINAL`, so a redelivered batch, a
duplicate event or a late event derives the same rows again: nothing is counted twice, late facts
land in their period. A failed refresh fails the write, which the writer retries whole.

Replay, erasure (which replays) and migration 5 rebuild every resolved table whole (`rebuild`), from the
projection tables they just rebuilt. Cost: a refresh reads the touched entities by key, so it
follows the batch, not the history (docs/benchmarks.md, "Resolved entity rows").
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from .ddl import TS, Table
from .metrics.common import REUSE_WINDOW_DAYS, closed_deals_from_rows, deal_team_asof, deal_team_expr, roster_asof
from .store import Store
from .store.base import INSERT_SETTINGS

ENTITY_COLUMNS: tuple[tuple[str, str], ...] = (("_version", "UInt64"), ("_deleted", "UInt8"))
"""Every resolved row ends with its derivation's version and whether it is a tombstone."""


def _resolved_table(name: str, columns: tuple[tuple[str, str], ...], key: tuple[str, ...], comment: str) -> Table:
    """A resolved table keyed by `key` (the entity's identity, ending with its time), partitioned by month
    of that time; `FINAL` keeps each key's newest derivation and drops it when that is a tombstone."""
    return Table(name=name, columns=columns + ENTITY_COLUMNS, order_by=key,
                 engine="ReplacingMergeTree(_version, _deleted)", partition_by=f"toYYYYMM({key[-1]})",
                 comment=comment)


HELP_ACTS = _resolved_table(
    "help_acts",
    (
        ("help_id", "String"),
        ("helper", "String"),
        ("recipient", "String"),
        ("helper_team", "String"),  # the helper's team at the act's time ('' none)
        ("recipient_team", "String"),  # the recipient's team then
        ("kind", "LowCardinality(String)"),
        ("minutes", "UInt16"),
        ("deal_id", "String"),
        ("acked", "UInt8"),  # the recipient acknowledged it (useful or not)
        ("useful", "UInt8"),  # the recipient's latest acknowledgement says useful
        ("ack_time", TS),  # that acknowledgement's time (epoch when none)
        ("time", TS),  # the help act's time
    ),
    ("help_id", "time"),
    "Help acts with their teams at the time and the recipient's latest acknowledgement (resolved)",
)
DEAL_OUTCOMES = _resolved_table(
    "deal_outcomes",
    (
        ("deal_id", "String"),
        ("outcome", "LowCardinality(String)"),  # of the latest close by (time, source, event_id)
        ("team", "String"),  # the team the deal carried at that close ('' none)
        ("closed_at", TS),
    ),
    ("deal_id", "closed_at"),
    "Closed deals: the latest close and the deal's team then (resolved)",
)
DEAL_EXCHANGES = _resolved_table(
    "deal_exchange_teams",
    (
        ("deal_id", "String"),
        ("direction", "LowCardinality(String)"),
        ("kind", "LowCardinality(String)"),
        ("team", "String"),  # the deal's team at the exchange's time
        ("time", TS),
        ("source", "String"),
        ("event_id", "String"),
    ),
    ("deal_id", "source", "event_id", "time"),
    "deal.exchange with the team the deal carried at the exchange's time (resolved)",
)
WITHDRAWALS = _resolved_table(
    "withdrawal_teams",
    (
        ("deal_id", "String"),
        ("proposal_id", "String"),
        ("reason", "String"),
        ("team", "String"),  # the deal's team at the withdrawal's time
        ("time", TS),
    ),
    ("deal_id", "proposal_id", "time"),
    "Withdrawn proposals (latest withdrawal per proposal) with the deal's team then (resolved)",
)
ARTIFACTS = _resolved_table(
    "artifacts",
    (
        ("artifact_id", "String"),
        ("author", "String"),
        ("kind", "LowCardinality(String)"),
        ("title", "String"),
        ("author_team", "String"),  # the author's team when sharing it ('' none)
        ("time", TS),  # when it was shared
    ),
    ("artifact_id", "time"),
    "Artifacts shared (knowledge_shared, latest per artifact) with the author's team then (resolved)",
)
REUSE_PAIRS = _resolved_table(
    "reuse_pairs",
    (
        ("artifact_id", "String"),
        ("user", "String"),
        ("kind", "LowCardinality(String)"),  # the artifact's
        ("author_team", "String"),  # the artifact's author's team when sharing it
        ("user_team", "String"),  # the user's team at their first qualifying reuse
        ("first_time", TS),  # that reuse's time
        ("shared_at", TS),  # the artifact's share time: the period the pair counts in
    ),
    ("artifact_id", "user", "shared_at"),
    "Qualifying reuse pairs: by someone other than the author, within 30 days of sharing; once per user (resolved)",
)
TABLES: tuple[Table, ...] = (HELP_ACTS, DEAL_OUTCOMES, DEAL_EXCHANGES, WITHDRAWALS, ARTIFACTS, REUSE_PAIRS)


def _help_acts_sql(selected: str) -> str:
    """The help_acts rows (without version columns) of the help acts whose id `selected` accepts."""
    return f"""
SELECT g.help_id AS help_id, g.helper AS helper, g.recipient AS recipient, h.h_team AS helper_team,
       r.r_team AS recipient_team, g.kind AS kind, g.minutes AS minutes, g.deal_id AS deal_id,
       toUInt8(a.help_id != '') AS acked, a.useful AS useful, a.time AS ack_time, g.time AS time
FROM (SELECT help_id, helper, recipient, kind, minutes, deal_id, time FROM help_given FINAL WHERE {selected}) AS g
LEFT JOIN (SELECT help_id, recipient, useful, time FROM help_acks FINAL WHERE {selected}) AS a
  ON g.help_id = a.help_id AND g.recipient = a.recipient
{roster_asof('h', 'g.helper', 'g.time')}
{roster_asof('r', 'g.recipient', 'g.time')}
"""


def _deal_outcomes_sql(only: str | None) -> str:
    """The deal_outcomes rows (without version columns) of the closed deals `only` lists (None: all)."""
    return f"SELECT deal_id, outcome, team, closed_at FROM {closed_deals_from_rows(only)}"


def _only(only: str | None) -> str:
    return f"deal_id IN ({only})" if only else "1"


def _deal_exchanges_sql(only: str | None) -> str:
    """The deal_exchange_teams rows of the exchanges on the deals `only` lists (None: all)."""
    return f"""
SELECT x.deal_id AS deal_id, x.direction AS direction, x.kind AS kind, {deal_team_expr('dt')} AS team,
       x.time AS time, x.source AS source, x.event_id AS event_id
FROM (SELECT deal_id, direction, kind, time, source, event_id FROM deal_exchanges FINAL WHERE {_only(only)}) AS x
{deal_team_asof('dt', 'x.deal_id', 'x.time', only)}
"""


def _withdrawals_sql(only: str | None) -> str:
    """The withdrawal_teams rows of the withdrawn proposals of the deals `only` lists (None: all)."""
    return f"""
SELECT w.deal_id AS deal_id, w.proposal_id AS proposal_id, w.reason AS reason, {deal_team_expr('wt')} AS team,
       w.time AS time
FROM (SELECT deal_id, proposal_id, reason, time FROM proposal_withdrawals FINAL WHERE {_only(only)}) AS w
{deal_team_asof('wt', 'w.deal_id', 'w.time', only)}
"""


def _artifacts_sql(selected: str) -> str:
    """The artifacts rows of the artifacts whose id `selected` accepts."""
    return f"""
SELECT s.artifact_id AS artifact_id, s.author AS author, s.kind AS kind, s.title AS title, a.a_team AS author_team,
       s.time AS time
FROM (SELECT artifact_id, author, kind, title, time FROM knowledge_shared FINAL WHERE {selected}) AS s
{roster_asof('a', 's.author', 's.time')}
"""


def _reuse_pairs_sql(selected: str) -> str:
    """The reuse_pairs rows of the artifacts whose id `selected` accepts: each (artifact, user) once, at
    the user's first reuse within REUSE_WINDOW_DAYS of sharing, the author's own reuses left out."""
    return f"""
SELECT q.artifact_id AS artifact_id, q.user AS user, q.kind AS kind, q.author_team AS author_team,
       u.u_team AS user_team, q.first_time AS first_time, q.shared_at AS shared_at
FROM (
  SELECT r.artifact_id AS artifact_id, r.user AS user, any(c.kind) AS kind, any(c.author_team) AS author_team,
         any(c.time) AS shared_at, min(r.time) AS first_time
  FROM (SELECT artifact_id, user, time FROM knowledge_reuses FINAL WHERE {selected}) AS r
  INNER JOIN ({_artifacts_sql(selected)}) AS c ON r.artifact_id = c.artifact_id
  WHERE r.user != c.author AND r.time >= c.time AND r.time <= c.time + toIntervalDay({REUSE_WINDOW_DAYS})
  GROUP BY r.artifact_id, r.user
) AS q
{roster_asof('u', 'q.user', 'q.first_time')}
"""


ARTIFACT_IDS = "artifact_id IN (SELECT arrayJoin({artifact_ids:Array(String)}))"
ARTIFACTS_OF_PERSONS = (
    "artifact_id IN (SELECT artifact_id FROM knowledge_shared WHERE has({persons:Array(String)}, author) "
    f"AND time >= {{persons_since:{TS}}}) OR artifact_id IN (SELECT artifact_id FROM knowledge_reuses "
    f"WHERE has({{persons:Array(String)}}, user) AND time >= {{persons_since:{TS}}})")


def artifacts_selected(touched_: "Touched") -> str:
    """The predicate of the artifacts a batch touched: shared or reused in it, and those a person whose
    roster changed in it shared or reused from that change on."""
    return f"({ARTIFACT_IDS} OR {ARTIFACTS_OF_PERSONS})" if touched_.persons else ARTIFACT_IDS


HELP_IDS = "help_id IN (SELECT arrayJoin({help_ids:Array(String)}))"
HELP_OF_PERSONS = ("help_id IN (SELECT help_id FROM help_given WHERE (has({persons:Array(String)}, helper) "
                   f"OR has({{persons:Array(String)}}, recipient)) AND time >= {{persons_since:{TS}}})")


def help_selected(touched_: "Touched") -> str:
    """The predicate of the help acts a batch touched: those it gave or acknowledged, and every act of a
    person whose roster changed in it, from the earliest such change on (their team at the act's time may
    have changed). The second part scans help_given, so it is there only for a batch with roster changes."""
    return f"({HELP_IDS} OR {HELP_OF_PERSONS})" if touched_.persons else HELP_IDS


DEALS_SELECTED = "SELECT arrayJoin({deal_ids:Array(String)})"


@dataclass
class Touched:
    """The entities one batch touched, by id (see `touched`)."""

    help_ids: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    persons_since_ms: int | None = None  # the earliest roster change of `persons`
    deal_ids: set[str] = field(default_factory=set)
    artifact_ids: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.help_ids or self.persons or self.deal_ids or self.artifact_ids)


def _column(tables: Mapping[str, Any], table: str, column: str) -> list:
    t = tables.get(table)
    return [] if t is None or t.num_rows == 0 else t.column(column).to_pylist()


def touched(tables: Mapping[str, Any]) -> Touched:
    """The entities a batch's tables (name -> Arrow table, as the encoder gives them) touch. Pure."""
    out = Touched()
    out.help_ids.update(_column(tables, "help_given", "help_id"))
    out.help_ids.update(_column(tables, "help_acks", "help_id"))
    roster = tables.get("roster_changes")
    if roster is not None and roster.num_rows:
        out.persons.update(roster.column("person").to_pylist())
        times = roster.column("time").cast("int64").to_pylist()
        out.persons_since_ms = min(times)
    out.deal_ids.update(_column(tables, "deal_closes", "deal_id"))
    out.deal_ids.update(_column(tables, "deal_changes", "deal_id"))
    out.deal_ids.update(_column(tables, "deal_exchanges", "deal_id"))
    out.deal_ids.update(_column(tables, "proposal_withdrawals", "deal_id"))
    out.artifact_ids.update(_column(tables, "knowledge_shared", "artifact_id"))
    out.artifact_ids.update(_column(tables, "knowledge_reuses", "artifact_id"))
    return out


_clock_lock = threading.Lock()
_last_version = 0


def next_version() -> int:
    """A version higher than every earlier one of this process (nanoseconds of the clock, or one more)."""
    global _last_version
    with _clock_lock:
        _last_version = max(time.time_ns(), _last_version + 1)
        return _last_version


def _settings() -> str:
    return ", ".join(f"{k} = {v}" for k, v in INSERT_SETTINGS.items())


def _insert(store: Store, table: Table, target: str, select: str, params: dict[str, Any], deleted: int) -> None:
    """INSERT INTO `target` the rows of `select` (the table's own columns) with a version and `_deleted`."""
    own = [c for c, _ in table.columns if c not in dict(ENTITY_COLUMNS)]
    cols = ", ".join(table.column_names)
    store.command(f"INSERT INTO {target} ({cols}) SETTINGS {_settings()} "
                  f"SELECT {', '.join(own)}, {{version:UInt64}} AS _version, toUInt8({deleted}) AS _deleted "
                  f"FROM ({select})", {**params, "version": next_version()})


def _tombstones(table: Table, current: str, ids: str) -> str:
    """The rows of `table` (newest derivations) of the entities the query `ids` lists whose key is no longer
    in `current` (a query of those entities' keys now, in the table's key order): the tombstones to write."""
    own = ", ".join(c for c, _ in table.columns if c not in dict(ENTITY_COLUMNS))
    key = table.order_by
    return f"SELECT {own} FROM {table.name} FINAL WHERE {key[0]} IN ({ids}) AND ({', '.join(key)}) NOT IN ({current})"


def refresh(store: Store, touched_: Touched) -> None:
    """Derive again the resolved rows of the entities a batch touched (after its rows were stored)."""
    if touched_.help_ids or touched_.persons:
        selected = help_selected(touched_)
        params = {"help_ids": sorted(touched_.help_ids), "persons": sorted(touched_.persons),
                  "persons_since": _ts(touched_.persons_since_ms)}
        _insert(store, HELP_ACTS, HELP_ACTS.name,
                _tombstones(HELP_ACTS, f"SELECT help_id, time FROM help_given FINAL WHERE {selected}",
                            f"SELECT help_id FROM help_given WHERE {selected}"),
                params, deleted=1)
        _insert(store, HELP_ACTS, HELP_ACTS.name, _help_acts_sql(selected), params, deleted=0)
    if touched_.deal_ids:
        params = {"deal_ids": sorted(touched_.deal_ids)}
        ids = DEALS_SELECTED
        closed_now = f"SELECT deal_id, max(time) FROM deal_closes FINAL WHERE deal_id IN ({ids}) GROUP BY deal_id"
        _insert(store, DEAL_OUTCOMES, DEAL_OUTCOMES.name, _tombstones(DEAL_OUTCOMES, closed_now, ids), params, deleted=1)
        _insert(store, DEAL_OUTCOMES, DEAL_OUTCOMES.name, _deal_outcomes_sql(ids), params, deleted=0)
        # an exchange's key is its event's identity and time, which never change: no tombstones
        _insert(store, DEAL_EXCHANGES, DEAL_EXCHANGES.name, _deal_exchanges_sql(ids), params, deleted=0)
        withdrawn_now = f"SELECT deal_id, proposal_id, time FROM proposal_withdrawals FINAL WHERE deal_id IN ({ids})"
        _insert(store, WITHDRAWALS, WITHDRAWALS.name, _tombstones(WITHDRAWALS, withdrawn_now, ids), params, deleted=1)
        _insert(store, WITHDRAWALS, WITHDRAWALS.name, _withdrawals_sql(ids), params, deleted=0)
    if touched_.artifact_ids or touched_.persons:
        _refresh_knowledge(store, touched_)


def _refresh_knowledge(store: Store, touched_: Touched) -> None:
    selected = artifacts_selected(touched_)
    params = {"artifact_ids": sorted(touched_.artifact_ids), "persons": sorted(touched_.persons),
              "persons_since": _ts(touched_.persons_since_ms)}
    ids = f"SELECT artifact_id FROM knowledge_shared WHERE {selected}"
    _insert(store, ARTIFACTS, ARTIFACTS.name,
            _tombstones(ARTIFACTS, f"SELECT artifact_id, time FROM knowledge_shared FINAL WHERE {selected}", ids),
            params, deleted=1)
    _insert(store, ARTIFACTS, ARTIFACTS.name, _artifacts_sql(selected), params, deleted=0)
    pairs_now = f"SELECT artifact_id, user, shared_at FROM ({_reuse_pairs_sql(selected)})"
    _insert(store, REUSE_PAIRS, REUSE_PAIRS.name, _tombstones(REUSE_PAIRS, pairs_now, ids), params, deleted=1)
    _insert(store, REUSE_PAIRS, REUSE_PAIRS.name, _reuse_pairs_sql(selected), params, deleted=0)


def _ts(ms: int | None) -> str:
    """A `DateTime64(3)` parameter of epoch milliseconds (None: the far future, selecting nothing)."""
    if ms is None:
        return "2200-01-01 00:00:00.000"
    seconds, millis = divmod(int(ms), 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}"


def create(store: Store) -> None:
    """Create the resolved tables where they do not exist (empty)."""
    for table in TABLES:
        store.command(table.create_sql())


def rebuild(store: Store) -> None:
    """Derive every resolved table whole from the projection tables, into fresh tables swapped in atomically
    (replay, erasure and migration 5: the store's projection tables are complete and final)."""
    fresh_sql = {HELP_ACTS.name: _help_acts_sql("1"), DEAL_OUTCOMES.name: _deal_outcomes_sql(None),
                 DEAL_EXCHANGES.name: _deal_exchanges_sql(None), WITHDRAWALS.name: _withdrawals_sql(None),
                 ARTIFACTS.name: _artifacts_sql("1"), REUSE_PAIRS.name: _reuse_pairs_sql("1")}
    for table in TABLES:
        fresh = table.name + "__rebuild"
        store.command(f"DROP TABLE IF EXISTS {fresh}")
        store.command(table.create_sql(fresh))
        _insert(store, table, fresh, fresh_sql[table.name], {}, deleted=0)
        store.command(f"CREATE TABLE IF NOT EXISTS {table.name} AS {fresh}")
        store.command(f"EXCHANGE TABLES {table.name} AND {fresh}")
        store.command(f"DROP TABLE {fresh}")


