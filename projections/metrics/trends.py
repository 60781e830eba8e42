"""Team measures for every team and period of a range, one query per measure area.

`grouped(store, periods, teams)` gives, for each team and each period (quarters, months, ISO weeks
or days), the same figures as `team_metrics(store, team, period)` for the measures the executive
page draws and Team live shows (and the members), with one query per area grouped by (team, period)
over the whole range instead of one set of queries per team and period. `quarterly` is the
executive trends' use, `team_metrics_all` Team live's (one period, nested as team_metrics).
Each query is the per-team query of its module with the team filter dropped and the period label
of the deciding time (help, share, close, withdrawal, recognition, due date: `BUCKETS`) beside the
team; the reductions below are those of the modules, per (team, period). The label column keeps
the name `quarter` whatever the kind. `tests/integration/projections/test_trend_metrics_chdb.py`
checks every figure against `team_metrics`.
"""
from __future__ import annotations

import functools
import statistics
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from ..store.turns import in_context
from . import buyer, recognition, rediscovery, sharing, views
from .common import (
    CLOSED_IN_PERIOD,
    IN_PERIOD,
    MEMBERSHIP,
    MIN_ARTIFACTS,
    MIN_CRITERIA,
    MIN_DEALS,
    MIN_MEMBERS,
    MIN_PERSON_MONTHS,
    MIN_REUSES,
    MIN_REVIEWED,
    MIN_TIES,
    MS_PER_MONTH,
    TS,
    closed_deals,
    closes,
    count,
    deal_ids,
    figure,
    ratio,
    roster_asof,
)
from .cohorts import NO_DEALS, Counts
from .cohorts import counts as cohort_counts
from .deals import (COLLABORATORS_SQL, CRITERIA_SQL, HANDOFFS_SQL, IN_COHORT, REVIEWS_SQL, collaboration_counts,
                    times_of, values_of)
from .periods import Period, parse_period
from .reciprocity import ACKNOWLEDGED_HELP

def _q(col: str) -> str:
    """The quarter label ('2026-Q1') of a UTC time or date column."""
    return f"concat(toString(toYear({col})), '-Q', toString(toQuarter({col})))"


def _month(col: str) -> str:
    return f"formatDateTime({col}, '%Y-%m')"


def _week(col: str) -> str:
    """The ISO week label ('2026-W09'), as periods.parse_period reads it."""
    return f"concat(toString(toISOYear({col})), '-W', leftPad(toString(toISOWeek({col})), 2, '0'))"


def _day(col: str) -> str:
    return f"toString(toDate({col}))"


BUCKETS: dict[str, Callable[[str], str]] = {"quarter": _q, "month": _month, "week": _week, "day": _day}
"""Period kind -> the SQL label of the period a time or date column falls in (periods.py labels)."""


def period_kind(label: str) -> str:
    """'quarter', 'month', 'week' or 'day' of a period label; ValueError if it is none."""
    parse_period(label)
    text = label.strip()
    return "quarter" if "-Q" in text else "week" if "-W" in text else "day" if text.count("-") == 2 else "month"


WITHDRAWN_IDS = f"SELECT deal_id FROM proposal_withdrawals WHERE {IN_PERIOD}"
"""The deals with a proposal withdrawn in the period: those whose restarts and ends the rediscovery
figures look up."""
ONLY_WITHDRAWN_IDS = f"SELECT deal_id FROM withdrawal_teams FINAL WHERE {IN_PERIOD} AND team IN {{only:Array(String)}}"
"""WITHDRAWN_IDS of the teams `only` (the deals the `withdrawn` read keeps for them)."""


DUE_IDS = "SELECT deal_id FROM success_criteria WHERE due >= {start_day:Date} AND due < {end_day:Date}"
"""The deals with a success criterion due in the period: those whose closes and results `criteria_due` reads."""


