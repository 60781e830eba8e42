"""Needs attention: the next actions a team's figures point at, one item per deal (or help act).

Four rules (docs/dashboards.md, "Needs attention"), each a pure function of facts read from the
projection tables as of `now`:

- review: a lost or no-decision deal without a review, while the 14-day review window runs
  (`days_left` until it closes) and for `GRACE_DAYS` after it (negative `days_left`: overdue);
- buyer: an open deal heading to "all give, no get" (docs/metrics.md): the seller gave
  `ALL_GIVE_NO_GET_SELLER_GIVES - 1` or more times and the buyer never gave; with what to ask the
  buyer for next (the buyer-side exchanges not yet received); no deadline (`days_left` None);
- criterion: a success criterion of a won deal due within `CRITERIA_SOON_DAYS` (or overdue by up to
  `GRACE_DAYS`) with no result (met or missed) recorded yet;
- ack: help given or received by a member within the last `ACK_DAYS` (plus `GRACE_DAYS`) that its
  recipient has not acknowledged (the give/get balance and the helping network count acknowledged help only).

Items are ordered by urgency only: days left (overdue first, undated last), then the rule, then
the deal id; never by person or by any figure about a person. Who sees which item is
`for_person` (a person's own items) or the whole team's list (its manager); dashboards.access
decides which of the two a user gets.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

from .buyer import ALL_GIVE_NO_GET_SELLER_GIVES
from .common import REVIEW_WINDOW_DAYS, TS, closed_deals, every_team
from .views import OPEN_DEALS_SQL

GRACE_DAYS = 7
"""Items stay in the list this many days past their deadline, marked overdue, then drop out."""
CRITERIA_SOON_DAYS = 14
ACK_DAYS = 14
BUYER_ASKS = ("commitment", "decision_maker_access", "success_criteria", "mutual_plan")
"""Buyer-side exchanges to ask for, in the order a sale usually needs them (as on the Deals page)."""
KIND_ORDER = {"review": 0, "criterion": 1, "ack": 2, "buyer": 3}
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Item:
    kind: str  # review | buyer | criterion | ack
    team: str
    deal_id: str  # '' for help not given on a deal
    people: tuple[str, ...]  # whose action it is (owner, handoff recipient, help recipient and helper)
    days_left: int | None  # None: no deadline
    what: str  # one line, no names
    ask: tuple[str, ...] = field(default=())  # buyer items: what to ask the buyer for, first first
    ref: str = ""  # the help act or criterion id (stable item identity)

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days until `deadline` (0: it ends within a day; -1: it ended less than a day ago)."""
    return math.floor((deadline - now).total_seconds() / 86400)


def _utc(t: Any) -> datetime:
    t = t.to_pydatetime() if hasattr(t, "to_pydatetime") else t
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def review_items(team: str, failed: Iterable[dict], now: datetime) -> list[Item]:
    """failed: {deal_id, owner, outcome, closed_at, reviewed} for the team's lost/no-decision deals."""
    out = []
    for d in failed:
        if d["reviewed"] or d["outcome"] not in ("lost", "no_decision"):
            continue
        left = days_left(_utc(d["closed_at"]) + REVIEW_WINDOW_DAYS * DAY, now)
        if -GRACE_DAYS <= left <= REVIEW_WINDOW_DAYS:
            outcome = "lost" if d["outcome"] == "lost" else "closed without a decision"
            out.append(Item("review", team, d["deal_id"], (d["owner"],), left,
                            f"{outcome} on {_utc(d['closed_at']):%Y-%m-%d}, no review yet"))
    return out


def buyer_items(team: str, open_deals: Iterable[dict]) -> list[Item]:
    """open_deals: {deal_id, owner, seller_gave, buyer_gave, buyer_kinds} (lifetime exchanges up to now)."""
    out = []
    for d in open_deals:
        seller, buyer = int(d["seller_gave"]), int(d["buyer_gave"])
        if buyer or seller < ALL_GIVE_NO_GET_SELLER_GIVES - 1:
            continue
        kinds = set(d.get("buyer_kinds") or ())
        ask = tuple(a for a in BUYER_ASKS if a not in kinds)
        state = "all give, no get" if seller >= ALL_GIVE_NO_GET_SELLER_GIVES else \
            "one more seller give without a buyer give makes it all give, no get"
        out.append(Item("buyer", team, d["deal_id"], (d["owner"],), None,
                        f"seller gave {seller}, buyer gave nothing: {state}", ask))
    return out


