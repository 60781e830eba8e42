"""A seeded, pure simulator of a plausible sales organisation, as CloudEvents.

`simulate(seed, n_events, start=...)` yields `(kafka_key, event_bytes)`: the key is the team the
event concerns (Kafka partitions by team), the value one structured-mode CloudEvent as JSON.
Deterministic: the bytes depend only on (seed, n_events, start, teams, days): one
`random.Random(seed)`, ids numbered in log order, no clock, no I/O. Event types, versions and
enumerations come from the contract (schemas.catalog, schemas.events), so the simulator cannot
drift from it; the JSON is built with `json.dumps` here.

`demo_stream(seed, backlog, now=...)` is the demo's organisation in the present: a history of
about `backlog` events over the `days` before `now`, then an open-ended future (the lifecycles
the history started and new episodes, `episodes_per_day` as in the history), numbered from 0 and
prefix-stable (asking for more never changes the first ones). `streams.demo` produces it.

The organisation: `teams` teams of 6-12 people (a manager, reps, sales engineers, customer
success), each with habits: generous helpers and takers, people who acknowledge help and
people who don't, sharers, people who bring failures into the open and people who hide them,
recognisers of collaboration and recognisers of results. Deals run full lifecycles: opened,
stage changes, exchanges with buyers who give commitments and buyers who don't, proposals
sent and withdrawn, rediscovery, collaborators, close (won/lost/no decision), reviews, criteria
defined before or after close, handoffs, criteria met or missed, referrals. During the span a
few people change team, leave or join, so team history matters.
"""
from __future__ import annotations

import bisect
import heapq
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, get_args

from schemas.catalog import CURRENT_VERSIONS
from schemas.envelope import dataschema_uri
from schemas.events import deal as _deal_schema
from schemas.events import help as _help_schema
from schemas.events import knowledge as _knowledge_schema
from schemas.events import recognition as _recognition_schema
from schemas.events import review as _review_schema

VERSIONS = CURRENT_VERSIONS
"""Each type's current version, from the catalog (the simulator writes the newest of each)."""
TEAM_NAMES = ["atlas", "borealis", "cascade", "delta", "ember", "fjord", "granite", "harbor"]
HELP_KINDS = list(get_args(_help_schema.HelpKind))
ARTIFACT_KINDS = list(get_args(_knowledge_schema.ArtifactKind))
REASONS = list(get_args(_recognition_schema.RecognitionReason))
REVIEW_KINDS = list(get_args(_review_schema.ReviewKind))
SELLER_GIVES = ["demo", "proposal", "pricing", "trial", "meeting", "resources"]
BUYER_GIVES = ["commitment", "decision_maker_access", "success_criteria", "mutual_plan", "information"]
"""Which side gives which exchange kind is the simulator's model; the kinds are the contract's."""
COLLABORATOR_ROLES = ["peer", "sme", "engineer", "executive", "partner"]
if not set(SELLER_GIVES + BUYER_GIVES) <= set(get_args(_deal_schema.ExchangeKind)) \
        or not set(COLLABORATOR_ROLES) <= set(get_args(_deal_schema.CollaboratorRole)):
    raise ImportError("streams.simulator names exchange kinds or roles the contract does not have")
DAY_S = 86_400


@dataclass
class Person:
    id: str
    name: str
    role: str
    generosity: float  # weight as a helper: 3 generous, 1 ordinary, 0.1 taker
    ack_rate: float  # how often they acknowledge help they got
    sharing: float  # weight as an artifact author
    transparency: float  # chance of publishing a review after a lost deal
    recognises_results: bool
    timeline: list[tuple[int, str | None]] = field(default_factory=list)  # (since_s, team or None)

    def team_at(self, t: int) -> str | None:
        i = bisect.bisect_right(self.timeline, t, key=lambda change: change[0]) - 1  # changes at t count
        return self.timeline[i][1] if i >= 0 else None