def _build(_q: Callable[[str], str]) -> dict[str, str]:
    """The grouped queries with the period label `_q(col)` of the deciding time beside the team."""
    MEMBERS_SQL = f"""
    SELECT person, team, since, until FROM {MEMBERSHIP}
    WHERE team != '' AND until > since AND since < {{end:{TS}}} AND until > {{start:{TS}}}
    """

    HELP_SQL = f"""
    SELECT helper, recipient, helper_team, recipient_team, {_q('time')} AS quarter, toInt64(count()) AS acts
    FROM {ACKNOWLEDGED_HELP} AS g
    WHERE helper_team != '' OR recipient_team != ''
    GROUP BY helper, recipient, helper_team, recipient_team, quarter
    """

    EXCHANGES_SQL = f"""
    SELECT deal_id, {_q('time')} AS quarter, toInt64(countIf(direction = 'seller_gave')) AS seller_gave,
           toInt64(countIf(direction = 'buyer_gave')) AS buyer_gave, argMax(team, time) AS team
    FROM deal_exchange_teams FINAL WHERE {IN_PERIOD} GROUP BY deal_id, quarter
    """

    # Knowledge shared and reused per team and period, reduced in the engine (`Knowledge`): one row per kind
    # (`all_kinds` 0) and one for all kinds (1). `shared`: the team's artifacts of the period (rows of
    # `artifacts`, each with its author's team when sharing it); `reused`: distinct artifacts among their
    # qualifying reuse pairs (`reuse_pairs`), `reuses` those pairs, `cross_team_reuses` those by a user of
    # another team (or none) then; `lessons`: distinct lesson and war-story artifacts of the cohort,
    # `reused_lessons`: distinct ones of them among the pairs.
    _LESSONS = ", ".join(f"'{k}'" for k in sharing.LESSON_KINDS)
    KNOWLEDGE_SQL = f"""
    SELECT team, quarter, kind, toUInt8(grouping(kind)) AS all_kinds,
           toInt64(countIf(side = 'a')) AS shared,
           toInt64(uniqExactIf(artifact_id, side = 'a' AND kind IN ({_LESSONS}))) AS lessons,
           toInt64(uniqExactIf(artifact_id, side = 'p')) AS reused,
           toInt64(countIf(side = 'p')) AS reuses,
           toInt64(countIf(side = 'p' AND user_team != team)) AS cross_team_reuses,
           toInt64(uniqExactIf(artifact_id, side = 'p' AND cohort_lesson = 1)) AS reused_lessons
    FROM (SELECT 'a' AS side, artifact_id, kind, author_team AS team, {_q('time')} AS quarter, '' AS user_team,
                 toUInt8(0) AS cohort_lesson
          FROM artifacts FINAL WHERE {IN_PERIOD} AND author_team != ''
          UNION ALL
          SELECT 'p' AS side, artifact_id, kind, author_team AS team, {_q('shared_at')} AS quarter, user_team,
                 toUInt8((author_team, {_q('shared_at')}, artifact_id) IN (
                     SELECT author_team, {_q('time')}, artifact_id FROM artifacts FINAL
                     WHERE {IN_PERIOD} AND author_team != '' AND kind IN ({_LESSONS}))) AS cohort_lesson
          FROM reuse_pairs FINAL
          WHERE shared_at >= {{start:{TS}}} AND shared_at < {{end:{TS}}} AND author_team != '')
    GROUP BY GROUPING SETS ((team, quarter, kind), (team, quarter))
    """
    CLOSED_SQL = f"""
    SELECT deal_id, outcome, closed_at, team, {_q('closed_at')} AS quarter
    FROM deal_outcomes FINAL WHERE team != '' AND {CLOSED_IN_PERIOD}
    """

    CRITERIA_DUE_SQL = """
    SELECT sc.deal_id AS deal_id, cd.team AS team, quarter,
           toUInt8(m.has_met = 1 AND m.first_met < addDays(toDateTime64(sc.due, 3, 'UTC'), 1)) AS met_by_due
    FROM (SELECT deal_id, criterion_id, due, QUARTER AS quarter FROM success_criteria FINAL
          WHERE due >= {start_day:Date} AND due < {end_day:Date}) AS sc
    INNER JOIN CLOSED_FOR_DUE AS cd ON sc.deal_id = cd.deal_id
    LEFT JOIN (SELECT deal_id, criterion_id, min(time) AS first_met, toUInt8(1) AS has_met
               FROM criterion_results FINAL WHERE result = 'met' AND deal_id IN (DUE_IDS)
               GROUP BY deal_id, criterion_id) AS m
      ON sc.deal_id = m.deal_id AND sc.criterion_id = m.criterion_id
    WHERE cd.outcome = 'won'
    """
    CRITERIA_DUE_SQL = (CRITERIA_DUE_SQL.replace("QUARTER", _q("due")).replace("CLOSED_FOR_DUE", closed_deals(DUE_IDS))
                        .replace("DUE_IDS", DUE_IDS))

    REFERRALS_SQL = f"""
    SELECT rt.rt_team AS team, {_q('x.time')} AS quarter, toInt64(count()) AS n
    FROM (SELECT referrer, time FROM referrals FINAL WHERE {IN_PERIOD}) AS x
    {roster_asof('rt', 'x.referrer', 'x.time')}
    WHERE rt.rt_team != ''
    GROUP BY team, quarter
    """

    _WITHDRAWN_IDS = WITHDRAWN_IDS
    WITHDRAWN_SQL = f"""
    SELECT deal_id, team, {_q('time')} AS quarter, min(time) AS first_withdrawn, toInt64(count()) AS proposals
    FROM withdrawal_teams FINAL WHERE {IN_PERIOD}
    GROUP BY deal_id, team, quarter
    """
    REDISCOVERIES_SQL = f"SELECT deal_id, time FROM rediscoveries FINAL WHERE deal_id IN ({_WITHDRAWN_IDS})"
    WITHDRAWN_ENDS_SQL = f"SELECT deal_id, outcome FROM {closes(_WITHDRAWN_IDS)}"

    RECOGNITION_SQL = f"""
    SELECT g.g_team AS team, {_q('x.time')} AS quarter, x.reason AS reason, toInt64(count()) AS n
    FROM (SELECT giver, receiver, reason, time FROM (
            SELECT giver, receiver, reason, time,
                   row_number() OVER (PARTITION BY giver, receiver, {_q('time')} ORDER BY time, source, event_id) AS nth
            FROM recognitions FINAL WHERE {IN_PERIOD} AND giver != receiver)
          WHERE nth <= {recognition.RECOGNITION_CAP}) AS x
    {roster_asof('g', 'x.giver', 'x.time')}
    WHERE g.g_team != ''
    GROUP BY team, quarter, reason
    """
    return {"members": MEMBERS_SQL, "help": HELP_SQL, "exchanges": EXCHANGES_SQL, "knowledge": KNOWLEDGE_SQL,
            "closed": CLOSED_SQL, "criteria_due": CRITERIA_DUE_SQL,
            "referrals": REFERRALS_SQL, "withdrawn": WITHDRAWN_SQL, "rediscoveries": REDISCOVERIES_SQL,
            "withdrawn_ends": WITHDRAWN_ENDS_SQL, "recognition": RECOGNITION_SQL}


