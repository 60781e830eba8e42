"""The resolved tables: their definitions, and how each one's rows are derived from the projection tables.

Each `Spec` says which projection tables' rows name an entity whose resolved row must be derived
again (`sources`), which of them can move an entity's key so that its old row needs a tombstone
(`moved_by`: only a new report of the entity itself moves its time; an acknowledgement, a reuse or a
roster change never does), which entities a roster change touches (`of_persons`), and the SQL: the
rows of the entities an ids query lists (`derive`; the pages' former joins, over the deduplicated
projection tables) and their keys now (`keys_now`). Pure: SQL text only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..ddl import TS, Table
from ..metrics.common import REUSE_WINDOW_DAYS, closed_deals_from_rows, deal_team_asof, deal_team_expr, roster_asof

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


def _in(column: str, ids: str | None) -> str:
    """`column IN (ids)`, or every row when `ids` is None (a rebuild)."""
    return f"{column} IN ({ids})" if ids else "1"


def _help_acts(ids: str | None) -> str:
    return f"""
SELECT g.help_id AS help_id, g.helper AS helper, g.recipient AS recipient, h.h_team AS helper_team,
       r.r_team AS recipient_team, g.kind AS kind, g.minutes AS minutes, g.deal_id AS deal_id,
       toUInt8(a.help_id != '') AS acked, a.useful AS useful, a.time AS ack_time, g.time AS time
FROM (SELECT help_id, helper, recipient, kind, minutes, deal_id, time FROM help_given FINAL
      WHERE {_in('help_id', ids)}) AS g
LEFT JOIN (SELECT help_id, recipient, useful, time FROM help_acks FINAL WHERE {_in('help_id', ids)}) AS a
  ON g.help_id = a.help_id AND g.recipient = a.recipient
{roster_asof('h', 'g.helper', 'g.time')}
{roster_asof('r', 'g.recipient', 'g.time')}
"""


def _deal_outcomes(ids: str | None) -> str:
    return f"SELECT deal_id, outcome, team, closed_at FROM {closed_deals_from_rows(ids)}"


def _deal_exchanges(ids: str | None) -> str:
    return f"""
SELECT x.deal_id AS deal_id, x.direction AS direction, x.kind AS kind, {deal_team_expr('dt')} AS team,
       x.time AS time, x.source AS source, x.event_id AS event_id
FROM (SELECT deal_id, direction, kind, time, source, event_id FROM deal_exchanges FINAL
      WHERE {_in('deal_id', ids)}) AS x
{deal_team_asof('dt', 'x.deal_id', 'x.time', ids)}
"""


def _withdrawals(ids: str | None) -> str:
    return f"""
SELECT w.deal_id AS deal_id, w.proposal_id AS proposal_id, w.reason AS reason, {deal_team_expr('wt')} AS team,
       w.time AS time
FROM (SELECT deal_id, proposal_id, reason, time FROM proposal_withdrawals FINAL WHERE {_in('deal_id', ids)}) AS w
{deal_team_asof('wt', 'w.deal_id', 'w.time', ids)}
"""


def _artifacts(ids: str | None) -> str:
    return f"""
SELECT s.artifact_id AS artifact_id, s.author AS author, s.kind AS kind, s.title AS title, a.a_team AS author_team,
       s.time AS time
FROM (SELECT artifact_id, author, kind, title, time FROM knowledge_shared FINAL WHERE {_in('artifact_id', ids)}) AS s
{roster_asof('a', 's.author', 's.time')}
"""


def _reuse_pairs(ids: str | None) -> str:
    """Each (artifact, user) once, at the user's first reuse within REUSE_WINDOW_DAYS of sharing, the
    author's own reuses left out."""
    return f"""
SELECT q.artifact_id AS artifact_id, q.user AS user, q.kind AS kind, q.author_team AS author_team,
       u.u_team AS user_team, q.first_time AS first_time, q.shared_at AS shared_at
FROM (
  SELECT r.artifact_id AS artifact_id, r.user AS user, any(c.kind) AS kind, any(c.author_team) AS author_team,
         any(c.time) AS shared_at, min(r.time) AS first_time
  FROM (SELECT artifact_id, user, time FROM knowledge_reuses FINAL WHERE {_in('artifact_id', ids)}) AS r
  INNER JOIN ({_artifacts(ids)}) AS c ON r.artifact_id = c.artifact_id
  WHERE r.user != c.author AND r.time >= c.time AND r.time <= c.time + toIntervalDay({REUSE_WINDOW_DAYS})
  GROUP BY r.artifact_id, r.user
) AS q
{roster_asof('u', 'q.user', 'q.first_time')}
"""


PERSONS = "{persons:Array(String)}"
SINCE = f"{{persons_since:{TS}}}"


@dataclass(frozen=True)
class Spec:
    table: Table
    sources: tuple[tuple[str, str], ...]  # (projection table, its entity id column) whose rows touch an entity
    moved_by: tuple[str, ...]  # of those, the tables whose rows can move an entity's key
    derive: Callable[[str | None], str]  # rows of the entities an ids query lists (None: every entity)
    keys_now: Callable[[str], str] | None = None  # those entities' keys now (when something can move them)
    of_persons: str | None = None  # ids of the entities a roster change of PERSONS since SINCE touches


SPECS: tuple[Spec, ...] = (
    Spec(HELP_ACTS, (("help_given", "help_id"), ("help_acks", "help_id")), ("help_given",), _help_acts,
         lambda ids: f"SELECT help_id, time FROM help_given FINAL WHERE help_id IN ({ids})",
         f"SELECT help_id FROM help_given WHERE (has({PERSONS}, helper) OR has({PERSONS}, recipient)) "
         f"AND time >= {SINCE}"),
    Spec(DEAL_OUTCOMES, (("deal_closes", "deal_id"), ("deal_changes", "deal_id")), ("deal_closes",),
         _deal_outcomes,
         lambda ids: f"SELECT deal_id, max(time) FROM deal_closes FINAL WHERE deal_id IN ({ids}) GROUP BY deal_id"),
    Spec(DEAL_EXCHANGES, (("deal_exchanges", "deal_id"), ("deal_changes", "deal_id")), (), _deal_exchanges),
    Spec(WITHDRAWALS, (("proposal_withdrawals", "deal_id"), ("deal_changes", "deal_id")), ("proposal_withdrawals",),
         _withdrawals,
         lambda ids: f"SELECT deal_id, proposal_id, time FROM proposal_withdrawals FINAL WHERE deal_id IN ({ids})"),
    Spec(ARTIFACTS, (("knowledge_shared", "artifact_id"),), ("knowledge_shared",), _artifacts,
         lambda ids: f"SELECT artifact_id, time FROM knowledge_shared FINAL WHERE artifact_id IN ({ids})",
         f"SELECT artifact_id FROM knowledge_shared WHERE has({PERSONS}, author) AND time >= {SINCE}"),
    Spec(REUSE_PAIRS, (("knowledge_shared", "artifact_id"), ("knowledge_reuses", "artifact_id")), ("knowledge_shared",),
         _reuse_pairs, lambda ids: f"SELECT artifact_id, user, shared_at FROM ({_reuse_pairs(ids)})",
         f"SELECT artifact_id FROM knowledge_shared WHERE has({PERSONS}, author) AND time >= {SINCE} "
         f"UNION ALL SELECT artifact_id FROM knowledge_reuses WHERE has({PERSONS}, user) AND time >= {SINCE}"),
)
"""One spec per resolved table, in TABLES' order."""