def criterion_items(team: str, criteria: Iterable[dict], today: date) -> list[Item]:
    """criteria: {deal_id, criterion_id, description, due, owner, handed_to, has_result} of won deals."""
    out = []
    for c in criteria:
        if c["has_result"]:
            continue
        due = c["due"] if isinstance(c["due"], date) and not isinstance(c["due"], datetime) else _utc(c["due"]).date()
        left = (due - today).days
        if -GRACE_DAYS <= left <= CRITERIA_SOON_DAYS:
            people = tuple(p for p in (c["owner"], c.get("handed_to") or "") if p)
            out.append(Item("criterion", team, c["deal_id"], people, left,
                            f"success criterion '{c['description']}' due {due:%Y-%m-%d}, not met yet",
                            ref=c["criterion_id"]))
    return out


def ack_items(team: str, help_acts: Iterable[dict], now: datetime) -> list[Item]:
    """help_acts: {help_id, helper, recipient, kind, time, deal_id, acknowledged} given or received by members."""
    out = []
    for h in help_acts:
        if h["acknowledged"] or h["helper"] == h["recipient"]:
            continue
        given = _utc(h["time"])
        left = days_left(given + ACK_DAYS * DAY, now)
        if -GRACE_DAYS <= left <= ACK_DAYS:
            kind = str(h["kind"]).replace("_", " ")
            out.append(Item("ack", team, h.get("deal_id") or "", (h["recipient"], h["helper"]), left,
                            f"{kind} given on {given:%Y-%m-%d}, not acknowledged yet", ref=h["help_id"]))
    return out


def urgency(item: Item) -> tuple:
    """Sort key: overdue and soonest first, undated last; then the rule, the deal, the item. No person."""
    return (item.days_left is None, item.days_left if item.days_left is not None else 0,
            KIND_ORDER[item.kind], item.deal_id, item.ref)


def items(team: str, facts: dict[str, list[dict]], now: datetime) -> list[Item]:
    """Every item of the team from its facts (`team_facts`), most urgent first."""
    found = (review_items(team, facts.get("failed", []), now) + buyer_items(team, facts.get("open", []))
             + criterion_items(team, facts.get("criteria", []), now.date()) + ack_items(team, facts.get("help", []), now))
    return sorted(found, key=urgency)


def for_person(found: Iterable[Item], person: str) -> list[Item]:
    """The items that are the person's own to act on (or, for help they gave, to wait on)."""
    return [i for i in found if person in i.people]


def when(item: Item) -> str:
    """'3 days left', 'due today', 'overdue by 2 days', 'no deadline'."""
    d = item.days_left
    if d is None:
        return "no deadline"
    if d == 0:
        return "last day"
    if d < 0:
        return f"overdue by {-d} day{'s' if d < -1 else ''}"
    return f"{d} day{'s' if d > 1 else ''} left"


# ---- facts (I/O) -------------------------------------------------------------------------------

FAILED_IDS = f"SELECT deal_id FROM deal_closes WHERE time >= {{since:{TS}}} AND time < {{now:{TS}}}"
FAILED_SQL = f"""
SELECT c.deal_id AS deal_id, c.outcome AS outcome, c.closed_at AS closed_at, o.owner AS owner,
       toUInt8(ifNull(r.last_review >= c.closed_at, 0)) AS reviewed
FROM {closed_deals(FAILED_IDS)} AS c
LEFT JOIN (SELECT deal_id, argMaxIf(owner, time, owner != '') AS owner FROM deal_changes FINAL
           WHERE deal_id IN ({FAILED_IDS}) GROUP BY deal_id) AS o ON c.deal_id = o.deal_id
LEFT JOIN (SELECT deal_id, max(time) AS last_review FROM reviews FINAL
           WHERE deal_id IN ({FAILED_IDS}) AND time < {{now:{TS}}} GROUP BY deal_id) AS r ON c.deal_id = r.deal_id
WHERE c.team = {{team:String}} AND c.outcome IN ('lost', 'no_decision')
  AND c.closed_at >= {{since:{TS}}} AND c.closed_at < {{now:{TS}}}
ORDER BY deal_id
"""

