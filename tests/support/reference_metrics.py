"""Independent oracle: every team metric computed in plain Python from the event dicts.

No SQL and no projections code: this reads the CloudEvents as parsed JSON (`json.loads` of the
bytes) and applies the definitions of docs/metrics.md directly, so the integration test can
check the projection tables + SQL against a second, simple implementation.
"""
from __future__ import annotations

import re
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterable

DAY_MS = 86_400_000
FAR = 10**15
MS_PER_MONTH = 30.4375 * DAY_MS
CAP = 3
MIN = dict(
    ties=5, members=3, ex_team=10, ex_deal=3, deals=5, pm=1.0, artifacts=5, reuses=5, reviewed=3,
    withdrawn=3, restart_closed=3, criteria=5, recognitions=5,
)
REASONS = ("helping", "sharing", "failure_transparency", "customer_outcome", "result")


# ---------------------------------------------------------------- helpers
def _ms(text: str) -> int:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


def _period(s: str) -> tuple[datetime, datetime]:
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", s):
        y, q = int(m[1]), int(m[2])
        a = date(y, 3 * q - 2, 1)
        b = date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    elif m := re.fullmatch(r"(\d{4})-W(\d{2})", s):
        a = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        b = a + timedelta(days=7)
    elif m := re.fullmatch(r"(\d{4})-(\d{2})", s):
        y, mo = int(m[1]), int(m[2])
        a = date(y, mo, 1)
        b = date(y + (mo == 12), 1 if mo == 12 else mo + 1, 1)
    else:
        a = date.fromisoformat(s)
        b = a + timedelta(days=1)
    return (datetime(a.year, a.month, a.day, tzinfo=timezone.utc), datetime(b.year, b.month, b.day, tzinfo=timezone.utc))


def _fig(value: Any, sample: Any, minimum: Any = 0) -> dict[str, Any]:
    bad = sample < minimum or value is None
    return {"value": None if bad else value, "sample": sample, "min_sample": minimum, "insufficient": bad}


def _count(n: int) -> dict[str, Any]:
    return _fig(n, n, 0)


def _ratio(num: float, den: int, minimum: int) -> dict[str, Any]:
    return _fig(num / den if den else None, den, minimum)


