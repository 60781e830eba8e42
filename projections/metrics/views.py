"""Detail queries the dashboards need beside the metric figures: who helped whom, deals, lessons.

Same rules as the metric modules: projection tables read with FINAL, every value bound as a
`{name:Type}` parameter, a person's team is their roster team at the time of the act, a deal's
team the team it carried then. Results are DataFrames with person ids; display names come from
`display_names`, so callers decide whether a view may show names at all (executives: never).
Nothing here orders people by a figure: rows are ordered by id or time.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .common import (
    IN_PERIOD,
    MEMBERSHIP,
    REVIEW_WINDOW_DAYS,
    TEAM_CLOSED_IN_PERIOD,
    TS,
    closes,
)
from .periods import Period
from .reciprocity import TEAM_HELP_SQL
from .rediscovery import WITHDRAWN_IDS
from .sharing import cohort_and_pairs

BUYER_ASKS = ("commitment", "decision_maker_access", "success_criteria", "mutual_plan")
"""Buyer-side exchanges a seller can ask for next, in the order a sale usually needs them."""


def _params(team: str, period: str) -> dict[str, Any]:
    return {**Period.of(period).params(), "team": team}


TEAM_ROSTER_SQL = f"""
SELECT m.person AS person, any(n.display_name) AS display_name, any(n.role) AS role
FROM {MEMBERSHIP} AS m
LEFT JOIN (SELECT person, argMax(display_name, time) AS display_name, argMax(role, time) AS role
           FROM roster_changes FINAL WHERE change = 'joined' GROUP BY person) AS n ON m.person = n.person
WHERE m.team = {{team:String}} AND m.until > m.since AND m.since < {{end:{TS}}} AND m.until > {{start:{TS}}}
GROUP BY m.person
ORDER BY m.person
"""


def team_roster(store: Any, team: str, period: str) -> pd.DataFrame:
    """Members of the team at any time in the period: person, display_name, role (by person id)."""
    return store.query_df(TEAM_ROSTER_SQL, _params(team, period))


DISPLAY_NAMES_SQL = """
SELECT person, argMax(display_name, time) AS display_name FROM roster_changes FINAL
WHERE change = 'joined' GROUP BY person ORDER BY person
"""


def display_names(store: Any, people: list[str] | None = None) -> dict[str, str]:
    """person id -> latest display name (the id itself when the roster does not name them).

    The roster is small (people, not events), so the whole map is read and filtered here.
    """
    df = store.query_df(DISPLAY_NAMES_SQL)
    names = {str(p): str(n) for p, n in zip(df.get("person", []), df.get("display_name", [])) if n}
    if people is None:
        return names
    return {str(p): names.get(str(p), str(p)) for p in people if p}


CURRENT_TEAM_SQL = """
SELECT argMax(team_after, (time, source, event_id)) AS team FROM roster_changes FINAL WHERE person = {person:String}
"""


def current_team(store: Any, person: str) -> str:
    """The person's team now ('' if they left or are unknown)."""
    return str(store.query_scalar(CURRENT_TEAM_SQL, {"person": person}) or "")


def team_help(store: Any, team: str, period: str) -> pd.DataFrame:
    """Acknowledged help acts of the period touching the team: helper, recipient, and each one's team
    at the time (the rows `reciprocity.team` counts); `help_edges` and `help_balance` derive from it."""
    return store.query_df(TEAM_HELP_SQL, _params(team, period))


def help_edges(store: Any, team: str, period: str, acts: pd.DataFrame | None = None) -> pd.DataFrame:
    """The team's helping network: directed ties helper -> recipient (both in the team at the time) with
    acknowledged acts, ordered by helper and recipient. `acts`: `team_help`'s result, if already read."""
    acts = team_help(store, team, period) if acts is None else acts
    return edges_frame((h, r) for h, r, ht, rt in _act_rows(acts) if ht == team and rt == team)


def help_balance(store: Any, team: str, period: str, acts: pd.DataFrame | None = None,
                 members: pd.DataFrame | None = None) -> pd.DataFrame:
    """Acknowledged help given (as a member) and received (as a member) per member, zero rows for
    members with none, ordered by person. `acts`: `team_help`'s result, `members`: `team_roster`'s,
    if already read."""
    acts = team_help(store, team, period) if acts is None else acts
    members = store.query_df(TEAM_ROSTER_SQL, _params(team, period)) if members is None else members
    rows = _act_rows(acts)
    return balance_frame(members.get("person", []), Counter(h for h, _, ht, _ in rows if ht == team),
                         Counter(r for _, r, _, rt in rows if rt == team))