CRITERIA_IDS = "SELECT deal_id FROM success_criteria WHERE due >= {from_day:Date} AND due <= {to_day:Date}"
CRITERIA_SQL = f"""
SELECT sc.deal_id AS deal_id, sc.criterion_id AS criterion_id, sc.description AS description, sc.due AS due,
       o.owner AS owner, ifNull(h.to_person, '') AS handed_to,
       toUInt8((sc.deal_id, sc.criterion_id) IN (SELECT deal_id, criterion_id FROM criterion_results FINAL
                                                 WHERE time < {{now:{TS}}})) AS has_result
FROM (SELECT deal_id, criterion_id, description, due FROM success_criteria FINAL
      WHERE due >= {{from_day:Date}} AND due <= {{to_day:Date}} AND time < {{now:{TS}}}) AS sc
INNER JOIN {closed_deals(CRITERIA_IDS)} AS cd ON sc.deal_id = cd.deal_id
LEFT JOIN (SELECT deal_id, argMaxIf(owner, time, owner != '') AS owner FROM deal_changes FINAL
           WHERE deal_id IN ({CRITERIA_IDS}) GROUP BY deal_id) AS o ON sc.deal_id = o.deal_id
LEFT JOIN (SELECT deal_id, argMax(to_person, time) AS to_person FROM handoffs FINAL
           WHERE deal_id IN ({CRITERIA_IDS}) AND time < {{now:{TS}}} GROUP BY deal_id) AS h ON sc.deal_id = h.deal_id
WHERE cd.outcome = 'won' AND cd.team = {{team:String}} AND cd.closed_at < {{now:{TS}}}
ORDER BY deal_id, criterion_id
"""

HELP_SQL = f"""
SELECT help_id, helper, recipient, kind, time, deal_id, toUInt8(acked = 1 AND ack_time < {{now:{TS}}}) AS acknowledged
FROM help_acts FINAL
WHERE time >= {{since:{TS}}} AND time < {{now:{TS}}}
  AND (helper_team = {{team:String}} OR recipient_team = {{team:String}})
ORDER BY time, help_id
"""

ONE_TEAM_SQL = {"failed": FAILED_SQL, "criteria": CRITERIA_SQL, "help": HELP_SQL, "open": OPEN_DEALS_SQL}
"""The fact queries the rules read, by fact, for one team (`{team:String}`), with `_windows`' parameters."""


ITEM_ROWS = {
    "failed": "reviewed = 0 AND outcome IN ('lost', 'no_decision')",
    "criteria": "has_result = 0",
    "help": "acknowledged = 0 AND helper != recipient",
    "open": f"buyer_gave = 0 AND seller_gave >= {ALL_GIVE_NO_GET_SELLER_GIVES - 1}",
}
"""Per fact, the rows a rule can make an item of (each rule's first test, `review_items`... `ack_items`):
the others stay in the engine. Most of a period's help is acknowledged and most open deals have buyer
gives, and turning every row into a Python record was most of an every-team refresh's time
(docs/benchmarks.md, "News without a tick"). The rules still test every condition themselves."""


def _item_rows(name: str, sql: str) -> str:
    return f"SELECT * FROM ({sql}) WHERE {ITEM_ROWS[name]}"