class _History:
    """The event log reduced the way the definitions need it (dedup by (source, id))."""

    def __init__(self, events: Iterable[dict[str, Any]]) -> None:
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for e in events:
            seen[(e["source"], e["id"])] = e
        self.by_type: dict[str, list[tuple[int, str, str, dict]]] = defaultdict(list)
        for e in seen.values():
            self.by_type[e["type"].removeprefix("teamflow.")].append((_ms(e["time"]), e["source"], e["id"], e["data"]))
        for v in self.by_type.values():
            v.sort(key=lambda x: (x[0], x[1], x[2]))
        # roster: per person, changes in order -> team after
        self.roster: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
        for t, s, i, d in self.by_type["roster.member_joined"]:
            self.roster[d["person"]].append((t, s, i, d["team"]))
        for t, s, i, d in self.by_type["roster.member_left"]:
            self.roster[d["person"]].append((t, s, i, ""))
        for v in self.roster.values():
            v.sort()
        self.deal_teams: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)
        self.owners: dict[str, set[str]] = defaultdict(set)
        for kind in ("deal.opened", "deal.stage_changed"):
            for t, s, i, d in self.by_type[kind]:
                if d.get("team"):
                    self.deal_teams[d["deal_id"]].append((t, s, i, d["team"]))
                if d.get("owner"):
                    self.owners[d["deal_id"]].add(d["owner"])
        for v in self.deal_teams.values():
            v.sort()
        self.closes: dict[str, tuple[int, str]] = {}
        for t, s, i, d in self.by_type["deal.closed"]:  # sorted: the last one wins
            self.closes[d["deal_id"]] = (t, d["outcome"])

    def latest(self, type_: str, *key: str) -> dict[tuple, tuple[int, dict]]:
        out: dict[tuple, tuple[int, dict]] = {}
        for t, _, _, d in self.by_type[type_]:
            out[tuple(d[k] for k in key)] = (t, d)
        return out

    def team_at(self, person: str, t: int) -> str:
        team = ""
        for since, _, _, after in self.roster.get(person, []):
            if since <= t:
                team = after
        return team

    def deal_team_at(self, deal: str, t: int) -> str:
        changes = self.deal_teams.get(deal, [])
        if not changes:
            return ""
        team = changes[0][3]
        for since, _, _, tm in changes:
            if since <= t:
                team = tm
        return team

    def members(self, team: str, a: int, b: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for person, changes in self.roster.items():
            for k, (since, _, _, after) in enumerate(changes):
                until = changes[k + 1][0] if k + 1 < len(changes) else FAR
                if after == team and until > since and since < b and until > a:
                    out[person] = out.get(person, 0) + min(until, b) - max(since, a)
        return out


# ---------------------------------------------------------------- metrics
def reference_team_metrics(events: Iterable[dict[str, Any]], team: str, period: str, history: _History | None = None) -> dict[str, Any]:
    h = history if history is not None else index_events(events)
    start, end = _period(period)
    a = (start - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    b = (end - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
    inside = lambda t: a <= t < b  # noqa: E731
    members = h.members(team, a, b)

    # reciprocity
    acks = h.latest("help.acknowledged", "help_id", "recipient")
    acts = []
    for (hid,), (t, d) in h.latest("help.given", "help_id").items():
        if not inside(t) or d["helper"] == d["recipient"]:
            continue
        ack = acks.get((hid, d["recipient"]))
        if ack and ack[1]["useful"]:
            acts.append((d["helper"], d["recipient"], h.team_at(d["helper"], t), h.team_at(d["recipient"], t)))
    acts = [x for x in acts if x[2] == team or x[3] == team]
    ties = {(x[0], x[1]) for x in acts if x[2] == team and x[3] == team}
    n = len(members)
    tied = {p for tie in ties for p in tie}
    reciprocity = {
        "reciprocity_index": _ratio(sum((j, i) in ties for i, j in ties), len(ties), MIN["ties"]),
        "density": _fig(len(ties) / (n * (n - 1)) if n > 1 else None, n, MIN["members"]),
        "isolates": _fig(len([p for p in members if p not in tied]), n, MIN["members"]),
        "ties": _count(len(ties)),
        "members": _count(n),
        "acknowledged_help_given": _count(sum(x[2] == team for x in acts)),
        "acknowledged_help_received": _count(sum(x[3] == team for x in acts)),
        "help_within_team": _count(sum(x[2] == team and x[3] == team for x in acts)),
        "help_to_other_teams": _count(sum(x[2] == team and x[3] != team for x in acts)),
        "help_from_other_teams": _count(sum(x[2] != team and x[3] == team for x in acts)),
    }

    # buyer reciprocity
    per_deal: dict[str, list[int]] = {}
    for t, _, _, d in h.by_type["deal.exchange"]:
        if inside(t):
            x = per_deal.setdefault(d["deal_id"], [0, 0, 0])
            x[0 if d["direction"] == "seller_gave" else 1] += 1
            x[2] = max(x[2], t)
    deals = []
    for deal in sorted(per_deal):
        seller, buyer, last = per_deal[deal]
        if h.deal_team_at(deal, last) != team:
            continue
        deals.append({"deal_id": deal, "seller_gave": seller, "buyer_gave": buyer,
                      "buyer_share": _ratio(buyer, seller + buyer, MIN["ex_deal"]),
                      "all_give_no_get": seller >= 3 and buyer == 0})
    flagged = sum(x["all_give_no_get"] for x in deals)
    buyer = {
        "buyer_share": _ratio(sum(x["buyer_gave"] for x in deals),
                              sum(x["buyer_gave"] + x["seller_gave"] for x in deals), MIN["ex_team"]),
        "deals_with_exchanges": _count(len(deals)),
        "all_give_no_get": _count(flagged),
        "all_give_no_get_share": _ratio(flagged, len(deals), MIN["deals"]),
        "deals": deals,
    }

    # information sharing
    artifacts = {}
    for (art,), (t, d) in h.latest("knowledge.shared", "artifact_id").items():
        if inside(t) and h.team_at(d["author"], t) == team:
            artifacts[art] = (t, d["author"], d["kind"])
    first_reuse: dict[tuple[str, str], int] = {}
    for t, _, _, d in h.by_type["knowledge.reused"]:
        art = artifacts.get(d["artifact_id"])
        if art and d["user"] != art[1] and art[0] <= t <= art[0] + 30 * DAY_MS:
            key = (d["artifact_id"], d["user"])
            first_reuse[key] = min(t, first_reuse.get(key, t))
    pairs = [(art, user, artifacts[art][2], h.team_at(user, t)) for (art, user), t in first_reuse.items()]
    pm = sum(members.values()) / MS_PER_MONTH
    cross = sum(p[3] != team for p in pairs)
    sharing = {
        "artifacts_shared": _count(len(artifacts)),
        "person_months": _fig(pm, pm, 0),
        "artifacts_per_person_month": _fig(len(artifacts) / pm if pm else None, pm, MIN["pm"]),
        "reuse_rate": _ratio(len({p[0] for p in pairs}), len(artifacts), MIN["artifacts"]),
        "reach": _count(len({p[1] for p in pairs})),
        "reuses": _count(len(pairs)),
        "cross_team_reuses": _count(cross),
        "cross_team_reuse_share": _ratio(cross, len(pairs), MIN["reuses"]),
    }

    # closed-deal cohort
    cohort = {deal: (t, o) for deal, (t, o) in h.closes.items() if inside(t) and h.deal_team_at(deal, t) == team}
    reviews: dict[str, list[int]] = defaultdict(list)
    for _, (t, d) in h.latest("review.published", "review_id").items():
        reviews[d["deal_id"]].append(t)
    failed = {d: t for d, (t, o) in cohort.items() if o in ("lost", "no_decision")}
    in_window, days = 0, []
    for deal, closed in failed.items():
        after = [t for t in reviews.get(deal, []) if t >= closed]
        if after:
            days.append((min(after) - closed) / DAY_MS)
            in_window += min(after) - closed <= 14 * DAY_MS
    lessons = {x for x, v in artifacts.items() if v[2] in ("lesson", "war_story")}
    lesson_pairs = [p for p in pairs if p[0] in lessons]
    failure = {
        "failed_deals": _count(len(failed)),
        "review_rate": _ratio(in_window, len(failed), MIN["deals"]),
        "median_days_to_review": _fig(statistics.median(days) if days else None, len(days), MIN["reviewed"]),
        "war_stories_shared": _count(sum(v[2] == "war_story" for v in artifacts.values())),
        "lessons_shared": _count(len(lessons)),
        "lesson_reuse_rate": _ratio(len({p[0] for p in lesson_pairs}), len(lessons), MIN["artifacts"]),
        "lesson_reuses": _count(len(lesson_pairs)),
    }

    collab_times: dict[str, list[int]] = defaultdict(list)
    for t, _, _, d in h.by_type["deal.collaborator_added"]:
        if d["person"] not in h.owners.get(d["deal_id"], set()):
            collab_times[d["deal_id"]].append(t)
    collaborative = {d for d, (t, _) in cohort.items() if any(x <= t for x in collab_times.get(d, []))}
    solo = set(cohort) - collaborative
    won = {d for d, (_, o) in cohort.items() if o == "won"}
    collaboration = {
        "closed_deals": _count(len(cohort)),
        "collaborative_share": _ratio(len(collaborative), len(cohort), MIN["deals"]),
        "win_rate_collaborative": _ratio(len(collaborative & won), len(collaborative), MIN["deals"]),
        "win_rate_solo": _ratio(len(solo & won), len(solo), MIN["deals"]),
    }

    criteria = h.latest("outcome.criteria_defined_flat", "deal_id", "criterion_id")
    crit_first: dict[str, int] = {}
    for (deal, _), (t, _) in criteria.items():
        crit_first[deal] = min(t, crit_first.get(deal, t))
    handed = {d["deal_id"] for _, _, _, d in h.by_type["outcome.handoff_completed"] if d["criteria_transferred"]}
    met_first: dict[tuple[str, str], int] = {}
    for t, _, _, d in h.by_type["outcome.criterion_met"]:
        key = (d["deal_id"], d["criterion_id"])
        met_first[key] = min(t, met_first.get(key, t))
    due_flags = []
    for (deal, cid), (_, c) in criteria.items():
        due = date.fromisoformat(c["due"])
        if not (start.date() <= due < end.date()):
            continue
        close = h.closes.get(deal)
        if not close or close[1] != "won" or h.deal_team_at(deal, close[0]) != team:
            continue
        due_end = (datetime(due.year, due.month, due.day, tzinfo=timezone.utc) + timedelta(days=1)
                   - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)
        due_flags.append((deal, cid) in met_first and met_first[(deal, cid)] < due_end)
    referrals = sum(1 for t, _, _, d in h.by_type["referral.made"] if inside(t) and h.team_at(d["referrer"], t) == team)
    outcomes = {
        "won_deals": _count(len(won)),
        "criteria_defined_before_close": _ratio(
            sum(1 for d in won if d in crit_first and crit_first[d] <= cohort[d][0]), len(won), MIN["deals"]),
        "handed_off_with_criteria": _ratio(sum(1 for d in won if d in handed), len(won), MIN["deals"]),
        "criteria_due": _count(len(due_flags)),
        "criteria_met_by_due": _ratio(sum(due_flags), len(due_flags), MIN["criteria"]),
        "referrals_made": _count(referrals),
    }

    # proposal rediscovery
    withdrawn: dict[str, list[int]] = defaultdict(list)
    for (deal, _), (t, _) in h.latest("proposal.withdrawn", "deal_id", "proposal_id").items():
        if inside(t) and h.deal_team_at(deal, t) == team:
            withdrawn[deal].append(t)
    restarts: dict[str, list[int]] = defaultdict(list)
    for t, _, _, d in h.by_type["deal.rediscovery_started"]:
        restarts[d["deal_id"]].append(t)
    outcomes_keys = ("won", "lost", "no_decision", "open")
    ends = {"restarted": dict.fromkeys(outcomes_keys, 0), "not_restarted": dict.fromkeys(outcomes_keys, 0)}
    for deal, times in withdrawn.items():
        group = "restarted" if any(t >= min(times) for t in restarts.get(deal, [])) else "not_restarted"
        ends[group][h.closes[deal][1] if deal in h.closes else "open"] += 1
    restarted = sum(ends["restarted"].values())
    rediscovery = {
        "withdrawn_proposals": _count(sum(len(v) for v in withdrawn.values())),
        "deals_with_withdrawal": _count(len(withdrawn)),
        "restarted_discovery": _count(restarted),
        "restart_rate": _ratio(restarted, len(withdrawn), MIN["withdrawn"]),
        "win_rate_after_restart": _ratio(ends["restarted"]["won"], restarted - ends["restarted"]["open"],
                                         MIN["restart_closed"]),
        "ends": ends,
    }

    # recognition
    per_pair: dict[tuple[str, str], list[tuple[int, dict]]] = defaultdict(list)
    for t, _, _, d in h.by_type["recognition.given"]:  # sorted by (time, source, id)
        if inside(t) and d["giver"] != d["receiver"]:
            per_pair[(d["giver"], d["receiver"])].append((t, d))
    by_reason: dict[str, int] = defaultdict(int)
    for items in per_pair.values():
        for t, d in items[:CAP]:
            if h.team_at(d["giver"], t) == team:
                by_reason[d["reason"]] += 1
    total = sum(by_reason.values())
    recognition = {
        "cap_per_giver_receiver": CAP,
        "recognitions": _count(total),
        "by_reason": {r: by_reason.get(r, 0) for r in REASONS},
        "helping_sharing_failure_share": _ratio(
            by_reason["helping"] + by_reason["sharing"] + by_reason["failure_transparency"], total, MIN["recognitions"]),
        "customer_outcome_share": _ratio(by_reason["customer_outcome"], total, MIN["recognitions"]),
        "result_share": _ratio(by_reason["result"], total, MIN["recognitions"]),
    }

    return {
        "team": team,
        "period": {"label": period, "start": start.isoformat(), "end": end.isoformat()},
        "reciprocity": reciprocity,
        "buyer_reciprocity": buyer,
        "information_sharing": sharing,
        "failure_transparency": failure,
        "proposal_rediscovery": rediscovery,
        "collaboration": collaboration,
        "customer_outcomes": outcomes,
        "recognition": recognition,
    }


def index_events(events: Iterable[dict[str, Any]]) -> _History:
    """Index the events once when computing many (team, period) pairs."""
    events = list(events)
    flat = []
    for e in events:
        flat.append(e)
        if e["type"] == "teamflow.outcome.criteria_defined":
            for k, c in enumerate(e["data"]["criteria"]):
                flat.append({**e, "type": "teamflow.outcome.criteria_defined_flat", "id": f"{e['id']}#{k}",
                             "data": {"deal_id": e["data"]["deal_id"], **c}})
    return _History(flat)


def reference_teams(events: Iterable[dict[str, Any]]) -> list[str]:
    out = set()
    for e in events:
        if e["type"] in ("teamflow.roster.member_joined", "teamflow.roster.member_left", "teamflow.deal.opened",
                         "teamflow.deal.stage_changed") and e["data"].get("team"):
            out.add(e["data"]["team"])
    return sorted(out)