SQL = {kind: _build(fn) for kind, fn in BUCKETS.items()}


def _rows(df: pd.DataFrame, *columns: str) -> list[tuple]:
    """A result's `columns` as one tuple per row, Python values (`values_of`: times as `datetime`)."""
    if df.empty:
        return []
    return list(zip(*(values_of(df[c]) for c in columns)))


def _tuples(df: pd.DataFrame, *columns: str) -> list[tuple]:
    """A result's `columns` as one tuple per row, strings as `str` (what the row loops need, without a
    dict per row); no rows, no columns needed."""
    if df.empty:
        return []
    return list(zip(*(df[c].astype(str).tolist() for c in columns)))


def _ms(t: Any) -> int:
    return int(pd.Timestamp(t).value // 1_000_000)


def _members(df: pd.DataFrame, periods: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """(team, period) -> person -> ms in the team during the period (common.team_members per period),
    from the membership intervals of the span (the `members` query)."""
    bounds = {q: tuple(_ms(x) for x in parse_period(q)) for q in periods}
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for person, team, since_at, until_at in _rows(df, "person", "team", "since", "until"):
        since, until, person = _ms(since_at), _ms(until_at), str(person)
        for q, (start, end) in bounds.items():
            if since < end and until > start:
                key = (str(team), q)
                out[key][person] = out[key].get(person, 0) + min(until, end) - max(since, start)
    return out


KNOWLEDGE_COUNTS = tuple(views.BY_KIND_COLUMNS[1:])
"""A kind's counts in `Knowledge.by_kind`: the by-kind table's columns after the kind."""


@dataclass(frozen=True)
class Knowledge:
    """Knowledge counts per (team, period), from the `knowledge` read: `by_kind` -> [(kind, shared, reused,
    reuses, cross_team_reuses)] sorted by kind, `totals` -> {the counts of all kinds, `lessons`,
    `reused_lessons`} (distinct artifacts: not the sums of the kinds')."""
    by_kind: dict[tuple[str, str], list[tuple]]
    totals: dict[tuple[str, str], dict[str, int]]

    def total(self, key: tuple[str, str]) -> dict[str, int]:
        return self.totals.get(key, NO_KNOWLEDGE)


NO_KNOWLEDGE = {"shared": 0, "lessons": 0, "reused": 0, "reuses": 0, "cross_team_reuses": 0, "reused_lessons": 0}


def knowledge(df: pd.DataFrame) -> Knowledge:
    """`Knowledge` of the `knowledge` query's result (pure)."""
    by_kind: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    totals: dict[tuple[str, str], dict[str, int]] = {}
    names = list(NO_KNOWLEDGE)
    for team, q, kind, all_kinds, *counts in _rows(df, "team", "quarter", "kind", "all_kinds", *names):
        key = (str(team), str(q))
        values = dict(zip(names, (int(n) for n in counts)))
        if all_kinds:
            totals[key] = values
        else:
            by_kind[key].append((str(kind), *(values[n] for n in KNOWLEDGE_COUNTS)))
    return Knowledge({key: sorted(rows) for key, rows in by_kind.items()}, totals)


SPAN_READS = ("members", "help", "exchanges", "knowledge", "closed")
"""The span's queries (`SQL[kind]`) `grouped` reads first, in the order it reduces them."""
COHORT_READS = {"reviews": REVIEWS_SQL, "collaborators": COLLABORATORS_SQL, "criteria": CRITERIA_SQL,
                "handoffs": HANDOFFS_SQL}
"""The per-deal queries of the closed deals (`cohort`), read next (`in_closed`)."""


COHORT_PARAM_MAX = 5000
"""A cohort of up to this many deals is bound as a parameter of its per-deal reads; a larger one is read
by them in the engine (`in_closed`). At 10M events the two cost the same near 5,000 ids; with 47,000
(40 teams' quarter) the parameter cost twice as much, with 118,000 (every team) three times as much,
and with 1,400 (one team) the query inside cost 50 ms more over the four reads (docs/benchmarks.md)."""


def in_closed(deal_sql: str, closed_sql: str) -> str:
    """A per-deal query of the cohort (`deals.IN_COHORT`) reading the deals of the query `closed_sql` in the
    engine instead of from a parameter (pure)."""
    if IN_COHORT not in deal_sql:
        raise ValueError("a cohort read no longer names the cohort as deals.IN_COHORT")
    return deal_sql.replace(IN_COHORT, f"deal_id IN (SELECT deal_id FROM ({closed_sql}))")
LATER_READS = ("criteria_due", "referrals", "withdrawn_ends", "withdrawn", "rediscoveries", "recognition")


Extra = dict[str, tuple[str, "dict[str, Any] | Callable[[Reads], dict[str, Any]]"]]
"""A caller's own queries for `Reads`: name -> (sql, params, or a function of the Reads giving them)."""

ONLY_TEAMS: dict[str, str | None] = {
    "help": "helper_team IN {only:Array(String)} OR recipient_team IN {only:Array(String)}",
    "rediscoveries": None, "withdrawn_ends": None}
"""How a read keeps the rows of some teams only (`Reads(only=...)`): by its `team` column unless named
here; None: keyed by deal, it keeps the deals the teams withdrew a proposal of in the period (the
deals of their `withdrawn` rows: `ONLY_WITHDRAWN_IDS` for `WITHDRAWN_IDS`)."""


ONLY_MEMBERS = (f"SELECT person FROM {MEMBERSHIP} WHERE team IN {{only:Array(String)}} "
                f"AND since < {{end:{TS}}} AND until > {{start:{TS}}}")
ONLY_SOONER: dict[str, tuple[str, str]] = {
    "recognition": ("WHERE {IN_PERIOD} AND giver != receiver",
                    f"WHERE {{IN_PERIOD}} AND giver != receiver AND giver IN ({ONLY_MEMBERS})"),
    "exchanges": ("FROM deal_exchange_teams FINAL WHERE {IN_PERIOD}",
                  "FROM deal_exchange_teams FINAL WHERE {IN_PERIOD} AND deal_id IN (SELECT deal_id FROM "
                  "deal_exchange_teams WHERE {IN_PERIOD} AND team IN {only:Array(String)})"),
    "knowledge": ("author_team != ''", "author_team != '' AND author_team IN {only:Array(String)}"),
    "criteria_due": (DUE_IDS, DUE_IDS + " AND deal_id IN (SELECT deal_id FROM deal_outcomes WHERE team IN {only:Array(String)})"),
}
"""Reads whose team is known only after a window, a join or an aggregate, and which can leave out
rows of other teams before it (read -> (text, the text with the rows left out)): a recognition's team is
its giver's team then, so only givers who were members of the teams in the period can count (a giver's
pairs are left out whole: the per-pair cap sees the same rows); an exchange's team is its deal's latest
in the period, so only deals with an exchange of one of the teams then can; knowledge is counted per
author's team, so only the teams' artifacts and pairs are read before the counts; a criterion due in the period
counts for the team its won deal carried at its close, so only deals with a close of one of the teams can
(any copy of a close row: a superset of the deals whose latest close is theirs). The kept rows' figures
are the same; what the engine reads for them is less."""


def only_teams(name: str, sql: str) -> str:
    """The read `name`'s `sql` keeping the rows of the teams of its `only` parameter (pure)."""
    keep = ONLY_TEAMS.get(name, "team IN {only:Array(String)}")
    if name in ONLY_SOONER:
        text, sooner = (part.replace("{IN_PERIOD}", IN_PERIOD) for part in ONLY_SOONER[name])
        if text not in sql:
            raise ValueError(f"the read {name!r} no longer holds the text its rows are left out at: {text!r}")
        sql = sql.replace(text, sooner)
    if keep is not None:
        return f"SELECT * FROM ({sql}) WHERE {keep}"
    if WITHDRAWN_IDS not in sql:
        raise ValueError(f"the read {name!r} is kept by the withdrawn deals' ids, but does not read them")
    return sql.replace(WITHDRAWN_IDS, ONLY_WITHDRAWN_IDS)


class Reads:
    """Every query of the figures of every team over one span, started when the `Reads` is made and run
    one after another in a thread of its own, while the caller reduces the results already there: chDB
    lets go of the GIL while a query runs, so the Python that folds one result overlaps the next query
    (the store runs one query at a time either way). Each result is read once, however many parts of
    a snapshot use it: Team live's figures (`grouped`) and its detail views (`team_views.team_live`)
    both read the help acts, the knowledge and the closed deals with their reviews, from one `Reads`.
    `extra`: name -> (sql, params), a caller's own queries, run after these in their order (read with
    `frame(name)` too); `params` may be a function of the `Reads`, called when the query's turn comes,
    for a query of what an earlier one found. `only`: the rows of these teams only (every read of the
    figures but those keyed by deal: `only_teams`; extra reads keep their own), for a snapshot of the
    teams new rows touched: a team's figures from them are those from every team's rows."""

    def __init__(self, store: Any, kind: str, params: dict[str, Any], extra: Extra | None = None,
                 only: list[str] | None = None) -> None:
        taken = {n for n in SPAN_READS + LATER_READS} | set(COHORT_READS)
        clash = sorted(taken & set(extra or {}))
        if clash:
            raise ValueError(f"an extra read may not take the name of one of the figures' reads: {clash}")
        sql = SQL[kind]
        if only is not None:
            sql = {name: only_teams(name, q) for name, q in sql.items()}
            params = {**params, "only": sorted(only)}
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-reads")
        query, cohort_read = in_context(store.query_df), in_context(self._cohort_read)  # the caller's turn (store.turns)
        self._results: dict[str, Future] = {}
        for name in SPAN_READS:
            self._results[name] = pool.submit(query, sql[name], params)
        for name, deal_sql in COHORT_READS.items():  # after `closed`, in the same thread
            self._results[name] = pool.submit(cohort_read, store, deal_sql, sql["closed"], params)
        for name in LATER_READS:
            self._results[name] = pool.submit(query, sql[name], params)
        for name, (extra_sql, extra_params) in (extra or {}).items():
            self._results[name] = pool.submit(
                in_context(lambda q=extra_sql, p=extra_params: store.query_df(q, p(self) if callable(p) else p)))
        pool.shutdown(wait=False)  # the thread ends once the queue is done (a caller that stops early leaves it to finish)

    def _cohort_read(self, store: Any, deal_sql: str, closed_sql: str, params: dict[str, Any]) -> pd.DataFrame:
        if len(self.cohort) <= COHORT_PARAM_MAX:
            return store.query_df(deal_sql, {"cohort": self.cohort})
        return store.query_df(in_closed(deal_sql, closed_sql), params)

    @classmethod
    def of(cls, store: Any, period: str, extra: Extra | None = None, only: list[str] | None = None) -> "Reads":
        return cls(store, period_kind(period), Period.of(period).params(), extra, only)

    def frame(self, name: str) -> pd.DataFrame:
        """The result of the query `name`, waiting for it if it is still running (its error, if it failed)."""
        return self._results[name].result()

    @functools.cached_property
    def help(self) -> list[tuple[str, str, str, str, str, int]]:
        """Acknowledged help: (helper, recipient, helper's team, recipient's team, period, acts), one row per
        distinct pair of people and their teams in a period with its number of acts, each with a team on
        either side (counted in the engine: a period holds hundreds of thousands of acts at 10M events,
        and a few thousand pairs)."""
        df = self.frame("help")
        names = _tuples(df, "helper", "recipient", "helper_team", "recipient_team", "quarter")
        return [(*row, int(n)) for row, n in zip(names, df["acts"].tolist())] if names else []

    @functools.cached_property
    def knowledge(self) -> Knowledge:
        return knowledge(self.frame("knowledge"))

    @property
    def closed(self) -> pd.DataFrame:
        """Deals closed in the span, with the team each carried at its close and the close's period
        (deal_id, outcome, closed_at, team, quarter): the cohort of the deal figures, and the failed
        deals of Team live's failure tile."""
        return self.frame("closed")

    @functools.cached_property
    def cohort(self) -> list[str]:
        """The closed deals' ids, sorted (the `cohort` parameter of the per-deal queries)."""
        return deal_ids(self.closed)

    @property
    def reviews(self) -> pd.DataFrame:
        """Every review (deal_id, time) of the closed deals."""
        return self.frame("reviews")


def quarterly(store: Any, quarters: list[str], teams: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """team -> quarter -> {"members": n, "<area>.<key>": figure} for the executive measures."""
    return grouped(store, quarters, teams)


def grouped(store: Any, periods: list[str], teams: list[str],
            reads: Reads | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """team -> period -> {"members": n, "<area>.<key>": figure}; periods of one kind, oldest first.
    `reads`: the span's shared reads, when the caller passes them to others too."""
    kind = period_kind(periods[0])
    span = Period("range", parse_period(periods[0])[0], parse_period(periods[-1])[1])
    params = span.params()
    reads = Reads(store, kind, params) if reads is None else reads
    members = _members(reads.frame("members"), periods)

    ties: dict[tuple[str, str], set] = defaultdict(set)
    acts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # given, received, within
    for h, r, ht, rt, q, n in reads.help:
        acts[(ht, q)][0] += n
        acts[(rt, q)][1] += n
        if ht == rt:
            acts[(ht, q)][2] += n
            ties[(ht, q)].add((h, r))

    exchanges: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for team, q, seller_gave, buyer_gave in _rows(reads.frame("exchanges"), "team", "quarter", "seller_gave",
                                                  "buyer_gave"):
        exchanges[(str(team), q)].append((int(seller_gave), int(buyer_gave)))

    shared = reads.knowledge

    handed_off = set(deal_ids(reads.frame("handoffs")))
    cohorts = cohort_counts(reads.closed, reads.reviews, reads.frame("collaborators"), reads.frame("criteria"),
                            handed_off)
    due: dict[tuple[str, str], list[int]] = defaultdict(list)
    for team, q, met in _rows(reads.frame("criteria_due"), "team", "quarter", "met_by_due"):
        due[(str(team), q)].append(int(met))
    referrals = {(str(team), q): int(n) for team, q, n in _rows(reads.frame("referrals"), "team", "quarter", "n")}

    ends = {str(d): str(o) for d, o in _rows(reads.frame("withdrawn_ends"), "deal_id", "outcome")}
    withdrawn: dict[tuple[str, str], list[tuple[str, int, Any, str]]] = defaultdict(list)
    for deal, team, q, proposals, first in _rows(reads.frame("withdrawn"), "deal_id", "team", "quarter", "proposals",
                                                 "first_withdrawn"):
        d = str(deal)
        withdrawn[(str(team), q)].append((d, int(proposals), first, ends.get(d, "open")))
    restarts = times_of(reads.frame("rediscoveries"))

    by_reason: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for team, q, reason, n in _rows(reads.frame("recognition"), "team", "quarter", "reason", "n"):
        by_reason[(str(team), q)][str(reason)] = int(n)

    out: dict[str, dict[str, dict[str, Any]]] = {}
    for team in teams:
        out[team] = {}
        for q in periods:
            key = (team, q)
            cell = {"members": len(members.get(key, {}))}
            cell.update(_network(members.get(key, {}), ties.get(key, set()), acts.get(key, [0, 0, 0])))
            cell.update(_buyer(exchanges.get(key, [])))
            cell.update(_sharing(shared.total(key), members.get(key, {})))
            cell.update(_deals(cohorts.get(key, NO_DEALS), due.get(key, []), referrals.get(key, 0), shared.total(key)))
            cell.update({f"proposal_rediscovery.{k}": v
                         for k, v in rediscovery.figures(withdrawn.get(key, []), restarts).items()})
            cell.update({f"recognition.{k}": v for k, v in recognition.mix(by_reason.get(key, {})).items()})
            out[team][q] = cell
    return out


def team_metrics_all(store: Any, period: str, teams: list[str],
                     reads: Reads | None = None) -> dict[str, dict[str, Any]]:
    """team -> the figures Team live shows of team_metrics(store, team, period), nested as there
    (area -> key -> figure), for every team from the grouped queries of one period; `reads` as in
    `grouped` (`Reads.of(store, period)`)."""
    out: dict[str, dict[str, Any]] = {}
    for team, cells in grouped(store, [period], teams, reads).items():
        nested: dict[str, Any] = {"team": team, "period": Period.of(period).as_dict()}
        for name, value in cells[period].items():
            if "." in name:
                area, key = name.split(".", 1)
                nested.setdefault(area, {})[key] = value
        nested.setdefault("reciprocity", {})["members"] = count(cells[period]["members"])
        out[team] = nested
    return out


def _network(members: dict[str, int], ties: set, acts: list[int]) -> dict[str, Any]:
    n = len(members)
    tied = {p for tie in ties for p in tie}
    return {
        "reciprocity.ties": count(len(ties)),
        "reciprocity.acknowledged_help_given": count(acts[0]),
        "reciprocity.acknowledged_help_received": count(acts[1]),
        "reciprocity.help_within_team": count(acts[2]),
        "reciprocity.reciprocity_index": ratio(sum(1 for h, r in ties if (r, h) in ties), len(ties), MIN_TIES),
        "reciprocity.density": figure(len(ties) / (n * (n - 1)) if n > 1 else None, n, MIN_MEMBERS),
        "reciprocity.isolates": figure(len([p for p in members if p not in tied]), n, MIN_MEMBERS),
    }


def _buyer(deals: list[tuple[int, int]]) -> dict[str, Any]:
    return {f"buyer_reciprocity.{k}": v for k, v in buyer.figures(deals).items()}


def _sharing(known: dict[str, int], members: dict[str, int]) -> dict[str, Any]:
    person_months = sum(members.values()) / MS_PER_MONTH
    return {
        "information_sharing.artifacts_shared": count(known["shared"]),
        "information_sharing.reuses": count(known["reuses"]),
        "information_sharing.artifacts_per_person_month": figure(
            known["shared"] / person_months if person_months else None, person_months, MIN_PERSON_MONTHS),
        "information_sharing.reuse_rate": ratio(known["reused"], known["shared"], MIN_ARTIFACTS),
        "information_sharing.cross_team_reuse_share": ratio(known["cross_team_reuses"], known["reuses"], MIN_REUSES),
    }


def _deals(cohort: Counts, met: list[int], referrals: int, known: dict[str, int]) -> dict[str, Any]:
    days = cohort.days_to_review
    return {
        "failure_transparency.failed_deals": count(cohort.failed),
        "failure_transparency.lessons_shared": count(known["lessons"]),
        "customer_outcomes.won_deals": count(cohort.won),
        "customer_outcomes.criteria_due": count(len(met)),
        "failure_transparency.review_rate": ratio(cohort.reviewed_in_window, cohort.failed, MIN_DEALS),
        "failure_transparency.median_days_to_review": figure(statistics.median(days) if days else None, len(days),
                                                             MIN_REVIEWED),
        "failure_transparency.lesson_reuse_rate": ratio(known["reused_lessons"], known["lessons"], MIN_ARTIFACTS),
        "customer_outcomes.criteria_defined_before_close": ratio(cohort.won_with_criteria, cohort.won, MIN_DEALS),
        "customer_outcomes.handed_off_with_criteria": ratio(cohort.won_handed_off, cohort.won, MIN_DEALS),
        "customer_outcomes.criteria_met_by_due": ratio(sum(met), len(met), MIN_CRITERIA),
        "customer_outcomes.referrals_made": count(referrals),
        **{f"collaboration.{k}": v for k, v in collaboration_counts(cohort.closed, cohort.collaborative,
                                                                    cohort.collaborative_won, cohort.solo_won).items()},
    }