def _ts(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000")


def _records(store: Any, sql: str, params: dict[str, Any]) -> list[dict]:
    """The result's rows as plain records, as `to_dict("records")` gives them, built from whole columns
    (`tolist` converts a column at once; the records' own conversion, value by value, was most of an
    every-team refresh's time at 10M events: docs/benchmarks.md, "Fifth round")."""
    df = store.query_df(sql, params)
    names = [str(c) for c in df.columns]
    columns = [[str(v) if isinstance(v, str) else v for v in df[c].tolist()] for c in df.columns]
    return [dict(zip(names, row)) for row in zip(*columns)]


def _windows(now: datetime) -> dict[str, dict[str, Any]]:
    """Each fact query's time parameters as of `now` (the team parameter apart)."""
    return {"failed": {"now": _ts(now), "since": _ts(now - (REVIEW_WINDOW_DAYS + GRACE_DAYS + 1) * DAY)},
            "criteria": {"now": _ts(now), "from_day": (now.date() - GRACE_DAYS * DAY).isoformat(),
                         "to_day": (now.date() + CRITERIA_SOON_DAYS * DAY).isoformat()},
            "help": {"now": _ts(now), "since": _ts(now - (ACK_DAYS + GRACE_DAYS + 1) * DAY)},
            "open": {"end": _ts(now)}}  # the Deals page's open deals


def _buyer_kinds(open_deals: list[dict]) -> list[dict]:
    for d in open_deals:
        k = d.get("buyer_kinds")
        d["buyer_kinds"] = [str(x) for x in k] if k is not None and hasattr(k, "__iter__") else []
    return open_deals


def team_facts(store: Any, team: str, now: datetime) -> dict[str, list[dict]]:
    """What the rules read for the team as of `now` (plain records)."""
    facts = {name: _records(store, _item_rows(name, ONE_TEAM_SQL[name]), {**params, "team": team})
             for name, params in _windows(now).items()}
    facts["open"] = _buyer_kinds(facts["open"])
    return facts


def team_items(store: Any, team: str, now: datetime | None = None) -> list[Item]:
    now = now or datetime.now(timezone.utc)
    return items(team, team_facts(store, team, now), now)


# ---- every team at once: the same queries with the team filter turned into team columns -------------

def _tagged(sql: str, one_team: str, every_team_filter: str, select: str, team_columns: str) -> str:
    """`sql` for every team, its first column preceded by the team columns."""
    return every_team(sql, (one_team, every_team_filter),
                      (select, f"SELECT {team_columns}, {select[len('SELECT '):]}"))


_TEAM_FILTERS = {
    "failed": ("WHERE c.team = {team:String} AND", "WHERE c.team != '' AND", "WHERE c.team IN {only:Array(String)} AND",
               "SELECT c.deal_id AS deal_id", "c.team AS _team"),
    "criteria": ("cd.team = {team:String}", "cd.team != ''", "cd.team IN {only:Array(String)}",
                 "SELECT sc.deal_id AS deal_id", "cd.team AS _team"),
    "help": ("(helper_team = {team:String} OR recipient_team = {team:String})",
             "(helper_team != '' OR recipient_team != '')",
             "(helper_team IN {only:Array(String)} OR recipient_team IN {only:Array(String)})",
             "SELECT help_id", "helper_team AS _team, recipient_team AS _team2"),
    "open": ("WHERE d.team = {team:String}", "WHERE d.team != ''", "WHERE d.team IN {only:Array(String)}",
             "SELECT d.deal_id AS deal_id", "d.team AS _team"),
}
"""Each fact query's one-team filter, its every-team and its some-teams (`only`) forms, and the column
the team columns go before."""

ALL_TEAMS_SQL = {name: _tagged(ONE_TEAM_SQL[name], one, every, select, columns)
                 for name, (one, every, _, select, columns) in _TEAM_FILTERS.items()}
"""Each fact query of `team_facts` for every team, its rows tagged with their team (`_team`; a help
act also with the recipient's team, `_team2`: it belongs to both teams' lists), in the one-team
query's order."""

_SOME_DEALS = "deal_id IN (SELECT deal_id FROM deal_changes WHERE team IN {only:Array(String)})"
ONLY_TEAMS_SQL = {name: _tagged(ONE_TEAM_SQL[name], one, only, select, columns)
                  for name, (one, _, only, select, columns) in _TEAM_FILTERS.items()}
ONLY_TEAMS_SQL["open"] = every_team(
    ONLY_TEAMS_SQL["open"],
    ("FROM deal_changes FINAL WHERE time < {end:DateTime64(3, 'UTC')}",
     f"FROM deal_changes FINAL WHERE time < {{end:DateTime64(3, 'UTC')}} AND {_SOME_DEALS}"),
    ("FROM deal_exchanges FINAL WHERE time < {end:DateTime64(3, 'UTC')}",
     f"FROM deal_exchanges FINAL WHERE time < {{end:DateTime64(3, 'UTC')}} AND {_SOME_DEALS}"))
"""ALL_TEAMS_SQL for the teams `only`. An open deal's team is its latest, known after grouping its
changes: only deals that ever had one of the teams are grouped (the others cannot be theirs), instead
of every deal of the history."""


def all_team_facts(store: Any, teams: Iterable[str], now: datetime,
                   only: bool = False) -> dict[str, dict[str, list[dict]]]:
    """team -> `team_facts(store, team, now)` for every team of `teams`, four queries in all, not four per
    team; `only`: the queries read the rows of those teams only (else every team's)."""
    facts: dict[str, dict[str, list[dict]]] = {t: {name: [] for name in ALL_TEAMS_SQL} for t in teams}
    queries, some = (ONLY_TEAMS_SQL, {"only": sorted(facts)}) if only else (ALL_TEAMS_SQL, {})
    for name, params in _windows(now).items():
        for record in _records(store, _item_rows(name, queries[name]), {**params, **some}):
            owners = [record.pop("_team"), record.pop("_team2", "")]
            for i, team in enumerate(dict.fromkeys(t for t in owners if t)):
                if team in facts:
                    facts[team][name].append(record if i == 0 else dict(record))
    for team_facts_ in facts.values():
        team_facts_["open"] = _buyer_kinds(team_facts_["open"])
    return facts


def all_team_items(store: Any, teams: Iterable[str], now: datetime | None = None,
                   only: bool = False) -> dict[str, list[Item]]:
    """team -> `team_items(store, team, now)` for every team of `teams` (`only`: see `all_team_facts`)."""
    now = now or datetime.now(timezone.utc)
    return {team: items(team, facts, now) for team, facts in all_team_facts(store, teams, now, only).items()}