def _act_rows(acts: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """`team_help` rows as (helper, recipient, helper's team, recipient's team) strings."""
    if acts.empty:
        return []
    return [(str(h), str(r), str(ht), str(rt)) for h, r, ht, rt in zip(
        acts["helper"].tolist(), acts["recipient"].tolist(), acts["helper_team"].tolist(),
        acts["recipient_team"].tolist())]


def edges_frame(ties: Iterable[tuple[str, str]] | Counter) -> pd.DataFrame:
    """(helper, recipient) per act, or a Counter of acts per (helper, recipient) -> one row per directed tie
    with its acts, ordered (pure; Team live's one-team and all-teams views both build their network with it)."""
    counts = sorted((ties if isinstance(ties, Counter) else Counter(ties)).items())
    return pd.DataFrame({"helper": [h for (h, _), _ in counts], "recipient": [r for (_, r), _ in counts],
                         "acts": np.array([n for _, n in counts], dtype=np.int64)})


def balance_frame(members: Iterable[Any], given: Counter, received: Counter) -> pd.DataFrame:
    """Help given and received per person: every member (zero rows too) and anyone who gave or received
    as a member, ordered by person (pure)."""
    people = sorted({str(p) for p in members} | set(given) | set(received))
    return pd.DataFrame({"person": people, "given": np.array([given.get(p, 0) for p in people], dtype=np.int64),
                         "received": np.array([received.get(p, 0) for p in people], dtype=np.int64)})


def knowledge_by_kind(store: Any, team: str, period: str) -> pd.DataFrame:
    """Artifacts the team shared in the period by kind: shared, reused (30 days), reuses, cross-team."""
    artifacts, pairs = cohort_and_pairs(store, _params(team, period))
    return by_kind(artifacts, pairs, team)


BY_KIND_COLUMNS = ["kind", "shared", "reused", "reuses", "cross_team_reuses"]


def by_kind(artifacts: list[tuple[str, str]], pairs: list[tuple[str, str, str, str]], team: str) -> pd.DataFrame:
    """`knowledge_by_kind` of the team's artifacts `(id, kind)` and reuse pairs `(id, user, kind, user_team)`."""
    rows: dict[str, dict[str, int]] = {}
    for _, kind in artifacts:
        rows.setdefault(kind, {"shared": 0, "reused": 0, "reuses": 0, "cross_team_reuses": 0})["shared"] += 1
    reused = {(a, k) for a, _, k, _ in pairs}
    for _, kind in reused:
        rows[kind]["reused"] += 1
    for _, _, kind, user_team in pairs:
        rows[kind]["reuses"] += 1
        rows[kind]["cross_team_reuses"] += user_team != team
    return by_kind_counts([(k, *v.values()) for k, v in sorted(rows.items())])


def by_kind_counts(rows: list[tuple]) -> pd.DataFrame:
    """`by_kind`'s frame of counts already made per kind: (kind, shared, reused, reuses, cross_team_reuses),
    sorted by kind (`trends.Knowledge.by_kind`)."""
    return pd.DataFrame([dict(zip(BY_KIND_COLUMNS, r)) for r in rows], columns=BY_KIND_COLUMNS)


FAILED_SQL = f"""
SELECT deal_id, outcome, closed_at FROM {TEAM_CLOSED_IN_PERIOD}
WHERE outcome IN ('lost', 'no_decision') ORDER BY closed_at, deal_id
"""
FAILED_REVIEWS_SQL = f"""
SELECT deal_id, time FROM reviews FINAL
WHERE deal_id IN (SELECT deal_id FROM {TEAM_CLOSED_IN_PERIOD} WHERE outcome IN ('lost', 'no_decision'))
"""


def failed_deal_reviews(store: Any, team: str, period: str) -> pd.DataFrame:
    """Lost and no-decision deals closed in the period: days to the first review at/after close (NaN: none)."""
    params = _params(team, period)
    return failed_rows(store.query_df(FAILED_SQL, params), store.query_df(FAILED_REVIEWS_SQL, params))


def failed_rows(deals: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """`failed_deal_reviews` of the failed deals (deal_id, outcome, closed_at) and their reviews (deal_id, time)."""
    by_deal: dict[str, list[Any]] = {}
    for d, t in zip(reviews.get("deal_id", []), reviews.get("time", [])):
        by_deal.setdefault(str(d), []).append(t)
    columns: dict[str, list[Any]] = {"deal_id": [], "outcome": [], "closed_at": [], "days_to_review": [],
                                     "reviewed_in_window": []}
    for d, outcome, closed_at in zip(deals.get("deal_id", []), deals.get("outcome", []), deals.get("closed_at", [])):
        after = [t for t in by_deal.get(str(d), []) if t >= closed_at]
        days = (min(after) - closed_at).total_seconds() / 86400 if after else float("nan")
        for name, value in zip(columns, (str(d), str(outcome), closed_at, days,
                                         bool(after) and days <= REVIEW_WINDOW_DAYS)):
            columns[name].append(value)
    # built by column, not from a dict per row: cheaper, and a snapshot builds it for every team page open
    return pd.DataFrame(columns) if columns["deal_id"] else pd.DataFrame(columns=list(columns))


LESSONS_SQL = f"""
SELECT time, kind, title, author FROM artifacts FINAL
WHERE {IN_PERIOD} AND kind IN ('war_story', 'lesson') AND author_team = {{team:String}}
ORDER BY time DESC, artifact_id
LIMIT {{limit:UInt32}}
"""


def recent_lessons(store: Any, team: str, period: str, limit: int = 8) -> pd.DataFrame:
    """The team's newest war stories and lessons of the period (time, kind, title, author id)."""
    return store.query_df(LESSONS_SQL, {**_params(team, period), "limit": limit})


OPEN_DEALS_SQL = f"""
SELECT d.deal_id AS deal_id, d.owner AS owner, d.stage AS stage, d.account AS account, d.opened_at AS opened_at,
       toInt64(x.seller_gave) AS seller_gave, toInt64(x.buyer_gave) AS buyer_gave, x.buyer_kinds AS buyer_kinds
FROM (SELECT deal_id, argMaxIf(team, time, team != '') AS team, argMaxIf(owner, time, owner != '') AS owner,
             argMaxIf(stage, time, stage != '') AS stage, argMaxIf(account, time, account != '') AS account,
             min(time) AS opened_at
      FROM deal_changes FINAL WHERE time < {{end:{TS}}} GROUP BY deal_id) AS d
LEFT JOIN (SELECT deal_id, countIf(direction = 'seller_gave') AS seller_gave,
                  countIf(direction = 'buyer_gave') AS buyer_gave,
                  groupUniqArrayIf(kind, direction = 'buyer_gave') AS buyer_kinds
           FROM deal_exchanges FINAL WHERE time < {{end:{TS}}} GROUP BY deal_id) AS x ON d.deal_id = x.deal_id
WHERE d.team = {{team:String}}
  AND d.deal_id NOT IN (SELECT deal_id FROM deal_closes FINAL WHERE time < {{end:{TS}}})
ORDER BY d.deal_id
"""


def open_deals(store: Any, team: str, period: str) -> pd.DataFrame:
    """The team's deals open at the end of the period, with lifetime buyer/seller exchanges up to then.

    Adds `all_give_no_get` (3+ seller gives, no buyer give) and `ask_next`: the buyer-side
    exchanges (commitment, decision-maker access, success criteria, mutual plan) not yet received.
    """
    return open_deals_frame(store.query_df(OPEN_DEALS_SQL, _params(team, period)))


def open_deals_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`open_deals` of the rows of OPEN_DEALS_SQL (of one team or, with a team column, of several). Pure."""
    from .buyer import flagged

    if df.empty:
        return pd.DataFrame(columns=[*(["team"] if "team" in df.columns else []), "deal_id", "owner", "stage",
                                     "account", "opened_at", "seller_gave", "buyer_gave", "buyer_kinds",
                                     "all_give_no_get", "ask_next"])
    df = df.assign(seller_gave=df["seller_gave"].fillna(0).astype("int64"),
                   buyer_gave=df["buyer_gave"].fillna(0).astype("int64"))
    kinds = [set(k) if isinstance(k, (list, tuple)) or hasattr(k, "__iter__") else set() for k in df["buyer_kinds"]]
    df["buyer_kinds"] = [sorted(str(x) for x in k) for k in kinds]
    df["all_give_no_get"] = [flagged(int(s), int(b)) for s, b in zip(df["seller_gave"], df["buyer_gave"])]
    df["ask_next"] = [[a for a in BUYER_ASKS if a not in k] for k in df["buyer_kinds"]]
    return df.reset_index(drop=True)


WITHDRAWN_SQL = f"""
SELECT deal_id, proposal_id, time AS withdrawn_at, reason
FROM withdrawal_teams FINAL WHERE {IN_PERIOD} AND team = {{team:String}}
ORDER BY withdrawn_at, deal_id, proposal_id
"""


def withdrawn_followup_sql(ids: str, only: str = WITHDRAWN_IDS) -> str:
    """The rediscoveries and closes (deal_id, time, outcome, what) of the deals the query `ids` lists;
    `only`: a query of a cheap superset of them that the closes are read for (`common.closes`)."""
    return f"""
SELECT deal_id, time, '' AS outcome, 'rediscovery' AS what
FROM rediscoveries FINAL WHERE deal_id IN ({ids})
UNION ALL
SELECT c.deal_id AS deal_id, c.closed_at AS time, c.outcome AS outcome, 'close' AS what
FROM {closes(only)} AS c WHERE c.deal_id IN ({ids})
"""


WITHDRAWN_FOLLOWUP_SQL = withdrawn_followup_sql(f"SELECT deal_id FROM ({WITHDRAWN_SQL})")


def withdrawn_proposals(store: Any, team: str, period: str) -> pd.DataFrame:
    """Proposals the team withdrew in the period and what became of them.

    `restarted`: a rediscovery at or after the withdrawal; `end`: the deal's close outcome or 'open'.
    """
    params = _params(team, period)
    df = store.query_df(WITHDRAWN_SQL, params)
    return withdrawn_frame(df, store.query_df(WITHDRAWN_FOLLOWUP_SQL, params) if not df.empty else None)


WITHDRAWN_COLUMNS = ["deal_id", "proposal_id", "withdrawn_at", "reason", "restarted", "end"]


def withdrawn_frame(df: pd.DataFrame, follow: pd.DataFrame | None) -> pd.DataFrame:
    """`withdrawn_proposals` of the rows of WITHDRAWN_SQL (with a team column: of several teams, which
    it keeps) and of their follow-up rows (`withdrawn_followup_sql`). Pure."""
    cols = [*(["team"] if "team" in df.columns else []), *WITHDRAWN_COLUMNS]
    if df.empty:
        return pd.DataFrame(columns=cols)
    restarts: dict[str, list[Any]] = {}
    ends: dict[str, str] = {}
    for d, t, outcome, what in zip(follow.get("deal_id", []), follow.get("time", []), follow.get("outcome", []),
                                   follow.get("what", [])):
        if what == "rediscovery":
            restarts.setdefault(str(d), []).append(t)
        else:
            ends[str(d)] = str(outcome)
    df["restarted"] = [any(t >= w for t in restarts.get(str(d), [])) for d, w in zip(df["deal_id"], df["withdrawn_at"])]
    df["end"] = [ends.get(str(d), "open") for d in df["deal_id"]]
    return df[cols]


COLLABORATOR_ROLES_SQL = f"""
SELECT role, toInt64(uniqExact(deal_id, person)) AS collaborators, toInt64(uniqExact(deal_id)) AS deals
FROM deal_collaborators FINAL WHERE deal_id IN (SELECT deal_id FROM {TEAM_CLOSED_IN_PERIOD})
GROUP BY role ORDER BY role
"""


def collaborator_roles(store: Any, team: str, period: str) -> pd.DataFrame:
    """Who was brought onto the team's deals closed in the period, by role (collaborators, deals)."""
    return store.query_df(COLLABORATOR_ROLES_SQL, _params(team, period))


DATA_SPAN_SQL = """
SELECT min(time) AS first, max(time) AS last, toInt64(count()) AS events FROM events
WHERE type NOT LIKE 'teamflow.roster.%'
"""


def data_span(store: Any) -> tuple[Any, Any] | None:
    """(first, last) event time over the non-roster events, or None when nothing is stored yet."""
    df = store.query_df(DATA_SPAN_SQL)
    if df.empty or int(df["events"].iloc[0]) == 0:
        return None
    first, last = df["first"].iloc[0], df["last"].iloc[0]
    return pd.Timestamp(first).to_pydatetime(), pd.Timestamp(last).to_pydatetime()


__all__ = [
    "BUYER_ASKS",
    "collaborator_roles",
    "current_team",
    "data_span",
    "display_names",
    "failed_deal_reviews",
    "help_balance",
    "help_edges",
    "knowledge_by_kind",
    "open_deals",
    "recent_lessons",
    "team_roster",
    "withdrawn_proposals",
]