class _Org:
    def __init__(self, rng: random.Random, teams: int, t0: int, span: int) -> None:
        self.rng = rng
        self.teams = [TEAM_NAMES[i] if i < len(TEAM_NAMES) else f"team{i}" for i in range(teams)]
        self.people: list[Person] = []
        self.roster: list[tuple[int, str, str, Person]] = []  # (time, kind, team, person)
        n = 0
        for ti, team in enumerate(self.teams):
            size = rng.randint(6, 12)
            for k in range(size):
                p = self._person(n, "manager" if k == 0 else rng.choice(
                    ["rep", "rep", "rep", "sales_engineer", "customer_success"]))
                n += 1
                self._join(p, t0 - DAY_S + ti * 600 + k * 7, team)
        # Team changes during the span: transfers, leavers, hires (never two changes at once).
        for j in range(max(2, teams)):
            t = t0 + rng.randint(span // 5, span * 4 // 5)
            p = rng.choice(self.people[1:])
            cur = p.team_at(t)
            if cur is None or p.timeline[-1][0] >= t:
                continue
            if j % 3 == 2:
                self._leave(p, t, cur)
            else:
                self._leave(p, t, cur)
                self._join(p, t + 3600, rng.choice([x for x in self.teams if x != cur]))
        for ti, team in enumerate(self.teams):
            p = self._person(n, "rep")
            n += 1
            self._join(p, t0 + rng.randint(span // 4, span * 3 // 4) + ti, team)

    def _person(self, n: int, role: str) -> Person:
        r = self.rng
        p = Person(
            id=f"person-{n:04d}",
            name=f"Person {n}",
            role=role,
            generosity=r.choice([3.0, 1.0, 1.0, 1.0, 0.1]),
            ack_rate=r.choice([0.95, 0.85, 0.7, 0.4]),
            sharing=r.choice([3.0, 1.0, 0.5, 0.1]),
            transparency=r.choice([0.95, 0.7, 0.4, 0.1]),
            recognises_results=r.random() < 0.35,
        )
        self.people.append(p)
        return p

    def _join(self, p: Person, t: int, team: str) -> None:
        p.timeline.append((t, team))
        self.roster.append((t, "joined", team, p))

    def _leave(self, p: Person, t: int, team: str) -> None:
        p.timeline.append((t, None))
        self.roster.append((t, "left", team, p))

    def active(self, t: int, team: str | None = None, roles: tuple[str, ...] | None = None) -> list[Person]:
        return [
            p for p in self.people
            if (tm := p.team_at(t)) is not None and (team is None or tm == team) and (roles is None or p.role in roles)
        ]


class _Log:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, str, str, dict[str, Any]]] = []

    def add(self, t: int, key: str, type_: str, data: dict[str, Any]) -> None:
        self.items.append((t, len(self.items), key, "teamflow." + type_, data))


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


EPISODES = None  # set below, after the episode functions
WEIGHTS = [40, 18, 14, 28]


def _history(rng: random.Random, n_events: int, t0: int, teams: int, days: int, seed: int):
    """(org, log, counters, episodes run): the roster, then random episodes over the span until the log
    holds `n_events` events."""
    span = days * DAY_S
    org = _Org(rng, teams, t0, span)
    log = _Log()
    for t, kind, team, p in sorted(org.roster, key=lambda r: (r[0], r[3].id)):
        data: dict[str, Any] = {"person": p.id, "team": team}
        if kind == "joined":
            data.update(role=p.role, display_name=p.name)
        log.add(t, team, f"roster.member_{kind}", data)
    counters = {"deal": 0, "help": 0, "art": 0, "req": 0, "rev": 0}
    episodes = 0
    while len(log.items) < n_events:
        t = t0 + rng.randrange(span)
        rng.choices(EPISODES, WEIGHTS)[0](rng, org, log, t, counters, seed)
        episodes += 1
    return org, log, counters, episodes


def envelope(type_: str, data: dict[str, Any], t: int, *, source: str, id_: str) -> bytes:
    """One structured-mode CloudEvent (JSON) of the type's current version."""
    return json.dumps({
        "specversion": "1.0",
        "id": id_,
        "source": source,
        "type": type_,
        "time": _iso(t),
        "datacontenttype": "application/json",
        "dataschema": dataschema_uri(type_, VERSIONS[type_]),
        "data": data,
    }, separators=(",", ":")).encode()


def simulate(
    seed: int,
    n_events: int,
    *,
    start: datetime,
    teams: int = 4,
    days: int = 270,
) -> Iterator[tuple[str, bytes]]:
    """Yield `n_events` (team key, CloudEvent JSON bytes), in event-time order, roster first.

    Events spread over `days` days from `start` (a few trail beyond: reviews, criteria results).
    The bytes are a function of the five arguments alone.
    """
    rng = random.Random(seed)
    _org, log, _c, _n = _history(rng, n_events, int(start.timestamp()), teams, days, seed)
    items = sorted(log.items)[:n_events]
    source = f"teamflow-sim/{seed}"
    for i, (t, _, key, type_, data) in enumerate(items):
        yield key, envelope(type_, data, t, source=source, id_=f"sim-{seed}-{i:07d}")


@dataclass(frozen=True)
class DemoEvent:
    index: int  # position in the stream, from 0
    time: int  # simulated time (epoch seconds); the history's times are the events' times
    key: str  # the team (Kafka key)
    type: str
    data: dict[str, Any]
    live: bool  # False: history (time <= now); True: the future, produced as a live trickle


def demo_stream(seed: int, backlog: int, *, now: datetime, teams: int = 4, days: int = 270) -> Iterator[DemoEvent]:
    """The demo organisation: about `backlog` history events over the `days` before `now` (those
    dated after `now` move to the future), then the future without end, in simulated-time order.

    Prefix-stable and a function of (seed, backlog, now, teams, days): the n-th event never depends
    on how many are read. The future runs a simulated day at a time with the history's episode
    rate; each day's events are final once the day is generated (later days only add later events).
    """
    rng = random.Random(seed)
    t_now = int(now.timestamp())
    t0 = t_now - days * DAY_S
    org, log, counters, episodes = _history(rng, backlog, t0, teams, days, seed)
    past = sorted(x for x in log.items if x[0] <= t_now)
    index = 0
    for t, _, key, type_, data in past:
        yield DemoEvent(index, t, key, type_, data, False)
        index += 1
    pending: list = [x for x in log.items if x[0] > t_now]
    heapq.heapify(pending)
    per_day = max(1, round(episodes / days))
    day = 0
    while True:
        start, end = t_now + 1 + day * DAY_S, t_now + 1 + (day + 1) * DAY_S
        fresh = _Log()
        for _ in range(per_day):
            t = start + rng.randrange(DAY_S)
            rng.choices(EPISODES, WEIGHTS)[0](rng, org, fresh, t, counters, seed)
        for t, _, key, type_, data in fresh.items:  # a new sequence number keeps the heap's order total
            t = max(t, start)  # a request made before its help: not before what was already emitted
            heapq.heappush(pending, (t, len(log.items), key, type_, data))
            log.items.append((t, len(log.items), key, type_, data))
        while pending and pending[0][0] < end:
            t, _, key, type_, data = heapq.heappop(pending)
            yield DemoEvent(index, t, key, type_, data, True)
            index += 1
        day += 1


def _pick(rng: random.Random, people: list[Person], weight: str) -> Person:
    return rng.choices(people, [getattr(p, weight) for p in people])[0]


def _colleague(rng: random.Random, org: _Org, t: int, p: Person, same_team: float) -> Person | None:
    team = p.team_at(t)
    pool = [q for q in org.active(t, team if rng.random() < same_team else None) if q.id != p.id]
    return rng.choice(pool) if pool else None


def _help(rng: random.Random, org: _Org, log: _Log, t: int, c: dict, seed: int) -> None:
    people = org.active(t)
    helper = _pick(rng, people, "generosity")
    recipient = _colleague(rng, org, t, helper, 0.8)
    if recipient is None:
        return
    for giver, getter, when in ((helper, recipient, t), (recipient, helper, t + rng.randint(DAY_S, 20 * DAY_S))):
        if giver is recipient and rng.random() > 0.4 * giver.generosity:
            break  # reciprocation: likelier from generous people
        if giver.team_at(when) is None or getter.team_at(when) is None:
            break
        team = giver.team_at(when) or ""
        c["help"] += 1
        help_id = f"h{seed}-{c['help']:06d}"
        data: dict[str, Any] = {"help_id": help_id, "helper": giver.id, "recipient": getter.id}
        if rng.random() < 0.6:
            c["req"] += 1
            req = f"r{seed}-{c['req']:06d}"
            log.add(when - rng.randint(600, DAY_S), getter.team_at(when) or team, "help.requested",
                    {"request_id": req, "requester": getter.id, "topic": rng.choice(["pricing", "security review", "demo", "objection"])})
            data["request_id"] = req
        data.update(kind=rng.choice(HELP_KINDS), minutes=rng.choice([15, 30, 45, 60, 90, 120]))
        log.add(when, team, "help.given", data)
        if rng.random() < getter.ack_rate:
            log.add(when + rng.randint(60, 5 * DAY_S), team, "help.acknowledged",
                    {"help_id": help_id, "recipient": getter.id, "useful": rng.random() < 0.9})
    if rng.random() < 0.05:  # a request nobody answers
        c["req"] += 1
        log.add(t, recipient.team_at(t) or "", "help.requested",
                {"request_id": f"r{seed}-{c['req']:06d}", "requester": recipient.id, "topic": "unanswered"})


def _share(rng: random.Random, org: _Org, log: _Log, t: int, c: dict, seed: int, author: Person, kind: str,
           deal_id: str | None = None) -> None:
    team = author.team_at(t)
    if team is None:
        return
    c["art"] += 1
    art = f"a{seed}-{c['art']:06d}"
    data: dict[str, Any] = {"artifact_id": art, "author": author.id, "kind": kind, "title": f"{kind} {art}"}
    if deal_id:
        data["deal_id"] = deal_id
    data["audience"] = rng.choice(["team", "org"])
    log.add(t, team, "knowledge.shared", data)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
        when = t + int(rng.expovariate(1 / (12 * DAY_S))) + 60
        user = author if rng.random() < 0.08 else _colleague(rng, org, when, author, 0.6 if data["audience"] == "org" else 0.9)
        if user is None or user.team_at(when) is None:
            continue
        log.add(when, user.team_at(when) or team, "knowledge.reused", {"artifact_id": art, "user": user.id})


def _knowledge(rng: random.Random, org: _Org, log: _Log, t: int, c: dict, seed: int) -> None:
    author = _pick(rng, org.active(t), "sharing")
    _share(rng, org, log, t, c, seed, author, rng.choice(ARTIFACT_KINDS))


def _recognition(rng: random.Random, org: _Org, log: _Log, t: int, c: dict, seed: int) -> None:
    giver = rng.choice(org.active(t))
    receiver = _colleague(rng, org, t, giver, 0.8)
    if receiver is None:
        return
    weights = [1, 1, 1, 1, 5] if giver.recognises_results else [3, 2, 2, 2, 1]
    repeat = rng.randint(4, 7) if rng.random() < 0.05 else 1  # someone spamming one colleague
    for k in range(repeat):
        log.add(t + k * 3 * 3600, giver.team_at(t) or "", "recognition.given",
                {"giver": giver.id, "receiver": receiver.id, "reason": rng.choices(REASONS, weights)[0]})


def _deal(rng: random.Random, org: _Org, log: _Log, t: int, c: dict, seed: int) -> None:
    owners = org.active(t, roles=("rep", "manager"))
    if not owners:
        return
    owner = rng.choice(owners)
    team = owner.team_at(t) or ""
    c["deal"] += 1
    deal = f"d{seed}-{c['deal']:05d}"
    account = f"acct-{rng.randint(1, 400):04d}"
    dur = rng.randint(20, 100) * DAY_S
    close = t + dur
    log.add(t, team, "deal.opened", {"deal_id": deal, "owner": owner.id, "team": team, "account": account,
                                     "amount": float(rng.randint(5, 500) * 1000), "currency": rng.choice(["EUR", "USD"]),
                                     "stage": "discovery"})
    log.add(t + dur // 5, team, "deal.stage_changed", {"deal_id": deal, "stage": "qualification"})
    log.add(t + dur // 2, team, "deal.stage_changed", {"deal_id": deal, "stage": "proposal"})
    reciprocal_buyer = rng.random() < 0.55
    for _ in range(rng.randint(1, 8)):
        when = t + rng.randrange(dur)
        if rng.random() < (0.45 if reciprocal_buyer else 0.04):
            log.add(when, team, "deal.exchange", {"deal_id": deal, "direction": "buyer_gave", "kind": rng.choice(BUYER_GIVES)})
        else:
            log.add(when, team, "deal.exchange", {"deal_id": deal, "direction": "seller_gave", "kind": rng.choice(SELLER_GIVES)})
    log.add(t + dur // 2 + 60, team, "proposal.sent", {"deal_id": deal, "proposal_id": f"{deal}-p1"})
    restarted = False
    if rng.random() < 0.25:
        data: dict[str, Any] = {"deal_id": deal, "proposal_id": f"{deal}-p1"}
        if rng.random() < 0.5:
            data["reason"] = "buyer needs unclear"
        log.add(t + dur * 6 // 10, team, "proposal.withdrawn", data)
        if rng.random() < 0.6:
            restarted = True
            log.add(t + dur * 6 // 10 + rng.randint(3600, 10 * DAY_S), team, "deal.rediscovery_started", {"deal_id": deal})
            log.add(t + dur * 8 // 10, team, "proposal.sent", {"deal_id": deal, "proposal_id": f"{deal}-p2"})
    collaborative = rng.random() < 0.5
    if collaborative:
        for _ in range(rng.randint(1, 2)):
            when = t + rng.randrange(dur * 8 // 10)
            who = _colleague(rng, org, when, owner, 0.7)
            if who is not None:
                log.add(when, team, "deal.collaborator_added",
                        {"deal_id": deal, "person": who.id, "role": rng.choice(COLLABORATOR_ROLES)})
    p_win = 0.2 + 0.15 * collaborative + 0.2 * reciprocal_buyer + 0.1 * restarted
    r = rng.random()
    outcome = "won" if r < p_win else ("lost" if r < p_win + (1 - p_win) * 0.7 else "no_decision")
    closed: dict[str, Any] = {"deal_id": deal, "outcome": outcome, "amount": float(rng.randint(5, 500) * 1000)}
    if outcome != "won" and rng.random() < 0.5:
        closed["reason"] = rng.choice(["price", "timing", "competitor", "no budget"])
    log.add(close, team, "deal.closed", closed)
    if outcome != "won":
        _after_loss(rng, org, log, close, c, seed, owner, team, deal, account)
    else:
        _after_win(rng, org, log, close, c, seed, owner, team, deal)


def _after_loss(rng, org, log, close, c, seed, owner, team, deal, account) -> None:
    if rng.random() < owner.transparency:
        c["rev"] += 1
        when = close + int(rng.expovariate(1 / (7 * DAY_S))) + 3600
        log.add(when, team, "review.published", {
            "review_id": f"rv{seed}-{c['rev']:05d}", "deal_id": deal, "author": owner.id,
            "kind": rng.choice(REVIEW_KINDS),
            "lessons": [f"lesson {k} of {deal}" for k in range(rng.randint(1, 3))]})
        if rng.random() < owner.transparency * 0.6:
            _share(rng, org, log, when + DAY_S, c, seed, owner, rng.choice(["war_story", "lesson"]), deal)
    if rng.random() < 0.12:
        log.add(close + rng.randint(3600, 5 * DAY_S), team, "referral.made", {
            "referrer": owner.id, "account": account, "referred_to": rng.choice(["partner-a", "partner-b", "vendor-x"]),
            "reason": "better fit for their needs"})


def _after_win(rng, org, log, close, c, seed, owner, team, deal) -> None:
    r = rng.random()
    criteria: list[dict[str, Any]] = []
    if r < 0.8:
        defined = close - rng.randint(1, 15) * DAY_S if r < 0.65 else close + rng.randint(1, 10) * DAY_S
        for k in range(rng.randint(1, 3)):
            due = datetime.fromtimestamp(close + rng.randint(20, 150) * DAY_S, tz=timezone.utc).date()
            criteria.append({"criterion_id": f"{deal}-c{k}", "description": f"goal {k}", "target": "20% faster", "due": due.isoformat()})
        log.add(defined, team, "outcome.criteria_defined", {"deal_id": deal, "criteria": criteria})
    if rng.random() < 0.85:
        when = close + rng.randint(1, 10) * DAY_S
        cs = org.active(when, roles=("customer_success",)) or org.active(when)
        log.add(when, team, "outcome.handoff_completed", {
            "deal_id": deal, "from_person": owner.id, "to_person": rng.choice(cs).id,
            "criteria_transferred": bool(criteria) and rng.random() < 0.8})
    for cr in criteria:
        due = int(datetime.fromisoformat(cr["due"]).replace(tzinfo=timezone.utc).timestamp())
        r = rng.random()
        if r < 0.65:
            log.add(due + rng.randint(-20, 10) * DAY_S + rng.randint(0, DAY_S - 1), team, "outcome.criterion_met",
                    {"deal_id": deal, "criterion_id": cr["criterion_id"], "observed": "target reached"})
        elif r < 0.9:
            log.add(due + rng.randint(0, 10) * DAY_S + 3600, team, "outcome.criterion_missed",
                    {"deal_id": deal, "criterion_id": cr["criterion_id"], "observed": "not reached"})
    if rng.random() < 0.2:
        _share(rng, org, log, close + DAY_S, c, seed, owner, "success_story", deal)


EPISODES = [_help, _knowledge, _deal, _recognition]
